import MicroblogModel
import MicroblogSupport

/// One connection's terminal, between its byte stream and its session: bytes in become lines and
/// key events, messages out become the bytes a terminal shows.
///
/// In: the `LineDecoder` splits lines and removes telnet commands; the `TelnetNegotiator` answers them;
/// in character mode the `LineEditor` echoes keys and hands back lines. Out: messages are wrapped to
/// `textWidth` (the window's, or 80 columns) by their renderer; in character mode the input line is
/// cleared before each and redrawn after it; a password is masked (stars in character mode, the
/// client's echo turned off in line mode).
///
/// Nothing here writes: whatever must go to the peer (telnet answers, echo, redraws) comes back as
/// bytes, for the caller to queue with the rest of its output so that it counts against the same limit.
/// Input is pulled: `receive` takes a slice of bytes, then `nextEvent` hands its events over one at a
/// time, in stream order, so the caller may read and use the codec (render a notice, answer a
/// completion) between two events.
///
/// The byte stream may be telnet (raw TCP, or a TLS stream a telnet client may use: telnet is then
/// detected and character mode offered), or a stream that never carries telnet (`telnet: false`, e.g.
/// an SSH channel), whose layer reports the window size with `setWindowSize` and, when it has a PTY,
/// starts line editing with `enterCharacterMode`.
///
/// A pure value: no sockets, no queues. Owned by its connection's session, on the server queue.
public struct TerminalCodec: Sendable {
    public let configuration: Configuration
    private var decoder: LineDecoder
    private var negotiator = TelnetNegotiator()
    /// Character mode's line editor; nil in line mode. Boxed, so that a connection in line mode (most
    /// watchers: bots, nc) carries 8 bytes for it rather than the editor's 120; copied on write, so the
    /// codec stays a value.
    private var editorBox: EditorBox?
    private var editor: LineEditor? {
        get { editorBox?.editor }
        set {
            guard let newValue else {
                editorBox = nil
                return
            }
            if isKnownUniquelyReferenced(&editorBox) {
                editorBox?.editor = newValue
            } else {
                editorBox = EditorBox(newValue)
            }
        }
    }
    /// The terminal's width in columns, when reported (telnet NAWS, or the stream's own layer).
    public private(set) var windowWidth: Int?
    /// Character mode has been offered and not refused.
    private var characterModeOffered = false
    /// The client refused character mode, or the person chose line mode: it is not offered again.
    private var characterModeDeclined = false
    /// The person asked for character mode (`/term char`), so a refusal is reported.
    private var characterModeRequested = false
    /// Where the probe of a client that ends lines with CR LF but has sent no telnet command stands.
    private var probe = TelnetProbe.notSent
    /// The prompt of the hidden value being typed, between `hideInput` and `showInput`.
    private var hiddenPrompt: String?

    /// The current slice's decoded input not yet handed over, the editor's actions not yet handed over,
    /// and events ready for the caller.
    private var inputs: [InputEvent] = []
    private var inputIndex = 0
    private var actions: [LineEditor.Action] = []
    private var actionIndex = 0
    private var ready: [Event] = []
    private var readyIndex = 0
    private var answersTelnet = true
    private var awaitingCompletion = false
    /// Lines run before character mode began (typed in line mode), for the editor's Up history.
    private var earlyHistory: [String] = []
    /// Lines typed in line mode (not blank, no prompt open) handed over and not yet run: one may run
    /// after character mode began (the first line of a probed client), and still belongs in its history.
    private var lineModeLinesToRun = 0
    private var negotiationFollowed = true

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.decoder = LineDecoder(maxLineBytes: configuration.maxLineBytes, telnet: configuration.telnet)
    }

    /// True once the client has shown it speaks telnet: any telnet command, or CR LF / CR NUL line ends,
    /// as telnet clients send and netcat does not, unless a probe of it went unanswered (`nc -C` ends
    /// lines with CR LF too). Always false on a stream without telnet.
    public var isTelnetLike: Bool {
        configuration.telnet && (decoder.sawTelnet || (decoder.sawCRLF && probe != .unanswered))
    }

    /// True while keys are edited here (character mode) rather than by the client.
    public var isCharacterMode: Bool { editor != nil }

    // MARK: - Input

    /// Decodes a slice of input; take its events with `nextEvent` before the next slice. Telnet answers
    /// are dropped unless `answeringTelnet` (a program reading JSON is no telnet client).
    public mutating func receive<Bytes: Sequence>(_ bytes: Bytes, answeringTelnet: Bool = true)
    where Bytes.Element == UInt8 {
        while nextEvent() != nil {}  // a caller that stopped early loses the last slice's rest
        answersTelnet = answeringTelnet
        // Into a local (the closure may not reach `self` while the decoder changes), keeping the capacity.
        var decoded = inputs
        inputs = []
        decoded.removeAll(keepingCapacity: true)
        decoder.decode(bytes) { decoded.append($0) }
        inputs = decoded
        inputIndex = 0
        negotiationFollowed = false
    }

    /// The next event of the slice given to `receive`, or nil when it has all been handed over. Once it
    /// has, character mode is entered (or left) as the negotiation so far says.
    public mutating func nextEvent() -> Event? {
        while true {
            if readyIndex < ready.count {
                defer { readyIndex += 1 }
                return ready[readyIndex]
            }
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            if awaitingCompletion {
                // Not answered: nothing to complete to, and the keys after the Tab go on.
                complete(with: [])
                continue
            }
            if actionIndex < actions.count {
                defer { actionIndex += 1 }
                take(actions[actionIndex])
                continue
            }
            actions.removeAll(keepingCapacity: true)
            actionIndex = 0
            if inputIndex < inputs.count {
                defer { inputIndex += 1 }
                take(inputs[inputIndex])
                continue
            }
            inputs.removeAll(keepingCapacity: true)
            inputIndex = 0
            guard !negotiationFollowed else {
                // All handed over: an idle session keeps no event arrays (a bot's session after its one
                // `/mode json` would hold three).
                releaseSpareCapacity()
                return nil
            }
            negotiationFollowed = true
            followNegotiation()
        }
    }

    private mutating func releaseSpareCapacity() {
        if inputs.capacity > 0 { inputs = [] }
        if ready.capacity > 0 { ready = [] }
        if actions.capacity > 0 { actions = [] }
    }

    /// Answers a `.complete` event: fills in the word from `candidates` (see `LineEditor.complete`),
    /// then goes on with the keys typed after the Tab. Their events follow from `nextEvent`.
    public mutating func complete(with candidates: [String]) {
        guard awaitingCompletion else { return }
        awaitingCompletion = false
        let more = editor?.complete(with: candidates) ?? []
        actions = more + actions[actionIndex...]
        actionIndex = 0
    }

    /// The peer will send nothing more: a line it did not end is still a line.
    public mutating func finish() -> [UInt8]? {
        var last: [UInt8]?
        decoder.finish { if case .line(let line) = $0 { last = line } }
        return last
    }

    private mutating func take(_ input: InputEvent) {
        switch input {
        case .line(let line):
            if hiddenPrompt == nil && line.contains(where: { $0 != 0x20 && $0 != 0x09 }) { lineModeLinesToRun += 1 }
            ready.append(.line(line))
        case .lineTooLong: ready.append(.lineTooLong)
        case .endOfTransmission: ready.append(.endOfTransmission)
        case .data(let keys):
            actions = editor?.feed(keys) ?? []
            actionIndex = 0
        case .telnet(let command): answer(command)
        }
    }

    private mutating func take(_ action: LineEditor.Action) {
        switch action {
        case .show(let bytes): ready.append(.send(bytes))
        case .line(let line): ready.append(.line(Array(line.utf8)))
        case .complete(let word):
            awaitingCompletion = true
            ready.append(.complete(word: word, line: editor.map { String($0.text[..<$0.cursor]) } ?? ""))
        }
    }

    private mutating func answer(_ command: TelnetCommand) {
        let reply = negotiator.answer(command)
        if !reply.isEmpty && answersTelnet { ready.append(.send(reply)) }
        if case .subnegotiation(Telnet.optionWindowSize, let size) = command, size.count >= 4 {
            setWindowSize(columns: Int(size[0]) << 8 | Int(size[1]))
        }
        // Answered only where telnet is (never in JSON mode, whose every line is JSON).
        if command == .other(Telnet.ayt) && answersTelnet { ready.append(.areYouThere) }
        // A line-mode telnet client sends Ctrl-C as IAC IP (with localchars); in character mode the
        // editor sees the key itself.
        if command == .other(Telnet.ip) && editor == nil { ready.append(.interrupt) }
    }

    /// Sets the terminal's width in columns (from NAWS, or from the stream's own layer, such as an SSH
    /// channel's window-change request); nil or a width under `minimumWidth` means unknown.
    public mutating func setWindowSize(columns: Int?) {
        let width = columns.flatMap { $0 >= Self.minimumWidth ? $0 : nil }
        windowWidth = width
        editor?.width = width
    }

    // MARK: - Character mode

    /// The bytes that offer character mode (WILL ECHO, WILL SUPPRESS-GO-AHEAD, DO NAWS) to a client that
    /// has shown it speaks telnet, in text mode, when offers are configured and it has not been offered
    /// or refused yet; nil when there is nothing to offer. Call it as input arrives, after its lines
    /// have run, so that a bot whose first line is `/mode json` is never offered anything.
    /// A client known only by its CR LF line ends is probed instead (`probeTelnet`).
    public mutating func offerCharacterModeIfTelnet(textMode: Bool) -> [UInt8]? {
        guard configuration.offersCharacterMode, !characterModeOffered, !characterModeDeclined, textMode,
            configuration.telnet, decoder.sawTelnet, editor == nil
        else { return nil }
        return offerCharacterMode()
    }

    // MARK: - Probing a client that ends lines with CR LF

    /// True when the client ends lines with CR LF but has sent no telnet command, and has not been
    /// probed: it may be the Linux `telnet` client, which negotiates nothing of its own on a port other
    /// than 23, or `nc -C`, which never will. Probe it (`probeTelnet`) before its first line runs, in
    /// text mode, when character mode is offered.
    public func needsTelnetProbe(textMode: Bool) -> Bool {
        configuration.telnet && configuration.offersCharacterMode && textMode && probe == .notSent
            && decoder.sawCRLF && !decoder.sawTelnet && !characterModeOffered && !characterModeDeclined
            && editor == nil
    }

    /// The probe: the character-mode offer, then `CR ESC [K`, which erases from the row whatever a
    /// terminal that is not behind a telnet client shows of the offer's bytes (the cursor is at the start
    /// of an empty row: the client has just ended its line). A telnet client answers the offer at once
    /// (`probeAnswered`); if none answers in time, say so with `probeUnanswered`.
    public mutating func probeTelnet() -> [UInt8] {
        probe = .sent
        return offerCharacterMode() + LineEditor.clearLine
    }

    /// True once a probed client has answered with any telnet command: it speaks telnet.
    public var probeAnswered: Bool { probe == .sent && decoder.sawTelnet }

    /// Nothing answered the probe in time: the client is taken for no telnet client (`nc -C`), and is
    /// sent no telnet byte again (a password prompt warns it instead, `/term char` is refused), until it
    /// sends a telnet command: a late answer to the offer (a slow link) still starts character mode.
    public mutating func probeUnanswered() {
        guard probe == .sent, !decoder.sawTelnet else { return }
        probe = .unanswered
    }

    private mutating func offerCharacterMode() -> [UInt8] {
        characterModeOffered = true
        return negotiator.set(Telnet.optionEcho, true) + negotiator.set(Telnet.optionSuppressGoAhead, true)
            + negotiator.askForWindowSize() + negotiator.set(Telnet.optionBinary, true) + negotiator.askForBinary()
    }

    /// The person asked for character mode (`/term char`; the caller checks the client is telnet-like):
    /// offers it unless it is on or already offered. The bytes to send; if the client refuses, a
    /// `.characterModeRefused` event says so.
    public mutating func requestCharacterMode() -> [UInt8] {
        characterModeRequested = true
        characterModeDeclined = false
        guard editor == nil && !characterModeOffered else { return [] }
        return offerCharacterMode()
    }

    /// The person chose line mode (`/term line`): character mode is left and not offered again.
    public mutating func chooseLineMode() -> [UInt8] {
        characterModeRequested = false
        characterModeDeclined = true
        return leaveCharacterMode()
    }

    /// After a slice has been handed over (the decoder is not to be touched while its events wait):
    /// enter character mode once the client agreed to both options, or leave it (and forget the offer)
    /// when it refused either.
    private mutating func followNegotiation() {
        guard characterModeOffered else { return }
        if editor == nil && negotiator.isCharacterMode {
            ready.append(.send(enterCharacterMode()))
        } else if !(negotiator.wants(Telnet.optionEcho) && negotiator.wants(Telnet.optionSuppressGoAhead)) {
            let wasEditing = editor != nil
            characterModeOffered = false
            characterModeDeclined = true
            if wasEditing {
                ready.append(.send(leaveCharacterMode()))
            } else {
                let binaryOff = negotiator.stopBinary()
                if !binaryOff.isEmpty { ready.append(.send(binaryOff)) }
            }
            if characterModeRequested {
                characterModeRequested = false
                ready.append(.characterModeRefused)
            }
        }
    }

    /// Starts editing keys here, and returns the bytes that draw the input line. Telnet enters it once
    /// negotiated; a stream whose own layer gives a terminal (an SSH channel with a PTY) calls it directly.
    public mutating func enterCharacterMode() -> [UInt8] {
        guard editor == nil else { return [] }
        var editor = LineEditor(prompt: configuration.prompt, maxBytes: configuration.maxLineBytes)
        editor.width = windowWidth
        if let hiddenPrompt {
            editor.prompt = hiddenPrompt
            editor.mask = "*"
        }
        editor.remember(earlyHistory)
        earlyHistory = []
        // Keys typed before the switch are not lost: the half line moves into the editor.
        let partial = decoder.takePendingLine()
        decoder.passesData = true
        self.editor = editor
        _ = self.editor?.feed(partial)
        return self.editor?.redraw() ?? []
    }

    /// Keeps a line the session ran (a command or a post, never a prompt's answer) for the Up history
    /// of a character mode that starts later; in character mode the editor keeps the lines typed in it
    /// itself, and a line typed before it began is added to it here.
    public mutating func remember(line: String) {
        let typedInLineMode = lineModeLinesToRun > 0
        if typedInLineMode { lineModeLinesToRun -= 1 }
        if editor != nil {
            if typedInLineMode && hiddenPrompt == nil && !line.isEmpty { editor?.remember([line]) }
            return
        }
        // Only a telnet client may still start character mode: nc and bots keep nothing here.
        guard hiddenPrompt == nil, !line.isEmpty, isTelnetLike, !characterModeDeclined else {
            return earlyHistory.removeAll()
        }
        earlyHistory.append(line)
        if earlyHistory.count > LineEditor.maxHistory { earlyHistory.removeFirst() }
    }

    /// Leaves character mode (for line mode or JSON mode): the bytes that clear the input line and give
    /// the client its echo back (kept off while a hidden value is typed). Forgets an offer.
    public mutating func leaveCharacterMode() -> [UInt8] {
        characterModeOffered = false
        guard editor != nil || (negotiator.wants(Telnet.optionSuppressGoAhead) && isTelnetLike) else { return [] }
        let clear = editor != nil ? LineEditor.clearLine : []
        editor = nil
        decoder.passesData = false
        let echo = hiddenPrompt == nil ? negotiator.set(Telnet.optionEcho, false) : []
        // BINARY too: left on, a client in line mode prints each reply where the typed line ended.
        return clear + echo + negotiator.set(Telnet.optionSuppressGoAhead, false) + negotiator.stopBinary()
    }

    // MARK: - Hidden input

    /// Hides what is typed next (a password) behind `prompt`; see `HiddenInput` for what to send.
    public mutating func hideInput(prompt: String) -> HiddenInput {
        hiddenPrompt = prompt
        if editor != nil {
            editor?.prompt = prompt
            editor?.mask = "*"
            return .masked(editor?.redraw() ?? [])
        }
        return isTelnetLike ? .echoOff(negotiator.setEcho(true)) : .visible
    }

    /// Shows what is typed again after `hideInput`: the bytes to send (the client's echo back, and the
    /// line end it did not echo), often none. While character mode is offered, echo stays with it.
    public mutating func showInput() -> [UInt8] {
        hiddenPrompt = nil
        if editor != nil {
            let prompt = configuration.prompt
            editor?.prompt = prompt
            editor?.mask = nil
            return []
        }
        guard negotiator.isEchoing && !characterModeOffered else { return [] }
        return negotiator.setEcho(false) + [13, 10]
    }

    // MARK: - Output

    /// The width text is wrapped to (at words, under each line's text: see `TextWrapper`), in every
    /// mode of the terminal: the window's when reported, else `TextWrapper.defaultWidth`.
    public var textWidth: Int { windowWidth ?? TextWrapper.defaultWidth }

    /// A message's bytes, already wrapped to `textWidth`, as they go to the peer: in character mode the
    /// input line is cleared before and redrawn after, so what the person is typing is neither garbled
    /// nor lost. `redraw` false leaves the input line away after it: nothing more is to be typed (a
    /// goodbye).
    public func frame(wrapped message: [UInt8], redraw: Bool = true) -> [UInt8] {
        guard let editor else { return message }
        return LineEditor.clearLine + message + (redraw ? editor.redraw() : [])
    }
}

/// Where the probe of a client known only by its CR LF line ends stands (see `TerminalCodec.probeTelnet`).
private enum TelnetProbe: Sendable {
    case notSent
    case sent
    /// Nothing answered in time: the client does not speak telnet.
    case unanswered
}

/// The box that keeps a `LineEditor` off the codec's inline storage (see `TerminalCodec.editor`).
/// `@unchecked Sendable` as any copy-on-write storage: a box is written only while one codec holds it
/// (`isKnownUniquelyReferenced`), so a box two codecs share is never written.
private final class EditorBox: @unchecked Sendable {
    var editor: LineEditor
    init(_ editor: LineEditor) { self.editor = editor }
}
