import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// The input pipeline of a session: bytes → lines → commands, one command in flight at a time,
/// so replies come in the order the lines were sent even when a command waits for storage.
extension Microblog {
    /// Feeds bytes read from the session's connection.
    ///
    /// Input is decoded in slices of `inputSliceBytes`, and decoding stops as soon as the session may
    /// take no more: its output is at the limit (it does not read what its input makes the server say,
    /// be it telnet answers, echoes, completions or errors) or `maxQueuedLines` lines wait. The rest of
    /// the read is held, reading stops, and the kernel pushes back on the sender until it catches up.
    /// So the output one connection can queue is bounded by `outputLimit` plus what one slice can
    /// provoke, whatever kind of input it floods with.
    public func receive(_ bytes: UnsafeRawBufferPointer, for session: Session) {
        checkConfined()
        guard !session.closed else { return }
        session.lastInput = MonotonicClock.now()
        if !session.heldInput.isEmpty {
            // Reading is paused while input is held; a read that still arrives waits behind it.
            session.heldInput.append(contentsOf: bytes)
            session.output.pauseReading()
            return
        }
        let consumed = decodeInput(bytes, for: session)
        if consumed < bytes.count { holdInput(Array(bytes[consumed...]), for: session) }
        telnetProbeAnswered(session)
        processQueued(session)
        // After the lines have run: a bot whose first line is "/mode json" is never offered anything. (A
        // client known only by its CR LF line ends is probed before its first line runs, in runQueued.)
        offerCharacterModeIfTelnet(session)
    }

    /// Bytes decoded between two checks of the session's limits: small, so that the output a slice can
    /// provoke beyond `outputLimit` stays small (64 Tab presses in character mode, 32 telnet AYTs).
    static let inputSliceBytes = 64

    /// True when the session may take no more input until its client reads or its lines have run.
    func mustHoldInput(_ session: Session) -> Bool {
        session.closed || session.isOutputFull || session.queuedCount >= settings.maxQueuedLines
    }

    /// Decodes `bytes` slice by slice while the session may take input; returns how many were decoded.
    private func decodeInput(_ bytes: UnsafeRawBufferPointer, for session: Session) -> Int {
        var offset = 0
        while offset < bytes.count && !mustHoldInput(session) {
            let end = min(bytes.count, offset + Self.inputSliceBytes)
            session.terminal.receive(
                UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), answeringTelnet: session.mode == .text)
            takeTerminalEvents(session)
            offset = end
        }
        return offset
    }

    /// Keeps input that may not be decoded yet, and stops reading until it has been.
    private func holdInput(_ rest: [UInt8], for session: Session) {
        guard !session.closed else { return }
        session.heldInput = rest
        session.output.pauseReading()
        // While the greeting or a command is waited for, its end runs the queue, which comes back here.
        if session.isOutputFull && session.lifecycle == .ready {
            session.lifecycle = .waitingForDrain
            session.output.notifyWhenDrained()
        }
    }

    /// Decodes held input once the session may take it again. False when some is still held.
    private func releaseHeldInput(_ session: Session) -> Bool {
        guard !session.heldInput.isEmpty else { return true }
        let held = session.heldInput
        session.heldInput = []
        held.withUnsafeBytes { raw in
            let consumed = decodeInput(raw, for: session)
            if consumed < raw.count { holdInput(Array(raw[consumed...]), for: session) }
        }
        return session.heldInput.isEmpty
    }

    /// The client will send nothing more: finish what it sent, then close.
    public func inputEnded(for session: Session) {
        checkConfined()
        if let line = session.terminal.finish() { session.enqueue(.line(line)) }
        session.inputEnded = true
        processQueued(session)
    }

    /// Runs queued lines until one needs to wait. Called again when a waiting command finishes, when a
    /// rate-limit pause ends, and when a full output buffer has drained.
    func processQueued(_ session: Session) {
        while runQueued(session) {}
    }

    /// One round of `processQueued`: runs lines, then takes held input if it may. True when held input
    /// was decoded into new lines, so another round must run them.
    private func runQueued(_ session: Session) -> Bool {
        while session.lifecycle == .ready && !desk.shuttingDown && session.queuedCount > 0 {
            if session.terminal.needsTelnetProbe(textMode: session.mode == .text), !Self.needsNoTerminal(session.peek())
            {
                // Its first line runs once it is known whether the client speaks telnet.
                probeTelnet(session)
                return false
            }
            // While posts are in flight, only more posts may start; anything else waits for their replies.
            var pipelined: (text: String, author: User)?
            if session.postsInFlight > 0 {
                guard let post = pipelinablePost(session.peek(), for: session) else { return false }
                pipelined = post
            }
            if session.isOutputFull {
                // The client is not reading its replies: stop running its lines (and so reading its
                // socket) until it does, so one client cannot grow the server's memory.
                session.lifecycle = .waitingForDrain
                session.output.pauseReading()
                session.output.notifyWhenDrained()
                return false
            }
            if let wait = session.commandBucket.take(now: MonotonicClock.now()) {
                // Too many lines too fast: they are not refused, just run later.
                let pause = waiting(session, command: nil)
                queue.asyncAfterConfined(.milliseconds(max(1, Int((wait * 1000).rounded(.up))))) { pause.finish() }
                return false
            }
            guard let input = session.dequeue() else { break }
            if let pipelined {
                // Parsed and checked above: not again.
                posting.submitPost(pipelined.text, by: pipelined.author, for: session)
                continue
            }
            switch input {
            case .lineTooLong:
                session.send(
                    .error(
                        WireError(
                            .lineTooLong,
                            "lines are limited to \(settings.maxLineBytes) bytes; that line was discarded"),
                        command: nil))
            case .line(let bytes):
                handleLine(bytes, for: session)
            case .endOfTransmission:
                // As in character mode: an empty answer cancels a prompt; anywhere else it leaves.
                handleLine(session.prompt == nil ? Array(LineEditor.endOfInputLine.utf8) : [], for: session)
            }
        }
        guard session.lifecycle == .ready && session.postsInFlight == 0 && !desk.shuttingDown else { return false }
        if session.queuedCount < settings.maxQueuedLines / 4 {
            guard releaseHeldInput(session) else { return session.queuedCount > 0 }
            if session.queuedCount > 0 { return true }
            session.output.resumeReading()
        }
        if session.inputEnded && session.queuedCount == 0 && session.heldInput.isEmpty {
            if session.prompt != nil { accounts.endPrompt(session) }
            session.output.closeAfterFlush(reason: .peerClosed)
        }
        return false
    }

    /// The post `input` makes, checked, when it will be accepted (so its reply is an acknowledgement in
    /// its turn): valid, within the posting rate, by a logged-in session at no prompt. Anything else (nil)
    /// waits until the posts in flight are acknowledged, so that its reply, an error included, comes
    /// after theirs. A post returned here is submitted as it is, without being parsed again.
    func pipelinablePost(_ input: Session.Input?, for session: Session) -> (text: String, author: User)? {
        guard session.prompt == nil, !desk.shuttingDown, let user = session.user, case .line(let bytes) = input,
            let line = String(validating: bytes, as: UTF8.self),
            case .success(.post(let raw)) = CommandParser.parse(line), case .success(let text) = PostRules.validate(raw)
        else { return nil }
        return limits.mayPost(user.id) ? (text, user) : nil
    }

    /// Holds the session's lines until the returned reply is finished (see `CommandDesk.waiting`).
    func waiting(_ session: Session, command: String?) -> CommandReply {
        desk.waiting(session, command: command)
    }

    private func handleLine(_ bytes: [UInt8], for session: Session) {
        guard let line = String(validating: bytes, as: UTF8.self) else {
            if session.prompt != nil { accounts.endPrompt(session) }
            session.send(
                .error(WireError(.badUTF8, "that line was not valid UTF-8 text; it was ignored"), command: nil))
            return
        }
        if let prompt = session.prompt {
            accounts.answerPrompt(prompt, with: line, for: session)
            return
        }
        guard let parsed = CommandParser.read(line) else { return }
        if session.mode == .text { session.terminal.remember(line: line) }
        switch parsed {
        case .command(let spec, .success(let command)): run(command, of: spec, for: session)
        case .command(let spec, .failure(let error)): session.send(.error(error, command: spec.name))
        case .unknown(let error): session.send(.error(error, command: nil))
        }
    }

    /// Runs `command`, parsed by its entry `spec`, with the handler the registry pairs with it, once the
    /// entry's access admits the session.
    private func run(_ command: Command, of spec: CommandSpec, for session: Session) {
        switch CommandHandler.of(command) {
        case .anyone(let handle):
            guard admit(spec.access, command: spec.name, for: session) else { return }
            handle(self, session)
        case .account(let handle):
            // A handler that needs an account is refused to a guest even if its entry were to say anyone
            // (a test checks that they agree); once admitted, the session has an account.
            let access =
                spec.access == .anyone
                ? .account(notLoggedIn: CommandAccess.loginSentence(toDo: spec.name)) : spec.access
            guard admit(access, command: spec.name, for: session), let user = session.user else { return }
            handle(self, session, user)
        }
    }

    /// Checks who may run the command named `name` (its entry's `CommandAccess`), the one place this is
    /// checked, and answers a refusal: `not_logged_in` for a guest, `forbidden` for someone not an administrator.
    private func admit(_ access: CommandAccess, command name: String, for session: Session) -> Bool {
        guard let user = session.user else {
            switch access {
            case .anyone: return true
            case .account(let notLoggedIn), .administrator(let notLoggedIn, _):
                // Where passwords are refused, the usual hint (`/login NAME`) would only be refused too.
                let message =
                    accounts.passwordDoorsElsewhere(for: session).map { "log in over \($0) first" }
                    ?? CommandAccess.adapted(notLoggedIn, to: settings.registration)
                session.send(.error(WireError(.notLoggedIn, message), command: name))
                return false
            }
        }
        if case .administrator(_, let forbidden) = access, !settings.isAdmin(user) {
            session.send(.error(WireError(.forbidden, forbidden), command: name))
            return false
        }
        return true
    }

    /// Takes what the terminal decoded from one slice, in stream order: lines wait in the queue; telnet
    /// answers and echo go out at once, counted against the output limit like any reply. In JSON mode
    /// every line is one JSON object, so telnet answers are not sent (a bot is no telnet).
    private func takeTerminalEvents(_ session: Session) {
        while let event = session.terminal.nextEvent() {
            switch event {
            case .line(let line): session.enqueue(.line(line))
            case .lineTooLong: session.enqueue(.lineTooLong)
            case .endOfTransmission: session.enqueue(.endOfTransmission)
            case .send(let bytes): session.sendRaw(bytes)
            case .complete(let word, let typed):
                // Completion answers, then the keys after the Tab, are handled in order.
                session.terminal.complete(with: completions(for: word, typedBefore: typed, session: session))
            case .areYouThere: session.send(.notice("\(settings.serverName) is here"))
            case .interrupt:
                // At a password prompt, as an empty answer: cancelled. Anywhere else an empty line is nothing.
                if session.prompt != nil || session.queuedCount > 0 { session.enqueue(.line([])) }
            case .characterModeRefused: session.send(.notice("your client refused character mode; line mode it is"))
            }
        }
    }
}

extension Microblog {
    /// Reads the newest account names for Tab completion (see `knownNames`); called once at start.
    public func loadKnownNames() {
        checkConfined()
        storage.perform({ store in try store.accountNames(limit: SessionDirectory.maxKnownNames) }) { [self] result in
            switch result {
            case .success(let users):
                directory.rememberNames(users)
            case .failure(let error): desk.logStorageFault(error, command: "names", conn: nil)
            }
        }
    }

    /// A deleted account (here or on another node) is no longer offered by Tab.
    func forgetDeletedAccount(_ userID: Int64) {
        directory.forgetName(userID)
    }

    /// What Tab may complete the last word of `typed` (the input line up to the cursor) to: a command
    /// the session may run, at the start of the line; an account's name where a command takes a NAME
    /// (see `CommandSpec.nameArgument`), or after `@` anywhere. Names online come first, then the
    /// other known accounts, each group in alphabetical order.
    func completions(for word: String, typedBefore typed: String, session: Session) -> [String] {
        let words = typed.split(separator: " ", omittingEmptySubsequences: true)
        // The index of the word being completed among the line's words.
        let index = word.isEmpty ? words.count : words.count - 1
        if index == 0 && word.hasPrefix("/") {
            let user = session.user
            let admin = user.map(settings.isAdmin) ?? false
            return CommandTable.all.filter { $0.access.allows(loggedIn: user != nil, administrator: admin) }
                .map { "/" + $0.name }.sorted()
        }
        var wantsName = word.hasPrefix("@")
        if !wantsName, index >= 1, let first = words.first, first.hasPrefix("/"),
            let spec = CommandTable.spec(named: String(first.dropFirst())), let position = spec.nameArgument
        {
            wantsName = index - 1 == position
        }
        guard wantsName else { return [] }
        // Only the names the word starts are sorted, so a Tab after a few letters stays cheap on a big site.
        let typedName = (word.hasPrefix("@") ? word.dropFirst() : word[...]).lowercased()
        let starts = { (name: String) in typedName.isEmpty || name.lowercased().hasPrefix(typedName) }
        var here = Set(directory.sessionsByUser.values.compactMap { $0.first?.user?.name }.filter(starts))
        here.formUnion(directory.remoteNames.filter(starts))
        let others = directory.knownNames.values.filter { starts($0) && !here.contains($0) }
        let prefix = word.hasPrefix("@") ? "@" : ""
        return (here.sorted() + others.sorted()).map { prefix + $0 }
    }
}
