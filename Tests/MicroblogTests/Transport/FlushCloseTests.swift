import Dispatch
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
import MicroblogTestSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

#if canImport(Glibc)
    import Glibc
#endif

/// A connection closed during a batched flush's last pass (by what an earlier connection's `.drained`
/// event runs, e.g. a queued `/kick`) must still have its descriptor closed: its own outcome, computed
/// before it was closed, must not suspend its cancelled write source or arm a new one. And one written
/// to meanwhile must not be taken for drained.
@Suite struct FlushCloseTests {
    /// Two started connections, A and B, on one queue and flusher (with rings or without), and their
    /// peers' ends. A comes first in a batch that flushes both.
    private struct Two {
        let queue: DispatchQueue
        let a: Connection
        let b: Connection
        let aPeer: Int32
        let bPeer: Int32

        init(rings: Bool) throws {
            queue = DispatchQueue(label: "flush-close-test")
            let flusher = FlushScheduler(queue: queue, sendThreads: 1, ioURing: rings)
            let (connections, peers) = try SocketPairs.connections(2, queue: queue, flusher: flusher)
            (a, b, aPeer, bPeer) = (connections[0], connections[1], peers[0], peers[1])
            queue.sync {
                a.start()
                b.start()
            }
        }

        func close() {
            queue.sync {
                a.close(reason: .quit)
                b.close(reason: .quit)
            }
            Glibc.close(aPeer)
            Glibc.close(bPeer)
        }
    }

    /// B drained earlier through its write source (so it has one, suspended), then is flushed drained in
    /// the same batch as A, whose `.drained` event closes B.
    @Test(arguments: [false, true]) func closedByAnEarlierDrainWithASuspendedWriteSource(rings: Bool) throws {
        let two = try Two(rings: rings)
        defer { two.close() }
        let (a, b, queue) = (two.a, two.b, two.queue)
        queue.sync { b.write([UInt8](repeating: 1, count: 1 << 20)) }  // more than the socket takes
        // Wait until B's first flush found the socket full and armed its write source.
        try #require(waitUntil(timeout: 2) { queue.sync { b.stalledSince } != nil })
        var chunk = [UInt8](repeating: 0, count: 65536)
        var received = 0
        while received < 1 << 20 {
            let got = chunk.withUnsafeMutableBytes { recv(two.bPeer, $0.baseAddress, $0.count, 0) }
            try #require(got > 0)
            received += got
        }
        // Wait for the write source's flush to find the buffer empty and suspend the source.
        waitUntil(timeout: 2) { queue.sync { b.pendingOutputBytes } == 0 }
        queue.sync {
            a.onEvent = { event in if case .drained = event { b.close(reason: .kicked) } }
            a.notifyWhenDrained()  // A first in the batch, then B
            b.write(Array("bye\n".utf8))
        }
        let closed = SocketPairs.read(from: two.bPeer, within: 3).closed
        #expect(closed, "B was closed, but its descriptor never was")
    }

    /// B is full in the batch (no write source yet) and is closed by A's `.drained` event before its own
    /// outcome is acted on.
    @Test(arguments: [false, true]) func closedByAnEarlierDrainWhileFull(rings: Bool) throws {
        let two = try Two(rings: rings)
        defer { two.close() }
        let (a, b) = (two.a, two.b)
        two.queue.sync {
            a.onEvent = { event in if case .drained = event { b.close(reason: .slowReader) } }
            a.notifyWhenDrained()
            b.write([UInt8](repeating: 1, count: 1 << 20))
        }
        let closed = SocketPairs.read(from: two.bPeer, within: 3).closed
        #expect(closed, "B was closed, but its descriptor never was")
    }

    /// A's `.drained` event writes a goodbye to B and asks B to close once it is sent; B's own outcome in
    /// the batch, "drained" from before that write, must not close it with the goodbye unsent.
    @Test(arguments: [false, true]) func writtenToByAnEarlierDrainKeepsWhatWasWritten(rings: Bool) throws {
        let two = try Two(rings: rings)
        defer { two.close() }
        let (a, b) = (two.a, two.b)
        two.queue.sync {
            a.onEvent = { event in
                guard case .drained = event else { return }
                b.write(Array("bye\n".utf8))
                b.closeAfterFlush(reason: .kicked)
            }
            a.notifyWhenDrained()  // A first in the batch, then B
            b.write(Array("hello\n".utf8))
        }
        let received = SocketPairs.read(from: two.bPeer, within: 3).bytes
        #expect(String(decoding: received, as: UTF8.self) == "hello\nbye\n")
    }
}
