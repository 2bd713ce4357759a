import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// One connected client's protocol state: its terminal, mode, account, live-feed choice, and the lines
/// waiting for the command in flight. Confined to the server queue, reached only through `Microblog`'s
/// and `Hub`'s entry points, which check it in debug builds (it holds no queue).
///
/// Properties read for every live post by every receiver are marked `@exclusivity(unchecked)`: the
/// runtime's exclusivity bookkeeping cost a tenth of a broadcast's time, and confinement to one serial
/// queue, with no `inout` access to them anywhere, already rules out overlapping access.
package final class Session: LiveSubscriber {
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
    }

    package let id: Int
    package let peer: String
    /// The door the client came in by (plain, TLS or SSH).
    package let door: Door
    let output: SessionOutput

    /// The connection's terminal: telnet, line editing, wrapping and masking (see `TerminalCodec`).
    /// Read for every live post; no method the session calls on it calls back, so accesses never overlap.
    @exclusivity(unchecked) var terminal: TerminalCodec
    @exclusivity(unchecked) package internal(set) var mode: OutputMode = .text
    /// ANSI colour in text mode (`/color on`).
    @exclusivity(unchecked) var color = false
    package internal(set) var user: User?
    /// What the session receives live (once its greeting is done), besides mentions of it.
    @exclusivity(unchecked) var watch = WatchSetting.all
    /// Whom the logged-in account follows and has muted, shared by its sessions.
    @exclusivity(unchecked) var viewer: Viewer?
    /// The password prompt open, if any (see `Rare`).
    var prompt: Prompt? {
        get { rare?.prompt }
        set { if newValue != nil || rare != nil { rareState().prompt = newValue } }
    }
    /// Where the session is in its life: whether it runs lines, and whether it still writes.
    @exclusivity(unchecked) var lifecycle = Lifecycle.greeting
    /// True for an SSH session with a PTY: the client's terminal is raw and shows only what the server
    /// sends, so text mode is always character mode (the server echoes and edits the line).
    var ownsTerminal = false
    /// An SSH one-shot command (`ssh NAME@HOST COMMAND`): no greeting, no live feed, and its connection
    /// ends once the command's lines have run, with an exit status from `errorsSent`.
    package var runsOneCommand = false
    /// How many errors a one-shot command's session has been sent, for its exit status.
    package var errorsSent: Int { rare?.errorsSent ?? 0 }
    /// Posts submitted and not yet acknowledged; more posts may follow them, other commands wait.
    var postsInFlight = 0

    /// True when nothing this session asked for is still being done.
    var isIdle: Bool { !lifecycle.isWaiting && postsInFlight == 0 }
    var closed: Bool { lifecycle == .closed }
    var queued: [Input] = []
    var queuedStart = 0
    var inputEnded = false
    /// From a password prompt until the reply that ends its command, live posts wait here, so they
    /// neither garble the prompt nor land inside the command's reply.
    @exclusivity(unchecked) var holdingLive = false
    /// Live posts not delivered (slow connection, or too many held at a prompt): how many, and the id
    /// just before the first one, for the `/feed since` that fetches them.
    @exclusivity(unchecked) var missedLive = 0
    /// Bytes read but not yet decoded, because the session could take no more input (see
    /// `Microblog.receive`); reading is paused while any are held. At most one read's worth.
    var heldInput: [UInt8] {
        get { rare?.heldInput ?? [] }
        set { if !newValue.isEmpty || rare != nil { rareState().heldInput = newValue } }
    }
    /// The peer's address without port, for per-address limits.
    let peerHost: String
    let outputLimit: Int
    var commandBucket: TokenBucket
    /// This connection's share of its address's password checks (see `Microblog.takePasswordCheck`);
    /// nil until the first check, as a full bucket.
    var passwordBucket: TokenBucket? {
        get { rare?.passwordBucket }
        set { if newValue != nil || rare != nil { rareState().passwordBucket = newValue } }
    }
    /// This connection's share of its address's searches (see `Microblog.takeSearch`); nil until the
    /// first search, as a full bucket.
    var searchBucket: TokenBucket? {
        get { rare?.searchBucket }
        set { if newValue != nil || rare != nil { rareState().searchBucket = newValue } }
    }
    /// When the account was last seen before this session logged in, for `/catchup`.
    var catchUpSince: Timestamp?
    /// The newest post id when the session stopped watching everything, for `/watch all` to say where
    /// to catch up; nil while it watches everything.
    var feedNarrowedAt: Int64? {
        get { rare?.feedNarrowedAt }
        set { if newValue != nil || rare != nil { rareState().feedNarrowedAt = newValue } }
    }
    /// The newest post this session has been shown live or in its greeting.
    @exclusivity(unchecked) var lastSeenID: Int64 = 0
    /// Monotonic time of the last line received.
    var lastInput: Double
    /// Monotonic time the current prompt started.
    var promptStarted: Double {
        get { rare?.promptStarted ?? 0 }
        set { rareState().promptStarted = newValue }
    }

    /// What few sessions ever hold: an open password prompt and the live posts held behind it, input
    /// held back, the mark of missed posts and of a narrowed feed, errors counted for a one-shot
    /// command, and the connection's shares of password checks and searches. Boxed and made on the first write
    /// of something else than its default, so a session that only watches carries 8 bytes for it
    /// rather than about 130. Same queue as its session.
    private final class Rare {
        var prompt: Prompt?
        var promptStarted: Double = 0
        var heldLive: [EncodedEvent] = []
        var missedSince: Int64 = 0
        var heldInput: [UInt8] = []
        var passwordBucket: TokenBucket?
        var searchBucket: TokenBucket?
        var feedNarrowedAt: Int64?
        var errorsSent = 0
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
        self.door = door
        self.peerHost = peerHost
        self.output = output
        self.terminal = TerminalCodec(
            configuration: .init(
                telnet: door != .ssh, offersCharacterMode: settings.characterModeOffer,
                maxLineBytes: settings.maxLineBytes))
        self.outputLimit = settings.outputLimit
        self.commandBucket = TokenBucket(rate: settings.commandRate, burst: settings.commandBurst, now: now)
        self.lastInput = now
    }

    /// True when the connection holds as much unsent output as it may.
    var isOutputFull: Bool { outputLimit > 0 && output.pendingOutputBytes >= outputLimit }

    /// True once the client has shown it speaks telnet (any telnet command, or CR LF line ends).
    var isTelnetLike: Bool { terminal.isTelnetLike }

    var queuedCount: Int { queued.count - queuedStart }

    /// How this session wants text coloured, if at all (never in JSON mode).
    var colors: TextColors? {
        guard color && mode == .text else { return nil }
        return TextColors(
            reader: user.map { TextColors.Reader(id: $0.id, name: $0.name, keptApart: viewer?.keptApart ?? false) })
    }

    /// The time zone the account reads times in (`/tz`), shared by its sessions; nil for UTC.
    var zone: ReaderZone? { viewer?.zone }

    /// An event's bytes as this session renders it, wrapped to `width` if given: all from the event's
    /// cache, so receivers with the same mode, colours and width share one rendering.
    func bytes(of event: EncodedEvent, width: Int?) -> [UInt8] {
        if let zone, mode == .text { return event.bytes(in: zone, colors: colors, width: width) }
        if let colors { return event.coloredBytes(for: colors, width: width) }
        return event.bytes(for: mode, width: width)
    }

    /// Writes a message's bytes as the terminal shows them (see `TerminalCodec.encode`).
    /// After a goodbye the prompt is not drawn again: the connection is closing, and a prompt would be
    /// the last thing telnet shows before `Connection closed by foreign host.`
    func emit(_ bytes: [UInt8]) {
        output.write(terminal.encode(bytes, redraw: !lifecycle.isLeaving))
    }

    /// Writes an event, already wrapped to the terminal's width by the event's cache.
    private func emit(_ event: EncodedEvent) {
        guard terminal.isCharacterMode else { return output.write(bytes(of: event, width: nil)) }
        output.write(terminal.frame(wrapped: bytes(of: event, width: terminal.wrapWidth), redraw: !lifecycle.isLeaving))
    }

    func send(_ message: ServerMessage, now: Timestamp = .now()) {
        guard lifecycle.writes else { return }
        if runsOneCommand, case .error = message { rareState().errorsSent += 1 }
        emit(Renderer.render(message, mode: mode, now: now, colors: colors, zone: zone))
        if holdingLive && prompt == nil {
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
        holdingLive = false
        let held = rare?.heldLive ?? []
        rare?.heldLive = []
        for event in held { receiveLive(event) }
        if !isOutputFull { reportMissed() }
    }

    /// The width lists (`/help`, Tab) are laid out for: the window's, or 80 columns when unknown.
    var listWidth: Int { terminal.windowWidth ?? LineEditor.defaultListWidth }

    /// Sends an item of a list (`/help`) wrapped to `listWidth` with a hanging indent, in text mode,
    /// whether or not the server edits the line, so no entry wraps wherever the terminal cuts it.
    func sendListed(_ message: ServerMessage, now: Timestamp = .now()) {
        guard lifecycle.writes else { return }
        guard mode == .text else { return send(message, now: now) }
        emit(TextWrapper.wrapList(TextRenderer.render(message, now: now, colors: nil), width: listWidth))
    }

    /// Sends a message wrapped to 80 columns (a post's continuation under its text) while the window's
    /// width is unknown and the server does not edit the line, as in the greeting, which is sent before
    /// a telnet client can report its window; otherwise as `send`.
    func sendFitted(_ message: ServerMessage, now: Timestamp = .now()) {
        guard lifecycle.writes, mode == .text, terminal.windowWidth == nil, !terminal.isCharacterMode else {
            return send(message, now: now)
        }
        emit(TextWrapper.wrap(TextRenderer.render(message, now: now, colors: colors, zone: zone), width: listWidth))
    }

    func sendRaw(_ bytes: [UInt8]) {
        guard lifecycle.writes else { return }
        output.write(bytes)
    }

    @discardableResult
    package func receiveLive(_ event: EncodedEvent) -> LiveOutcome {
        // After a goodbye nothing more is sent, although the connection may still be flushing.
        guard !lifecycle.isLeaving else { return .skipped }
        if holdingLive {
            if rareState().heldLive.count < Session.maxHeldLive {
                rareState().heldLive.append(event)
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
        if let facts = event.facts { lastSeenID = max(lastSeenID, facts.id) }
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
        if holdingLive {
            guard rareState().heldLive.count < Session.maxHeldLive else { return false }
            rareState().heldLive.append(event)
            return true
        }
        if isOutputFull { return false }
        emit(event)
        return true
    }

    private func miss(_ event: EncodedEvent) {
        guard let facts = event.facts else { return }
        if missedLive == 0 { rareState().missedSince = facts.id - 1 }
        missedLive += 1
    }

    /// Tells the client how many live posts it missed, and how to fetch them, once.
    func reportMissed() {
        guard missedLive > 0 else { return }
        send(.missed(count: missedLive, since: rare?.missedSince ?? 0))
        missedLive = 0
    }

    /// Says goodbye: no further line runs and no live post is sent (unless it already has, or is closed).
    func startLeaving() {
        if !lifecycle.isLeaving { lifecycle = .quitting }
    }

    static let maxHeldLive = 200

    func enqueue(_ input: Input) {
        queued.append(input)
    }

    /// The next input, without taking it.
    func peek() -> Input? {
        queuedStart < queued.count ? queued[queuedStart] : nil
    }

    func dequeue() -> Input? {
        guard queuedStart < queued.count else { return nil }
        let input = queued[queuedStart]
        queuedStart += 1
        if queuedStart == queued.count {
            queued.removeAll(keepingCapacity: queued.count <= 64)
            queuedStart = 0
        }
        return input
    }
}

extension Session {
    /// Where a session is in its life. Lines run only when it is `ready`; each state says why they wait.
    enum Lifecycle: Equatable {
        /// The banner and the latest posts are on their way; lines wait, live posts are not sent yet.
        case greeting
        /// Lines run as they come.
        case ready
        /// A command waits for storage or hashing (`command`, whose reply is still due), or lines are
        /// paused by the command rate (nil); later lines wait.
        case running(command: String?)
        /// The connection holds as much unsent output as it may; lines wait until it drains.
        case waitingForDrain
        /// After `/quit`, a ban or idleness: no further line runs and no live post is sent; a reply
        /// still due is written.
        case quitting
        /// After the shutdown goodbye: nothing more is written, not even a late reply.
        case saidGoodbye
        /// The connection is gone.
        case closed

        /// True while the greeting or a command is being waited for.
        var isWaiting: Bool {
            switch self {
            case .greeting, .running: return true
            default: return false
            }
        }

        /// The command whose reply is still due, if any.
        var commandInFlight: String? {
            if case .running(let command) = self { return command }
            return nil
        }

        /// True from the goodbye on: no line runs and no live post is sent.
        var isLeaving: Bool {
            switch self {
            case .quitting, .saidGoodbye, .closed: return true
            default: return false
            }
        }

        /// True while replies are written.
        var writes: Bool { self != .saidGoodbye && self != .closed }
    }
}

@available(*, unavailable) extension Session: Sendable {}
