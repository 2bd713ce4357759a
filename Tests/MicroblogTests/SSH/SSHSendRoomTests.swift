import MicroblogTestSupport
import Testing

@testable import MicroblogSSH

#if canImport(Glibc)
    import Glibc
#endif

/// `SSHSocketSources.nothingQueued`, which decides when libssh may `send` at once: a `send` that fails
/// with EAGAIN ends a libssh session, so it must say no while anything is queued on the socket.
@Suite struct SSHSendRoomTests {
    @Test func yesOnlyWhileNothingIsQueued() throws {
        let (server, peer) = try Self.loopbackPair()
        defer {
            close(server)
            close(peer)
        }
        #expect(SSHSocketSources.nothingQueued(server))

        // The peer does not read: fill the socket until it refuses.
        let chunk = [UInt8](repeating: 0x61, count: 4096)
        var sent = 0
        while sent < 64 << 20 {
            let result = chunk.withUnsafeBytes { send(server, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if result < 0 {
                #expect(errno == EAGAIN || errno == EWOULDBLOCK)
                break
            }
            sent += result
        }
        #expect(!SSHSocketSources.nothingQueued(server))

        // The peer reads it all: the acknowledged bytes leave the send queue.
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var received = 0
        while received < sent {
            let count = buffer.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, 0) }
            try #require(count > 0)
            received += count
        }
        #expect(waitUntil(timeout: 5) { SSHSocketSources.nothingQueued(server) })
    }

    /// A connected TCP pair on 127.0.0.1: the accepted end non-blocking (as the listener makes it), the
    /// connecting end blocking.
    static func loopbackPair() throws -> (server: Int32, peer: Int32) {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                try #require(bind(listener, raw, length) == 0)
                try #require(listen(listener, 1) == 0)
                try #require(getsockname(listener, raw, &length) == 0)
            }
        }
        let peer = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(peer >= 0)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(peer, $0, length) }
        }
        try #require(connected == 0)
        let server = accept(listener, nil, nil)
        try #require(server >= 0)
        _ = fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK)
        return (server, peer)
    }
}
