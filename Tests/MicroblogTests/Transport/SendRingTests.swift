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
import MicroblogTestSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

#if canImport(Glibc)
    import Glibc
#endif

/// io_uring sends (`SendRing`) on socket pairs: each job's bytes arrive whole and in order, a full socket
/// answers at once with EAGAIN and a closed peer with EPIPE, as a non-blocking `send` would; and the flush
/// through rings delivers what connections wrote, large outputs included.
@Suite struct SendRingTests {
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
        let pairs = try messages.map { _ in try SocketPairs.make() }
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
            #expect(SocketPairs.read(message.count, from: pairs[index].1).bytes == message)
        }
    }

    @Test func aFullSocketSaysEAGAINAndAClosedPeerEPIPE() throws {
        let ring = try ring()
        let (full, fullPeer) = try SocketPairs.make()
        let (orphan, orphanPeer) = try SocketPairs.make()
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
        let (server, client) = try SocketPairs.make()
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
        #expect(
            SocketPairs.read(SendRing.maxBytesPerSend, from: client).bytes
                == Array(big.prefix(SendRing.maxBytesPerSend)))
    }

    /// Connections written to on the server queue and flushed through rings: small lines, and outputs
    /// larger than a ring's share and than the socket's buffer (the rest goes by `send`, then by the
    /// write source as the peer reads), each arriving whole, in order.
    @Test func theFlushThroughRingsDeliversEverything() throws {
        let queue = DispatchQueue(label: "ring-flush-test")
        let flusher = FlushScheduler(queue: queue, sendThreads: 1, ioURing: true)
        try #require(flusher.usesRings, "io_uring: \(String(describing: flusher.ringsUnavailable))")
        let sizes = [7, 100, SendRing.maxBytesPerSend + 1, 300_000, 20, 5]
        let outputs = sizes.enumerated().map { index, size in
            (0..<size).map { UInt8(truncatingIfNeeded: $0 * 31 + index) }
        }
        let (connections, peers) = try SocketPairs.connections(outputs.count, queue: queue, flusher: flusher)
        queue.sync {
            // Two writes each, so some buffers hold more than one array.
            for (connection, output) in zip(connections, outputs) {
                let half = output.count / 2
                connection.write(Array(output[..<half]))
                connection.write(Array(output[half...]))
            }
        }
        for (index, (peer, output)) in zip(peers, outputs).enumerated() {
            let received = SocketPairs.read(output.count, from: peer).bytes
            let same = received == output
            #expect(
                same,
                "connection \(index): \(received.count) of \(output.count) bytes, same so far: \(received == Array(output.prefix(received.count)))"
            )
        }
        queue.sync { for connection in connections { connection.close(reason: .quit) } }
        for fd in peers { close(fd) }
    }

    /// Many connections, random writes over many turns of the queue, some peers not reading for a
    /// while (full sockets, so EAGAIN and write sources) and some closing early: every peer that reads
    /// gets exactly the bytes written to it, in order, whether one thread sends or two share the work.
    @Test(arguments: [1, 2]) func randomWritesArriveExactlyThroughRings(sendThreads: Int) throws {
        let queue = DispatchQueue(label: "ring-random-test")
        let flusher = FlushScheduler(queue: queue, sendThreads: sendThreads, parallelThreshold: 4, ioURing: true)
        try #require(flusher.usesRings, "io_uring: \(String(describing: flusher.ringsUnavailable))")
        let count = 48
        let (connections, peers) = try SocketPairs.connections(count, queue: queue, flusher: flusher)
        let closing: Set<Int> = [5, 17]
        let slow: Set<Int> = [1, 2, 3, 30, 31]
        // Each connection's stream: a running counter's bytes, so a lost, doubled or reordered piece shows.
        nonisolated(unsafe) var written = [Int](repeating: 0, count: count)
        let rounds = 30
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var random = SplitMix64(seed: UInt64(41 + sendThreads))
        nonisolated(unsafe) var round = 0
        nonisolated(unsafe) var writeRound: (() -> Void)?
        writeRound = {
            for index in 0..<count where random.chance(0.6) {
                let size = random.chance(0.1) ? 1 + random.below(40_000) : 1 + random.below(300)
                let start = written[index]
                connections[index].write((start..<(start + size)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) })
                written[index] += size
            }
            round += 1
            if round < rounds { queue.async { writeRound?() } } else { done.signal() }
        }
        for index in closing { close(peers[index]) }
        // The other peers read as the writes go on, on a thread of their own, until told to stop.
        let eager = (0..<count).filter { !closing.contains($0) && !slow.contains($0) }
        let reader = EagerReader(fds: eager.map { peers[$0] })
        reader.start()
        queue.async { writeRound?() }
        #expect(done.wait(timeout: .now() + 30) == .success)
        let expected = queue.sync { written }
        let early = reader.stop(expecting: eager.map { expected[$0] })
        // The slow peers start reading only now, with their sockets long full.
        for index in 0..<count where !closing.contains(index) {
            let have = eager.firstIndex(of: index).map { early[$0] } ?? []
            let received = have + SocketPairs.read(expected[index] - have.count, from: peers[index]).bytes
            let wanted = (0..<expected[index]).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index) }
            let same = received == wanted
            #expect(
                same,
                "connection \(index)\(slow.contains(index) ? " (slow)" : ""): \(received.count) of \(wanted.count) bytes"
            )
        }
        let closedEarly = queue.sync { closing.filter { connections[$0].isClosed }.count }
        #expect(closedEarly == closing.count, "a connection whose peer closed must close when sent to")
        queue.sync { for connection in connections { connection.close(reason: .quit) } }
        for (index, fd) in peers.enumerated() where !closing.contains(index) { close(fd) }
    }

    /// Reads `fds` on a thread of its own, keeping each one's bytes, until `stop` says how many each
    /// should have and they have come (or 30 seconds have passed).
    private final class EagerReader: @unchecked Sendable {  // state under `lock`
        private let fds: [Int32]
        private let lock = NSLock()
        private var received: [[UInt8]]
        private var wanted: [Int]?
        private let finished = DispatchSemaphore(value: 0)

        init(fds: [Int32]) {
            self.fds = fds
            received = Array(repeating: [], count: fds.count)
        }

        func start() {
            Thread { [self] in
                var chunk = [UInt8](repeating: 0, count: 65536)
                let deadline = MonotonicClock.now() + 30
                while MonotonicClock.now() < deadline {
                    let complete = lock.withLock {
                        wanted.map { wanted in zip(received, wanted).allSatisfy { $0.count >= $1 } } ?? false
                    }
                    if complete { break }
                    var pollers = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
                    guard poll(&pollers, nfds_t(pollers.count), 50) > 0 else { continue }
                    for (index, poller) in pollers.enumerated() where poller.revents & Int16(POLLIN) != 0 {
                        let got = chunk.withUnsafeMutableBytes { recv(fds[index], $0.baseAddress, $0.count, 0) }
                        if got > 0 { lock.withLock { received[index] += chunk[0..<got] } }
                    }
                }
                finished.signal()
            }.start()
        }

        func stop(expecting wanted: [Int]) -> [[UInt8]] {
            lock.withLock { self.wanted = wanted }
            _ = finished.wait(timeout: .now() + 40)
            return lock.withLock { received }
        }
    }
}
