import Dispatch
import Testing

@testable import MicroblogCore

#if canImport(Glibc)
    import Glibc
#endif

/// io_uring sends (`SendRing`) on socket pairs: each job's bytes arrive whole and in order, a full socket
/// answers at once with EAGAIN and a closed peer with EPIPE, as a non-blocking `send` would; and the flush
/// through rings delivers what connections wrote, large outputs included.
@Suite struct SendRingTests {
    /// A connected pair: the first end non-blocking (the server's side), the second blocking.
    private func pair() throws -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    /// Reads `count` bytes from `fd`, or what came within 10 seconds or before the peer closed.
    private func read(_ count: Int, from fd: Int32) -> [UInt8] {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = MonotonicClock.now() + 10
        while received.count < count {
            let left = Int32(max(0, (deadline - MonotonicClock.now()) * 1000))
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard left > 0, poll(&poller, 1, left) == 1 else { break }
            let got = chunk.withUnsafeMutableBytes {
                recv(fd, $0.baseAddress, min($0.count, count - received.count), 0)
            }
            guard got > 0 else { break }
            received += chunk[0..<got]
        }
        return received
    }

    private func ring() throws -> SendRing {
        do { return try SendRing(entries: 8) } catch {
            Issue.record("io_uring is not available here: \(error)")
            throw error
        }
    }

    @Test func eachJobsBytesArriveWholeAndInOrder() throws {
        let ring = try ring()
        // More jobs than the ring's 8 entries, of different lengths, one empty.
        let messages = (0..<20).map { index in Array(String(repeating: "post \(index) ", count: index).utf8) }
        let pairs = try messages.map { _ in try pair() }
        defer {
            for (a, b) in pairs {
                close(a)
                close(b)
            }
        }
        let results = ring.send(
            count: messages.count, fd: { pairs[$0].0 }, size: { messages[$0].count },
            copy: { job, space in messages[job].withUnsafeBytes { space.copyMemory(from: $0) } })
        #expect(results == messages.map(\.count))
        for (index, message) in messages.enumerated() where !message.isEmpty {
            #expect(read(message.count, from: pairs[index].1) == message)
        }
    }

    @Test func aFullSocketSaysEAGAINAndAClosedPeerEPIPE() throws {
        let ring = try ring()
        let (full, fullPeer) = try pair()
        let (orphan, orphanPeer) = try pair()
        defer {
            close(full)
            close(fullPeer)
            close(orphan)
        }
        // Fill the first socket until the kernel takes no more.
        let block = [UInt8](repeating: 7, count: 65536)
        while block.withUnsafeBytes({ Glibc.send(full, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) > 0 {}
        close(orphanPeer)
        let message = Array("a post\n".utf8)
        let started = MonotonicClock.now()
        let results = ring.send(
            count: 2, fd: { $0 == 0 ? full : orphan }, size: { _ in message.count },
            copy: { _, space in message.withUnsafeBytes { space.copyMemory(from: $0) } })
        #expect(results == [-Int(EAGAIN), -Int(EPIPE)])
        #expect(MonotonicClock.now() - started < 5, "a full socket must not be waited for")
    }

    @Test func aJobSendsAtMostOneRingsShare() throws {
        let ring = try ring()
        let (server, client) = try pair()
        defer {
            close(server)
            close(client)
        }
        let big = (0..<(SendRing.maxBytesPerSend * 2)).map { UInt8(truncatingIfNeeded: $0) }
        let results = ring.send(
            count: 1, fd: { _ in server }, size: { _ in big.count },
            copy: { _, space in
                big.withUnsafeBytes { space.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(space.count))) }
            })
        #expect(results == [SendRing.maxBytesPerSend])
        #expect(read(SendRing.maxBytesPerSend, from: client) == Array(big.prefix(SendRing.maxBytesPerSend)))
    }

    /// Connections written to on the server queue and flushed through rings: small lines, and outputs
    /// larger than a ring's share and than the socket's buffer (the rest goes by `send`, then by the
    /// write source as the peer reads), each arriving whole, in order.
    @Test func theFlushThroughRingsDeliversEverything() throws {
        let queue = DispatchQueue(label: "ring-flush-test")
        let flusher = FlushScheduler(queue: queue, sendThreads: 1, ioURing: true)
        try #require(flusher.usesRings, "io_uring: \(String(describing: flusher.ringsUnavailable))")
        let readBuffer = ReadBuffer()
        let sizes = [7, 100, SendRing.maxBytesPerSend + 1, 300_000, 20, 5]
        let outputs = sizes.enumerated().map { index, size in
            (0..<size).map { UInt8(truncatingIfNeeded: $0 * 31 + index) }
        }
        var peers: [Int32] = []
        nonisolated(unsafe) var connections: [Connection] = []
        for index in outputs.indices {
            let (server, client) = try pair()
            peers.append(client)
            queue.sync {
                connections.append(
                    Connection(
                        accepted: Listener.Accepted(fd: server, peer: "peer", peerHost: "host"), id: index,
                        queue: queue, flusher: flusher, readBuffer: readBuffer))
            }
        }
        queue.sync {
            // Two writes each, so some buffers hold more than one array.
            for (connection, output) in zip(connections, outputs) {
                let half = output.count / 2
                connection.write(Array(output[..<half]))
                connection.write(Array(output[half...]))
            }
        }
        for (index, (peer, output)) in zip(peers, outputs).enumerated() {
            let received = read(output.count, from: peer)
            let same = received == output
            #expect(
                same,
                "connection \(index): \(received.count) of \(output.count) bytes, same so far: \(received == Array(output.prefix(received.count)))"
            )
        }
        queue.sync { for connection in connections { connection.close(reason: .quit) } }
        for fd in peers { close(fd) }
    }
}
