/// The door a client came in by: the plain port or the TLS port. Everything after the door is the same.
public enum Door: String, Sendable {
    case plain
    case tls
}
