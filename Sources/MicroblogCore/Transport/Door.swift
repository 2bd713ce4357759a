/// The door a client came in by: the plain port, the TLS port, or the SSH port. Everything after the door is
/// the same, except that an SSH channel never carries telnet (see `Session`'s `TerminalCodec`).
public enum Door: String, Sendable {
    case plain
    case tls
    /// Work in progress (issue 14): no session has this door yet; `SSHConnection` denies every login.
    case ssh
}
