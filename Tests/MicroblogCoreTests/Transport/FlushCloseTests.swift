import Dispatch
import Testing

@testable import MicroblogCore

#if canImport(Glibc)
    import Glibc
#endif

/// A connection closed during a batched flush's last pass (by what an earlier connection's `.drained`
/// event runs, e.g. a queued `/kick`) must still have its descriptor closed: its own outcome, computed
/// before it was closed, must not suspend its cancelled write source or arm a new one.
@Suite struct FlushCloseTests {
    private func pair() throws -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    /// Reads from `fd` until the peer closes (true) or `seconds` pass (false).
    private func readsToEnd(_ fd: Int32, within seconds: Double) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = MonotonicClock.now() + seconds
        while true {
            let left = Int32(max(0, (deadline - MonotonicClock.now()) * 1000))
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard left > 0, poll(&poller, 1, left) == 1 else { return false }
            let got = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if got == 0 { return true }
            if got < 0 { return false }
        }
    }

    private func connection(_ fd: Int32, _ id: Int, _ queue: DispatchQueue, _ flusher: FlushScheduler) -> Connection {
        Connection(
            accepted: Listener.Accepted(fd: fd, peer: "peer", peerHost: "host"), id: id, queue: queue,
            flusher: flusher, readBuffer: ReadBuffer())
    }

    /// B drained earlier through its write source (so it has one, suspended), then is flushed drained in
    /// the same batch as A, whose `.drained` event closes B.
    @Test(arguments: [false, true]) func closedByAnEarlierDrainWithASuspendedWriteSource(rings: Bool) throws {
        let queue = DispatchQueue(label: "flush-close-test")
        let flusher = FlushScheduler(queue: queue, sendThreads: 1, ioURing: rings)
        let (aFD, aPeer) = try pair()
        let (bFD, bPeer) = try pair()
        defer {
            close(aPeer)
            close(bPeer)
        }
        nonisolated(unsafe) var a: Connection!
        nonisolated(unsafe) var b: Connection!
        queue.sync {
            a = connection(aFD, 1, queue, flusher)
            b = connection(bFD, 2, queue, flusher)
            a.start()
            b.start()
            b.write([UInt8](repeating: 1, count: 1 << 20))  // more than the socket takes: a write source
        }
        // Wait until B's first flush found the socket full and armed its write source.
        for _ in 0..<200 where queue.sync(execute: { b.stalledSince }) == nil { usleep(10_000) }
        try #require(queue.sync(execute: { b.stalledSince }) != nil)
        var chunk = [UInt8](repeating: 0, count: 65536)
        var received = 0
        while received < 1 << 20 {
            let got = chunk.withUnsafeMutableBytes { recv(bPeer, $0.baseAddress, $0.count, 0) }
            try #require(got > 0)
            received += got
        }
        // Wait for the write source's flush to find the buffer empty and suspend the source.
        for _ in 0..<200 where queue.sync(execute: { b.pendingOutputBytes }) > 0 { usleep(10_000) }
        queue.sync {
            a.onEvent = { event in if case .drained = event { b.close(reason: .kicked) } }
            a.notifyWhenDrained()  // A first in the batch, then B
            b.write(Array("bye\n".utf8))
        }
        #expect(readsToEnd(bPeer, within: 3), "B was closed, but its descriptor never was")
        queue.sync {
            a.close(reason: .quit)
            b.close(reason: .quit)
        }
    }

    /// B is full in the batch (no write source yet) and is closed by A's `.drained` event before its own
    /// outcome is acted on.
    @Test(arguments: [false, true]) func closedByAnEarlierDrainWhileFull(rings: Bool) throws {
        let queue = DispatchQueue(label: "flush-close-test-full")
        let flusher = FlushScheduler(queue: queue, sendThreads: 1, ioURing: rings)
        let (aFD, aPeer) = try pair()
        let (bFD, bPeer) = try pair()
        defer {
            close(aPeer)
            close(bPeer)
        }
        nonisolated(unsafe) var a: Connection!
        nonisolated(unsafe) var b: Connection!
        queue.sync {
            a = connection(aFD, 1, queue, flusher)
            b = connection(bFD, 2, queue, flusher)
            a.start()
            b.start()
            a.onEvent = { event in if case .drained = event { b.close(reason: .slowReader) } }
            a.notifyWhenDrained()
            b.write([UInt8](repeating: 1, count: 1 << 20))
        }
        #expect(readsToEnd(bPeer, within: 3), "B was closed, but its descriptor never was")
        queue.sync {
            a.close(reason: .quit)
            b.close(reason: .quit)
        }
    }

    /// A's `.drained` event writes a goodbye to B and asks B to close once it is sent; B's own outcome in
    /// the batch, "drained" from before that write, must not close it with the goodbye unsent.
    @Test(arguments: [false, true]) func writtenToByAnEarlierDrainKeepsWhatWasWritten(rings: Bool) throws {
        let queue = DispatchQueue(label: "flush-close-test-bye")
        let flusher = FlushScheduler(queue: queue, sendThreads: 1, ioURing: rings)
        let (aFD, aPeer) = try pair()
        let (bFD, bPeer) = try pair()
        defer {
            close(aPeer)
            close(bPeer)
        }
        nonisolated(unsafe) var a: Connection!
        nonisolated(unsafe) var b: Connection!
        queue.sync {
            a = connection(aFD, 1, queue, flusher)
            b = connection(bFD, 2, queue, flusher)
            a.start()
            b.start()
            a.onEvent = { event in
                guard case .drained = event else { return }
                b.write(Array("bye\n".utf8))
                b.closeAfterFlush(reason: .kicked)
            }
            a.notifyWhenDrained()  // A first in the batch, then B
            b.write(Array("hello\n".utf8))
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        let deadline = MonotonicClock.now() + 3
        while MonotonicClock.now() < deadline {
            var poller = pollfd(fd: bPeer, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) == 1 else { continue }
            let got = chunk.withUnsafeMutableBytes { recv(bPeer, $0.baseAddress, $0.count, 0) }
            if got <= 0 { break }
            received += chunk[0..<got]
        }
        #expect(String(decoding: received, as: UTF8.self) == "hello\nbye\n")
        queue.sync {
            a.close(reason: .quit)
            b.close(reason: .quit)
        }
    }
}
