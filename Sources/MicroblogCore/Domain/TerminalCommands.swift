/// `/term char|line`: server-side line editing for telnet clients.
extension Microblog {
    func setTerminal(characters: Bool, for session: Session) {
        guard characters else {
            leaveCharacterMode(session)
            return session.send(.ok(Ack(command: "term", message: "line mode", fields: [.bool("char", false)])))
        }
        guard session.mode == .text, session.isTelnetLike else {
            return session.send(
                .error(
                    WireError(.badUsage, "character mode needs a telnet client in text mode"), command: "term"))
        }
        if session.editor == nil {
            // WILL ECHO and WILL SUPPRESS-GO-AHEAD: the client sends each key and shows only what we echo.
            session.sendRaw(
                session.negotiator.set(Telnet.optionEcho, true)
                    + session.negotiator.set(Telnet.optionSuppressGoAhead, true))
            session.decoder.passesData = true
            session.editor = LineEditor(prompt: Session.characterModePrompt, maxBytes: settings.maxLineBytes)
        }
        session.send(.ok(Ack(command: "term", message: "character mode", fields: [.bool("char", true)])))
    }

    func leaveCharacterMode(_ session: Session) {
        guard session.editor != nil else { return }
        session.sendRaw(LineEditor.clearLine)
        session.editor = nil
        session.decoder.passesData = false
        session.sendRaw(
            session.negotiator.set(Telnet.optionEcho, false)
                + session.negotiator.set(Telnet.optionSuppressGoAhead, false))
    }
}
