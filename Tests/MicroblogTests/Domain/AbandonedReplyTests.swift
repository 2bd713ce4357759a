import Dispatch
import Foundation
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

/// What release builds do with a reply a handler forgot: the session is not left stuck.
@Suite("Abandoned replies")
struct AbandonedReplyTests {
    /// A connection that keeps what is written to it. Confined to the test's server queue.
    final class RecordingOutput: SessionOutput {
        var written: [UInt8] = []
        func write(_ bytes: [UInt8]) { written += bytes }
        func pauseReading() {}
        func resumeReading() {}
        func closeAfterFlush(reason: CloseReason) {}
        func close(reason: CloseReason) {}
        var pendingOutputBytes: Int { 0 }
        var stalledSince: Double? { nil }
        func notifyWhenDrained() {}
    }

    @Test func anAbandonedReplyAnswersInternalAndTheNextLineRuns() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("microblogd-reply-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = DispatchQueue(label: "abandoned-reply-test")
        let storage = StorageWorker(
            store: try SQLiteStore(path: directory.appendingPathComponent("microblog.db").path), serverQueue: queue)
        let microblog = Microblog(queue: queue, storage: storage, settings: MicroblogSettings(), log: .silent)
        let misuses = Mutex<[CommandReply.Misuse]>([])
        let output = RecordingOutput()
        let session = queue.sync {
            microblog.replyMisuse = { misuse, _ in misuses.withLock { $0.append(misuse) } }
            return microblog.open(id: 1, peer: "127.0.0.1:1", peerHost: "127.0.0.1", output: output)
        }
        func waitFor(_ text: String) -> Bool {
            waitUntil { queue.sync { String(decoding: output.written, as: UTF8.self).contains(text) } }
        }
        #expect(waitFor("new posts appear below"))

        queue.sync {
            // A handler that takes a reply and forgets it; the line after it must wait, then run.
            _ = microblog.waiting(session, command: "feed")
            Array("/mode text\n".utf8).withUnsafeBytes { microblog.receive($0, for: session) }
        }
        #expect(waitFor("text mode"))
        let text = queue.sync { String(decoding: output.written, as: UTF8.self) }
        let error = try #require(text.range(of: "the server lost track of that command"))
        let next = try #require(text.range(of: "text mode"))
        #expect(error.lowerBound < next.lowerBound)
        #expect(misuses.withLock { $0 } == [.droppedUnfinished])
        queue.sync { microblog.closed(session, reason: .quit) }
    }
}
