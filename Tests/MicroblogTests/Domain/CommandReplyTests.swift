import Dispatch
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Synchronization
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

@Suite("CommandReply")
struct CommandReplyTests {
    /// What a reply reported and how its wait ended, from whichever thread.
    final class Record: Sendable {
        let misuses = Mutex<[CommandReply.Misuse]>([])
        let ends = Mutex<[Bool]>([])
    }

    private func makeReply(_ record: Record, on queue: DispatchQueue) -> CommandReply {
        CommandReply(
            command: "feed", queue: queue, misuse: { misuse, _ in record.misuses.withLock { $0.append(misuse) } },
            end: { abandoned in
                dispatchPrecondition(condition: .onQueue(queue))
                record.ends.withLock { $0.append(abandoned) }
            })
    }

    @Test func finishingEndsTheWaitOnce() {
        let queue = DispatchQueue(label: "reply-test")
        let record = Record()
        queue.sync {
            let reply = makeReply(record, on: queue)
            #expect(!reply.isFinished)
            reply.finish()
            #expect(reply.isFinished)
        }
        #expect(record.ends.withLock { $0 } == [false])
        #expect(record.misuses.withLock { $0 }.isEmpty)
    }

    @Test func finishingTwiceIsReportedAndHarmless() {
        let queue = DispatchQueue(label: "reply-test")
        let record = Record()
        queue.sync {
            let reply = makeReply(record, on: queue)
            reply.finish()
            reply.finish()
        }
        #expect(record.ends.withLock { $0 } == [false])
        #expect(record.misuses.withLock { $0 } == [.finishedTwice])
    }

    /// A reply dropped unfinished is reported, and still ends its wait, as abandoned, on its queue.
    @Test func droppedUnfinishedIsReportedAndStillEndsTheWait() {
        let queue = DispatchQueue(label: "reply-test")
        let record = Record()
        queue.sync {
            var reply: CommandReply? = makeReply(record, on: queue)
            #expect(reply?.isFinished == false)
            reply = nil
        }
        #expect(record.misuses.withLock { $0 } == [.droppedUnfinished])
        queue.sync {}  // the end was scheduled on the queue behind the drop
        #expect(record.ends.withLock { $0 } == [true])
    }

    /// The last closure holding a reply may be released on another queue (a storage completion): the
    /// wait still ends on the reply's own queue.
    @Test func droppedOnAnotherQueueEndsOnItsOwn() {
        let queue = DispatchQueue(label: "reply-test")
        let other = DispatchQueue(label: "reply-test-other")
        let record = Record()
        let box = Box()
        queue.sync { box.reply = makeReply(record, on: queue) }
        other.sync { box.reply = nil }
        #expect(record.misuses.withLock { $0 } == [.droppedUnfinished])
        queue.sync {}
        #expect(record.ends.withLock { $0 } == [true])
    }

    @Test func finishedThenDroppedReportsNothing() {
        let queue = DispatchQueue(label: "reply-test")
        let record = Record()
        queue.sync {
            var reply: CommandReply? = makeReply(record, on: queue)
            reply?.finish()
            reply = nil
        }
        queue.sync {}
        #expect(record.ends.withLock { $0 } == [false])
        #expect(record.misuses.withLock { $0 }.isEmpty)
    }

    /// Carries a reply from one queue to another, as a storage completion would. `@unchecked Sendable`:
    /// each queue uses it inside `sync`, one after the other.
    final class Box: @unchecked Sendable {
        var reply: CommandReply?
    }
}
