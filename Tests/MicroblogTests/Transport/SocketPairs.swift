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

/// Connections over socket pairs for the Transport tests: the server's end non-blocking, as the
/// listener makes it, the peer's blocking. Used from the test's thread.
enum SocketPairs {
    /// A connected pair: (the server's end, the peer's end).
    static func make() throws -> (server: Int32, peer: Int32) {
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (fds[0], fds[1])
    }

    /// A connection on the server's end `fd`; call on `queue`.
    static func connection(
        _ fd: Int32, id: Int, queue: DispatchQueue, flusher: FlushScheduler, readBuffer: ReadBuffer = ReadBuffer()
    ) -> Connection {
        Connection(
            accepted: Listener.Accepted(fd: fd, peer: "peer", peerHost: "host"), id: id, queue: queue,
            flusher: flusher, readBuffer: readBuffer)
    }

    /// `count` connections on new pairs, with their peers' ends.
    static func connections(
        _ count: Int, queue: DispatchQueue, flusher: FlushScheduler
    ) throws -> (connections: [Connection], peers: [Int32]) {
        let readBuffer = ReadBuffer()
        var peers: [Int32] = []
        nonisolated(unsafe) var connections: [Connection] = []
        for index in 0..<count {
            let (server, peer) = try make()
            peers.append(peer)
            queue.sync {
                connections.append(
                    connection(server, id: index, queue: queue, flusher: flusher, readBuffer: readBuffer))
            }
        }
        return (connections, peers)
    }

    /// Reads from `fd` until `count` bytes have come, the peer closes, or `seconds` pass: what came, and
    /// whether the peer's close was seen.
    static func read(
        _ count: Int = .max, from fd: Int32, within seconds: Double = 10
    ) -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let deadline = MonotonicClock.now() + seconds
        while received.count < count {
            let left = Int32(max(0, (deadline - MonotonicClock.now()) * 1000))
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard left > 0, poll(&poller, 1, left) == 1 else { break }
            let got = chunk.withUnsafeMutableBytes {
                recv(fd, $0.baseAddress, min($0.count, count - received.count), 0)
            }
            if got == 0 { return (received, true) }
            guard got > 0 else { break }
            received += chunk[0..<got]
        }
        return (received, false)
    }
}
