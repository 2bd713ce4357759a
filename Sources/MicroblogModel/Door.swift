/// The door a client came in by: the plain port, the TLS port, or the SSH port. Everything after the door is
/// the same, except that an SSH channel never carries telnet (see `Session`'s `TerminalCodec`).
public enum Door: String, Sendable {
    case plain
    case tls
    case ssh
}
