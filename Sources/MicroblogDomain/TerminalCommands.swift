import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Character mode for telnet clients: offered to every client that shows it speaks telnet, entered once
/// the client agrees (see `TerminalCodec`), and `/term char|line` to choose by hand.
extension Microblog {
    /// Offers character mode to a text-mode session whose client has sent a telnet command. Called as
    /// input arrives, so such a client is offered character mode at once; one that only ends its lines
    /// with CR LF (the Linux `telnet` client on a port other than 23) is probed before its first line
    /// runs (`probeTelnet`). Netcat never is offered anything.
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

    /// How long a client that ends lines with CR LF has to answer the probe before its first line runs
    /// as a client that speaks no telnet: a telnet client answers within a round trip.
    static let telnetProbeTimeout = 0.5

    /// Probes a client that ends lines with CR LF but has sent no telnet command (see
    /// `TerminalCodec.needsTelnetProbe`): offers character mode, and holds its lines until it answers
    /// (`telnetProbeAnswered`) or `telnetProbeTimeout` passes. The Linux `telnet` client, which
    /// negotiates nothing of its own on a port other than 23, answers at once and its first line runs in
    /// character mode; `nc -C` waits once, and is then sent no telnet byte again (its password prompts
    /// warn that its terminal shows what is typed, rather than turning off an echo it does not have).
    func probeTelnet(_ session: Session) {
        session.sendRaw(session.terminal.probeTelnet())
        let reply = waiting(session, command: nil)
        session.telnetProbe = reply
        queue.asyncAfterConfined(.milliseconds(Int(Self.telnetProbeTimeout * 1000))) {
            guard session.telnetProbe === reply else { return }  // answered
            session.telnetProbe = nil
            session.terminal.probeUnanswered()
            reply.finish()
        }
    }

    /// Lets a probed client's lines run once it has answered with a telnet command.
    func telnetProbeAnswered(_ session: Session) {
        guard session.terminal.probeAnswered, let reply = session.telnetProbe else { return }
        session.telnetProbe = nil
        reply.finish()
    }

    /// True when `input` needs no terminal, so its client is not probed before it runs: `/mode json` (a
    /// bot that asks for JSON first never sees a telnet byte), `/quit` and Ctrl-D (a goodbye is the last
    /// thing sent).
    static func needsNoTerminal(_ input: Session.Input?) -> Bool {
        switch input {
        case .endOfTransmission: return true
        case .line(let bytes):
            guard let line = String(validating: bytes, as: UTF8.self) else { return false }
            switch CommandParser.read(line) {
            case .command(_, .success(.mode(.json))), .command(_, .success(.quit)): return true
            default: return false
            }
        default: return false
        }
    }

    /// Leaves character mode (for JSON mode, which never edits lines).
    func leaveCharacterMode(_ session: Session) {
        session.sendRaw(session.terminal.leaveCharacterMode())
    }
}
