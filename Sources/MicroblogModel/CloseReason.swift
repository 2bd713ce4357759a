/// Why a session ended; logged.
public enum CloseReason: String, Sendable {
    case quit
    case peerClosed = "peer_closed"
    case error
    case shutdown
    case idle
    case slowReader = "slow_reader"
    case banned
    /// Ended by an administrator's `/kick`.
    case kicked
    /// Turned away at a connection limit.
    case refused
}
