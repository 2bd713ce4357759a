import MicroblogProtocol

/// How a session's output looks: the protocol mode, colour, and whether the server draws the client's
/// whole terminal. Confined to the server queue, as its `Session`; read for every live post.
struct ViewSettings {
    var mode = OutputMode.text
    /// ANSI colour in text mode (`/color on`).
    var color = false
    /// True for an SSH session with a PTY: the client's terminal is raw and shows only what the server
    /// sends, so text mode is always character mode (the server echoes and edits the line).
    var ownsTerminal = false
}
