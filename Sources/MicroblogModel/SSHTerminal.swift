/// The terminal an SSH channel asked for: with a PTY, character mode at its width (as telnet character
/// mode); without one (`ssh -T`, a one-shot command), plain lines, as with nc.
public struct SSHTerminal: Sendable, Equatable {
    public var pty: Bool
    public var columns: Int?

    public init(pty: Bool, columns: Int?) {
        self.pty = pty
        self.columns = columns
    }
}
