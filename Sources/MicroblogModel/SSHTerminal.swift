/// The terminal an SSH channel asked for: with a PTY, character mode at its width (as telnet character
/// mode); without one (`ssh -T`, a one-shot command), plain lines, as with nc.
package struct SSHTerminal: Sendable, Equatable {
    package var pty: Bool
    package var columns: Int?

    package init(pty: Bool, columns: Int?) {
        self.pty = pty
        self.columns = columns
    }
}
