/// Character mode for telnet clients: offered to every client that shows it speaks telnet, entered once
/// the client agrees, and `/term char|line` to choose by hand.
extension Microblog {
    /// Offers character mode (WILL ECHO, WILL SUPPRESS-GO-AHEAD) to a text-mode session whose client has
    /// shown it speaks telnet: it sent a telnet command, or ended a line with CR LF or CR NUL as telnet
    /// clients do and netcat does not. Called as input arrives, so a telnet user is offered character
    /// mode on their first line at the latest. Netcat never is.
    func offerCharacterModeIfTelnet(_ session: Session) {
        guard settings.characterModeOffer, !session.characterModeOffered, !session.characterModeDeclined,
            session.mode == .text,
            session.isTelnetLike, session.editor == nil
        else { return }
        offerCharacterMode(session)
    }

    private func offerCharacterMode(_ session: Session) {
        session.characterModeOffered = true
        session.sendRaw(
            session.negotiator.set(Telnet.optionEcho, true) + session.negotiator.set(Telnet.optionSuppressGoAhead, true)
                + session.negotiator.askForWindowSize())
    }

    /// After a read has been decoded (the decoder is not to be touched while it decodes): enter character
    /// mode once the client agreed to both options, or leave it (and forget the offer) when it refused either.
    func followNegotiation(_ session: Session) {
        guard session.characterModeOffered else { return }
        let negotiator = session.negotiator
        if session.editor == nil && negotiator.isCharacterMode {
            enterCharacterMode(session)
        } else if !(negotiator.wants(Telnet.optionEcho) && negotiator.wants(Telnet.optionSuppressGoAhead)) {
            let wasEditing = session.editor != nil
            session.characterModeOffered = false
            session.characterModeDeclined = true
            if wasEditing { leaveCharacterMode(session) }
            if session.characterModeRequested {
                session.characterModeRequested = false
                session.send(.notice("your client refused character mode; line mode it is"))
            }
        }
    }

    private func enterCharacterMode(_ session: Session) {
        var editor = LineEditor(prompt: Session.characterModePrompt, maxBytes: settings.maxLineBytes)
        editor.width = session.windowWidth
        if let prompt = session.prompt {
            editor.prompt = prompt.text
            editor.mask = "*"
        }
        // Keys typed before the switch are not lost: the half line moves into the editor.
        let partial = session.decoder.takePendingLine()
        session.decoder.passesData = true
        session.editor = editor
        _ = session.editor?.feed(partial)
        session.sendRaw(session.editor?.redraw() ?? [])
    }

    func setTerminal(characters: Bool, for session: Session) {
        guard characters else {
            session.characterModeRequested = false
            session.characterModeDeclined = true
            leaveCharacterMode(session)
            return session.send(.ok(Ack(command: "term", message: "line mode", fields: [.bool("char", false)])))
        }
        guard session.mode == .text, session.isTelnetLike else {
            return session.send(
                .error(WireError(.badUsage, "character mode needs a telnet client in text mode"), command: "term"))
        }
        session.characterModeRequested = true
        session.characterModeDeclined = false
        if session.editor == nil && !session.characterModeOffered { offerCharacterMode(session) }
        let message = session.editor == nil ? "character mode asked of your client" : "character mode"
        session.send(.ok(Ack(command: "term", message: message, fields: [.bool("char", true)])))
    }

    func leaveCharacterMode(_ session: Session) {
        session.characterModeOffered = false
        guard session.editor != nil || session.negotiator.wants(Telnet.optionSuppressGoAhead) else { return }
        if session.editor != nil { session.sendRaw(LineEditor.clearLine) }
        session.editor = nil
        session.decoder.passesData = false
        // Echo stays on while a hidden prompt waits for its answer.
        let echo = session.prompt == nil ? session.negotiator.set(Telnet.optionEcho, false) : []
        session.sendRaw(echo + session.negotiator.set(Telnet.optionSuppressGoAhead, false))
    }
}
