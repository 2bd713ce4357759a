import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Character mode for telnet clients: offered to every client that shows it speaks telnet, entered once
/// the client agrees (see `TerminalCodec`), and `/term char|line` to choose by hand.
extension Microblog {
    /// Offers character mode to a text-mode session whose client has shown it speaks telnet (it sent a
    /// telnet command, or ended a line with CR LF or CR NUL as telnet clients do and netcat does not).
    /// Called as input arrives, so a telnet user is offered character mode on their first line at the
    /// latest. Netcat never is.
    func offerCharacterModeIfTelnet(_ session: Session) {
        // Nothing after a goodbye: the connection is closing.
        guard !session.lifecycle.isLeaving else { return }
        guard let offer = session.terminal.offerCharacterModeIfTelnet(textMode: session.mode == .text) else { return }
        session.sendRaw(offer)
    }

    func setTerminal(characters: Bool, for session: Session) {
        if session.view.ownsTerminal && session.mode == .text {
            // An SSH terminal is raw: without the server's echo nothing typed would show.
            guard characters else {
                return session.send(
                    .error(
                        WireError(
                            .badUsage, "an SSH terminal is always in character mode; connect with ssh -T for line mode"),
                        command: "term"))
            }
            return session.send(.ok(Ack(command: "term", message: "character mode", fields: [.bool("char", true)])))
        }
        guard characters else {
            session.sendRaw(session.terminal.chooseLineMode())
            return session.send(.ok(Ack(command: "term", message: "line mode", fields: [.bool("char", false)])))
        }
        guard session.mode == .text, session.isTelnetLike else {
            return session.send(
                .error(WireError(.badUsage, "character mode needs a telnet client in text mode"), command: "term"))
        }
        session.sendRaw(session.terminal.requestCharacterMode())
        let message =
            session.terminal.isCharacterMode
            ? "character mode is on: the server edits your line (/term line gives it back)"
            : "asked your telnet client to let the server edit your line; you will be told if it refuses"
        session.send(.ok(Ack(command: "term", message: message, fields: [.bool("char", true)])))
    }

    /// Leaves character mode (for JSON mode, which never edits lines).
    func leaveCharacterMode(_ session: Session) {
        session.sendRaw(session.terminal.leaveCharacterMode())
    }
}
