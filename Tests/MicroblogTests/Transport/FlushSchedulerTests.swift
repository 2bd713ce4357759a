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
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

#if canImport(Glibc)
    import Glibc
#endif

/// The flush goes a chunk of connections per block of the queue; writes that arrive between chunks
/// (the next post) put connections already sent to back on the list. Under such steady load the list
/// must stay about as long as the connections, not grow by a walk per post.
@Suite struct FlushSchedulerTests {
    /// Writes a line to every connection, once per block of the queue, `rounds` times, noting the list's
    /// length after each.
    private final class Poster: @unchecked Sendable {  // used on `queue` only
        let queue: DispatchQueue
        let flusher: FlushScheduler
        let connections: [Connection]
        let rounds: Int
        var round = 0
        var longest = 0
        let done = DispatchSemaphore(value: 0)

        init(queue: DispatchQueue, flusher: FlushScheduler, connections: [Connection], rounds: Int) {
            (self.queue, self.flusher, self.connections, self.rounds) = (queue, flusher, connections, rounds)
        }

        func post() {
            for connection in connections { connection.write(Array("a post\n".utf8)) }
            longest = max(longest, flusher.listLength)
            round += 1
            if round < rounds { queue.async { [self] in post() } } else { done.signal() }
        }
    }

    @Test func theListStaysBoundedUnderSteadyWrites() throws {
        let queue = DispatchQueue(label: "flush-test")
        let flusher = FlushScheduler(queue: queue, sendThreads: 1)
        let count = 3 * FlushScheduler.flushChunk
        let (connections, peers) = try SocketPairs.connections(count, queue: queue, flusher: flusher)
        let poster = Poster(queue: queue, flusher: flusher, connections: connections, rounds: 40)
        queue.async { poster.post() }
        #expect(poster.done.wait(timeout: .now() + 60) == .success)
        let longest = queue.sync { poster.longest }
        #expect(
            longest <= 2 * count + FlushScheduler.flushChunk, "the list grew to \(longest) for \(count) connections")
        queue.sync { for connection in connections { connection.close(reason: .quit) } }
        for fd in peers { close(fd) }
    }
}
