import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// One connected client's protocol state: its terminal, mode, account, live-feed choice, and the lines
/// waiting for the command in flight. Confined to the server queue, reached only through `Microblog`'s
/// and `Hub`'s entry points, which check it in every build (it holds no queue).
///
/// Its state is grouped by the session's job: the connection, the terminal and view, the account, the
/// live feed, the lifecycle and the queue of lines, the budgets; what few sessions ever set is boxed
/// (`Rare`). Properties read for every live post by every receiver are marked `@exclusivity(unchecked)`:
/// the runtime's exclusivity bookkeeping cost a tenth of a broadcast's time, and confinement to one
/// serial queue, where a mutating call on one of them (`live.noteShown`) calls nothing back, already
/// rules out overlapping access.
public final class Session: LiveSubscriber {
    /// A value the session is waiting for instead of a command.
    enum Prompt {
        case loginPassword(name: String)
        /// `/register`: `invite` is the one-time code under `--registration invite`.
        case newPassword(name: String, invite: String?)
        case repeatPassword(name: String, password: String, invite: String?)
        /// `/passwd`: the account's password now, then the new one twice.
        case currentPassword(logoutOthers: Bool)
        case changedPassword(logoutOthers: Bool)
        case repeatChangedPassword(password: String, logoutOthers: Bool)
        /// `/delete-account`: the password once more.
        case deleteAccountPassword

        /// What the prompt says.
        var text: String {
            switch self {
            case .loginPassword: return "Password: "
            case .newPassword: return "Choose a password: "
            case .repeatPassword: return "Repeat the password: "
            case .currentPassword: return "Current password: "
            case .changedPassword: return "New password: "
            case .repeatChangedPassword: return "Repeat the new password: "
            case .deleteAccountPassword: return "Password, to delete your account for good: "
            }
        }
    }

    enum Input {
        case line([UInt8])
        case lineTooLong
        /// Ctrl-D on an empty line in line mode: `/quit`, or an empty answer at a password prompt, as
        /// the prompt stands when it is run.
        case endOfTransmission
    }

    public let id: Int
    public let peer: String
    /// The peer's address without port, for per-address limits.
    let peerHost: String
    /// The door the client came in by (plain, TLS or SSH).
    public let door: Door
    let output: SessionOutput

    /// The connection's terminal: telnet, line editing, wrapping and masking (see `TerminalCodec`).
    /// Read for every live post; no method the session calls on it calls back, so accesses never overlap.
    @exclusivity(unchecked) var terminal: TerminalCodec
    /// Mode, colour, and whether the server draws the whole terminal.
    @exclusivity(unchecked) var view = ViewSettings()
    /// An SSH one-shot command (`ssh NAME@HOST COMMAND`): no greeting, no live feed, and its connection
    /// ends once the command's lines have run, with an exit status from `errorsSent`.
    public var runsOneCommand = false

    /// The account logged in, if any.
    public internal(set) var user: User?
    /// Whom the logged-in account follows and has muted, shared by its sessions.
    @exclusivity(unchecked) var viewer: Viewer?
    /// When the account was last seen before this session logged in, for `/catchup`.
    var catchUpSince: Timestamp?

    /// What the session receives live (once its greeting is done), besides mentions of it.
    @exclusivity(unchecked) var watch = WatchSetting.all
    /// Live posts held back or missed, and the newest shown.
    @exclusivity(unchecked) var live = LiveDelivery()

    /// Where the session is in its life: whether it runs lines, and whether it still writes.
    @exclusivity(unchecked) var lifecycle = Lifecycle.greeting
    /// The lines read and not yet run.
    var input = InputQueue()
    /// Posts submitted and not yet acknowledged; more posts may follow them, other commands wait.
    var postsInFlight = 0
    /// The output and command budgets (`outputLimit` is read for every live post).
    @exclusivity(unchecked) var budgets: SessionBudgets
    /// Monotonic time of the last line received.
    var lastInput: Double

    /// The cold halves of the state above, which few sessions ever set: the open password prompt, the
    /// live posts held behind it and the catch-up marks (`LiveDelivery.Backlog`), input held back, the
    /// connection's shares of its address's budgets, and errors counted for a one-shot command. Boxed and
    /// made on the first write of something else than its default, so a session that only watches
    /// carries 8 bytes for them rather than about 130. Same queue as its session.
    private final class Rare {
        var prompt: PendingPrompt?
        var backlog = LiveDelivery.Backlog()
        var heldInput: [UInt8] = []
        var shares = SessionBudgets.Shares()
        var errorsSent = 0
        var telnetProbe: CommandReply?
    }
    private var rare: Rare?
    private func rareState() -> Rare {
        if let rare { return rare }
        let made = Rare()
        rare = made
        return made
    }

    init(
        id: Int, peer: String, peerHost: String, door: Door = .plain, output: SessionOutput,
        settings: MicroblogSettings, now: Double
    ) {
        self.id = id
        self.peer = peer
        self.peerHost = peerHost
        self.door = door
        self.output = output
        self.terminal = TerminalCodec(
            configuration: .init(
                telnet: door != .ssh, offersCharacterMode: settings.characterModeOffer,
                maxLineBytes: settings.maxLineBytes))
        self.budgets = SessionBudgets(settings: settings, now: now)
        self.lastInput = now
    }

    public internal(set) var mode: OutputMode {
        get { view.mode }
        set { view.mode = newValue }
    }
    /// ANSI colour in text mode (`/color on`).
    var color: Bool {
        get { view.color }
        set { view.color = newValue }
    }

    /// The password prompt open, if any.
    var prompt: Prompt? { rare?.prompt?.prompt }
    /// The password prompt open, if any, and since when.
    var pendingPrompt: PendingPrompt? {
        get { rare?.prompt }
        set { if newValue != nil || rare != nil { rareState().prompt = newValue } }
    }
    /// The wait for a probed client's answer (see `Microblog.probeTelnet`), while it lasts.
    var telnetProbe: CommandReply? {
        get { rare?.telnetProbe }
        set { if newValue != nil || rare != nil { rareState().telnetProbe = newValue } }
    }
    /// How many errors a one-shot command's session has been sent, for its exit status.
    public var errorsSent: Int { rare?.errorsSent ?? 0 }

    /// True when nothing this session asked for is still being done.
    var isIdle: Bool { !lifecycle.isWaiting && postsInFlight == 0 }
    var closed: Bool { lifecycle == .closed }

    /// True once the client will send nothing more.
    var inputEnded: Bool {
        get { input.ended }
        set { input.ended = newValue }
    }
    var queuedCount: Int { input.count }
    func enqueue(_ line: Input) { input.append(line) }
    /// The next input, without taking it.
    func peek() -> Input? { input.peek() }
    func dequeue() -> Input? { input.next() }

    /// Bytes read but not yet decoded, because the session could take no more input (see
    /// `Microblog.receive`); reading is paused while any are held. At most one read's worth.
    var heldInput: [UInt8] {
        get { rare?.heldInput ?? [] }
        set { if !newValue.isEmpty || rare != nil { rareState().heldInput = newValue } }
    }

    var commandBucket: TokenBucket {
        get { budgets.command }
        set { budgets.command = newValue }
    }
    /// This connection's share of its address's password checks (see `Microblog.takePasswordCheck`);
    /// nil until the first check, as a full bucket.
    var passwordBucket: TokenBucket? {
        get { rare?.shares.passwordChecks }
        set { if newValue != nil || rare != nil { rareState().shares.passwordChecks = newValue } }
    }
    /// This connection's share of its address's searches (see `Microblog.takeSearch`); nil until the
    /// first search, as a full bucket.
    var searchBucket: TokenBucket? {
        get { rare?.shares.searches }
        set { if newValue != nil || rare != nil { rareState().shares.searches = newValue } }
    }

    /// The newest post id when the session stopped watching everything (see `LiveDelivery.Backlog`).
    var feedNarrowedAt: Int64? {
        get { rare?.backlog.feedNarrowedAt }
        set { if newValue != nil || rare != nil { rareState().backlog.feedNarrowedAt = newValue } }
    }

    /// True when the connection holds as much unsent output as it may.
    var isOutputFull: Bool { budgets.outputLimit > 0 && output.pendingOutputBytes >= budgets.outputLimit }

    /// True once the client has shown it speaks telnet (any telnet command, or CR LF line ends).
    var isTelnetLike: Bool { terminal.isTelnetLike }

    /// How this session wants text coloured, if at all (never in JSON mode).
    var colors: TextColors? {
        guard color && mode == .text else { return nil }
        return TextColors(
            reader: user.map { TextColors.Reader(id: $0.id, name: $0.name, keptApart: viewer?.keptApart ?? false) })
    }

    /// The time zone the account reads times in (`/tz`), shared by its sessions; nil for UTC.
    var zone: ReaderZone? { viewer?.zone }

    /// An event's bytes as this session renders it, text wrapped to `width`: all from the event's cache,
    /// so receivers with the same mode, colours and width share one rendering.
    func bytes(of event: EncodedEvent, width: Int) -> [UInt8] {
        if let zone, mode == .text { return event.bytes(in: zone, colors: colors, width: width) }
        if let colors { return event.coloredBytes(for: colors, width: width) }
        return event.bytes(for: mode, width: width)
    }

    /// Writes a message's bytes, already wrapped to the terminal's width, as the terminal shows them
    /// (see `TerminalCodec.frame`). After a goodbye the prompt is not drawn again: the connection is
    /// closing, and a prompt would be the last thing telnet shows before `Connection closed by foreign host.`
    private func emit(_ bytes: [UInt8]) {
        output.write(terminal.frame(wrapped: bytes, redraw: !lifecycle.isLeaving))
    }

    /// Writes an event, wrapped to the terminal's width by the event's cache.
    private func emit(_ event: EncodedEvent) {
        let bytes = bytes(of: event, width: terminal.textWidth)
        guard terminal.isCharacterMode else { return output.write(bytes) }
        output.write(terminal.frame(wrapped: bytes, redraw: !lifecycle.isLeaving))
    }

    /// Sends a message; in text mode every line of it is wrapped at words to the terminal's width (the
    /// window's, or 80 columns), with the hanging indent its kind asks for (`ServerMessage.hangingIndent`),
    /// on every door and in either terminal mode, so no line breaks wherever the terminal cuts it.
    func send(_ message: ServerMessage, now: Timestamp = .now()) {
        guard lifecycle.writes else { return }
        if runsOneCommand, case .error = message { rareState().errorsSent += 1 }
        emit(Renderer.render(message, mode: mode, now: now, colors: colors, zone: zone, width: terminal.textWidth))
        if live.holding && prompt == nil {
            switch message {
            case .ok, .error: releaseHeldLive()
            default: break
            }
        }
    }

    /// Sends a message never wrapped to the window (a line of `/export`, which must stay one JSON object
    /// however narrow the terminal): the terminal folds it on screen, a copy keeps it whole.
    func sendUnwrapped(_ message: ServerMessage, now: Timestamp = .now()) {
        guard lifecycle.writes else { return }
        output.write(terminal.frame(wrapped: Renderer.render(message, mode: mode, now: now, colors: nil, zone: zone)))
    }

    /// Shows the live posts held during a prompt, then what could not be held.
    private func releaseHeldLive() {
        live.holding = false
        let held = rare?.backlog.held ?? []
        rare?.backlog.held = []
        for event in held { receiveLive(event) }
        if !isOutputFull { reportMissed() }
    }

    func sendRaw(_ bytes: [UInt8]) {
        guard lifecycle.writes else { return }
        output.write(bytes)
    }

    @discardableResult
    public func receiveLive(_ event: EncodedEvent) -> LiveOutcome {
        // After a goodbye nothing more is sent, although the connection may still be flushing.
        guard !lifecycle.isLeaving else { return .skipped }
        if live.holding {
            if rareState().backlog.held.count < Session.maxHeldLive {
                rareState().backlog.held.append(event)
                return .held
            }
            miss(event)
            return .dropped
        }
        if let facts = event.facts, !wants(facts) { return .skipped }
        if isOutputFull {
            // The client is not keeping up: drop rather than queue without bound, and say so later.
            miss(event)
            output.notifyWhenDrained()
            return .dropped
        }
        emit(event)
        if let facts = event.facts { live.noteShown(facts.id) }
        return .delivered
    }

    /// Mentions always arrive (but from muted authors); other posts as the watch setting says.
    func wants(_ post: PostFacts) -> Bool {
        guard let viewer else {
            return watch.admits(authorID: post.authorID, tags: post.tags, viewerID: nil, following: [])
        }
        let relations = viewer.relations
        if !relations.muted.isEmpty {
            if relations.muted.contains(post.authorID) { return false }
            if let original = post.originalAuthorID, relations.muted.contains(original) { return false }
        }
        if post.mentionIDs.contains(viewer.userID) { return true }
        return watch.admits(
            authorID: post.authorID, tags: post.tags, viewerID: viewer.userID, following: relations.following)
    }

    /// Something addressed to this session (a direct message): it arrives whatever the watch setting and
    /// is held like live posts while a prompt is open. A full connection does not get it live; it waits
    /// in the recipient's `/inbox`.
    /// True when it was shown (or held to be shown after the prompt): it counts as read.
    @discardableResult
    func receiveDirect(_ event: EncodedEvent) -> Bool {
        guard !lifecycle.isLeaving else { return false }
        if live.holding {
            guard rareState().backlog.held.count < Session.maxHeldLive else { return false }
            rareState().backlog.held.append(event)
            return true
        }
        if isOutputFull { return false }
        emit(event)
        return true
    }

    private func miss(_ event: EncodedEvent) {
        guard let facts = event.facts else { return }
        if live.missed == 0 { rareState().backlog.missedSince = facts.id - 1 }
        live.missed += 1
    }

    /// Tells the client how many live posts it missed, and how to fetch them, once.
    func reportMissed() {
        guard live.missed > 0 else { return }
        send(.missed(count: live.missed, since: rare?.backlog.missedSince ?? 0))
        live.missed = 0
    }

    /// Says goodbye: no further line runs and no live post is sent (unless it already has, or is closed).
    func startLeaving() {
        if !lifecycle.isLeaving { lifecycle = .quitting }
    }

    static let maxHeldLive = 200
}

@available(*, unavailable) extension Session: Sendable {}
