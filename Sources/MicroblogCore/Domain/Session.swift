/// Why a session ended; logged.
public enum CloseReason: String, Sendable {
    case quit
    case peerClosed = "peer_closed"
    case error
    case shutdown
}

/// What a session writes to. The transport's `Connection` provides it; tests can provide their own.
public protocol SessionOutput: AnyObject {
    func write(_ bytes: [UInt8])
    func pauseReading()
    func resumeReading()
    func closeAfterFlush(reason: CloseReason)
}

/// One connected client's protocol state: its decoder, telnet options, mode, account, live-feed
/// choice, and the lines waiting for the command in flight. Confined to the server queue.
public final class Session: LiveSubscriber {
    /// A value the session is waiting for instead of a command.
    enum Prompt {
        case loginPassword(name: String)
        case newPassword(name: String)
        case repeatPassword(name: String, password: String)
    }

    enum Input {
        case line([UInt8])
        case lineTooLong
    }

    public let id: Int
    public let peer: String
    let output: SessionOutput

    var decoder: LineDecoder
    var negotiator = TelnetNegotiator()
    public internal(set) var mode: OutputMode = .text
    public internal(set) var user: User?
    /// The session's choice; it receives live posts when this is on and its greeting is done.
    var watching = true
    var greeted = false
    var prompt: Prompt?
    /// True while a command waits for storage or hashing; later lines wait in `queued`.
    var busy = false
    var queued: [Input] = []
    var queuedStart = 0
    var inputEnded = false
    /// Set by `/quit` and at shutdown: no further line is run.
    var quitting = false
    var closed = false
    /// Live posts that arrived while a prompt was on screen; shown when it is answered.
    var heldLive: [EncodedEvent] = []
    var heldLiveDropped = 0

    init(id: Int, peer: String, output: SessionOutput, maxLineBytes: Int) {
        self.id = id
        self.peer = peer
        self.output = output
        self.decoder = LineDecoder(maxLineBytes: maxLineBytes)
    }

    /// True once the client has shown it speaks telnet (any telnet command, or CR LF line ends).
    var isTelnetLike: Bool { decoder.sawTelnet || decoder.sawCRLF }

    var queuedCount: Int { queued.count - queuedStart }

    func send(_ message: ServerMessage, now: Timestamp = .now()) {
        guard !closed else { return }
        output.write(Renderer.render(message, mode: mode, now: now))
    }

    func sendRaw(_ bytes: [UInt8]) {
        guard !closed else { return }
        output.write(bytes)
    }

    public func receiveLive(_ event: EncodedEvent) {
        guard !closed else { return }
        if prompt != nil && mode == .text {
            // A post printed after "Password: " would garble the prompt; show it once the prompt ends.
            if heldLive.count < Session.maxHeldLive { heldLive.append(event) } else { heldLiveDropped += 1 }
            return
        }
        output.write(event.bytes(for: mode))
    }

    static let maxHeldLive = 200

    func enqueue(_ input: Input) {
        queued.append(input)
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
