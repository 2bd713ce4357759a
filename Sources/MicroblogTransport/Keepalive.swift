import Dispatch
import MicroblogModel
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// TCP keepalive settings that find a vanished peer in about two minutes without traffic of our own.
enum Keepalive {
    static let idleSeconds: Int32 = 60
    static let intervalSeconds: Int32 = 10
    static let probes: Int32 = 6

    static func enable(on fd: Int32) {
        SocketAddress.setOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1)
        SocketAddress.setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, idleSeconds)
        SocketAddress.setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, intervalSeconds)
        SocketAddress.setOption(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, probes)
    }
}
