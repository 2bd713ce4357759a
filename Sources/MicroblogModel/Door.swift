/// The door a client came in by: the plain port, the TLS port, the SSH port, or the web door (HTTP).
/// Everything after the first three is the same, except that an SSH channel never carries telnet (see
/// `Session`'s `TerminalCodec`); the web door opens no session.
public enum Door: String, Sendable {
    case plain
    case tls
    case ssh
    case web
}
