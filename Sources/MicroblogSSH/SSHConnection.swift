import CLibSSH
import Dispatch
import MicroblogModel
import MicroblogSupport
import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// An authentication request, as the SSH door hands it to the server to decide.
package enum SSHAuthRequest {
    /// `none`, which clients try first: a guest session for a name with no account.
    case none(user: String)
    /// A password, by `password` or `keyboard-interactive` authentication (`method`).
    case password(user: String, password: String, method: String)
    /// A public key (`type` and base64 blob as in an `authorized_keys` line); `signed` once the client has
    /// proved it holds the private key, false for its question whether the key would do.
    case publicKey(user: String, type: String, key: String, signed: Bool)
}

/// What an SSH connection asks of the server: decisions about logins, and sessions for its channels.
/// Called on the server queue.
package protocol SSHConnectionDelegate: AnyObject {
    /// Decides `request`; `answer` (on the server queue) gets whether it is accepted.
    func sshAuthenticate(_ connection: SSHConnection, _ request: SSHAuthRequest, _ answer: @escaping (Bool) -> Void)
    /// A shell (`command` nil) or a one-shot command starts on `channel`: give it a session.
    func sshStart(_ connection: SSHConnection, on channel: SSHChannel, command: String?)
    /// The connection has ended and released its libssh session.
    func sshFinished(_ connection: SSHConnection)
}

/// One connection to the SSH door. It owns the libssh session of one accepted socket and drives it from a
/// read source (and a write source while libssh holds unsent output) on the server queue: no thread per
/// connection.
///
/// libssh's message API is used rather than its callbacks: a message fetched with `ssh_message_get` is
/// ours until answered, so an authentication can wait for storage and the hashing pool while the queue
/// goes on (a callback must answer before it returns). While one waits, later messages wait behind it
/// in libssh's queue, so answers go out in order. Refused: every channel type but `session`, port forwarding (global
/// requests), X11 and agent forwarding, subsystems and environment variables. At most `maxChannels`
/// session channels at once, `maxAuthRequests` authentication requests, and `loginTimeout` to log in.
/// Every message counts against the connection's `messageBudget` (the command rate), refused ones too,
/// and so does each wakeup with input (libssh answers a re-key itself, unseen here): past it, messages
/// wait and the socket is not read until the budget allows the next one and those parsed are handled.
///
/// Confined to the server queue. libssh owns the descriptor from `init` on: `ssh_free` closes it.
package final class SSHConnection {
    package let id: Int
    package let peer: String
    package let peerHost: String
    private let session: ssh_session
    private let queue: DispatchQueue
    private let log: Logger
    private weak var delegate: SSHConnectionDelegate?
    private var event: ssh_event?
    private let readSource: DispatchSourceRead
    private let writeSource: DispatchSourceWrite
    private var writeSourceRunning = false
    private var readSourceSuspended = false
    /// Messages this connection may send (the sessions' `--command-rate` and `--command-burst`).
    private var messageBudget: TokenBucket
    /// A message that came over the budget, handled when the budget allows (`throttled` until then).
    private var heldMessage: ssh_message?
    private var throttled = false
    /// libssh may hold parsed messages behind `heldMessage`: the socket is not read again (no
    /// `ssh_event_dopoll`) until they are handled, so libssh's queue cannot grow with what a flooding
    /// client sends (`ssh_message_get` itself reads only once that queue is empty).
    private var messagesWaiting = false
    /// When the messages now waiting began to wait: a client whose messages have waited for
    /// `maxBacklogSeconds` keeps sending faster than its budget, and is disconnected.
    private var waitingSince: Double?
    /// Where the key exchange's steps run (the X25519 or P-256 computation and the host key's signature):
    /// a pool shared fairly by client addresses, off the server queue. Nil: on the server queue.
    package var handshakes: FairPool?
    /// A key-exchange step runs on `handshakes`: the session is that thread's until it returns, so both
    /// sources are held and a release waits for it (`releaseWhenKeysExchanged`).
    private var keyExchangeInFlight = false
    private var releaseWhenKeysExchanged = false
    private(set) var finished = false
    private var sourcesToCancel = 2
    private var keyExchanged = false
    /// The authentication message waiting for the server's answer; later messages wait in libssh.
    private var pendingAuth: ssh_message?
    private var authRequests = 0
    /// The user named by the keyboard-interactive request, for its response (which names nobody).
    private var interactiveUser: String?
    private(set) var authenticated = false
    package private(set) var channels: [SSHChannel] = []
    private var everStarted = false
    private var pumpScheduled = false
    /// The server's one read buffer, shared with every connection: only used within one call.
    private let readBuffer: ReadBuffer

    static let maxChannels = 2
    static let maxAuthRequests = 20
    /// The longest user name an authentication request may give (account names are at most 20 bytes); a
    /// longer one is refused without a look-up, and logged cut.
    static let maxUserBytes = 64
    /// Seconds a connection's messages may keep waiting for the budget before it is closed as a flood
    /// (`event=ssh_flood`): an interactive client never has that many, a flooding one would otherwise be
    /// served from its backlog for hours.
    static let maxBacklogSeconds = 10.0
    /// The most output handed to libssh for one channel in one turn (it is then encrypted at once).
    static let writeSlice = 64 * 1024

    /// Takes `fd` (non-blocking, just accepted) into a new libssh session on `bind`, which holds the host key.
    /// On failure the descriptor is closed.
    package init(
        fd: Int32, id: Int, peer: String, peerHost: String, bind: ssh_bind, queue: DispatchQueue,
        readBuffer: ReadBuffer, log: Logger, messageBudget: TokenBucket, delegate: SSHConnectionDelegate
    ) throws(SSHHostKeyError) {
        guard let session = ssh_new() else {
            close(fd)
            throw SSHHostKeyError("ssh_new failed")
        }
        guard ssh_bind_accept_fd(bind, session, fd) == SSH_OK else {
            let message = String(cString: ssh_get_error(UnsafeMutableRawPointer(bind)))
            ssh_free(session)
            close(fd)
            throw SSHHostKeyError("cannot start an SSH session: \(message)")
        }
        self.session = session
        self.id = id
        self.peer = peer
        self.peerHost = peerHost
        self.queue = queue
        self.readBuffer = readBuffer
        self.log = log
        self.messageBudget = messageBudget
        self.delegate = delegate
        readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        writeSource = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
    }

    /// Starts the key exchange; a connection not logged in within `loginTimeout` seconds is closed.
    package func start(loginTimeout: Double) {
        ssh_set_blocking(session, 0)
        ssh_set_auth_methods(
            session,
            Int32(SSH_AUTH_METHOD_PUBLICKEY | SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE))
        let cancelled: () -> Void = { [self] in
            sourcesToCancel -= 1
            if sourcesToCancel == 0 { release() }
        }
        readSource.setEventHandler { [unowned self] in readable() }
        readSource.setCancelHandler(handler: cancelled)
        writeSource.setEventHandler { [unowned self] in step() }
        writeSource.setCancelHandler(handler: cancelled)
        readSource.resume()
        queue.asyncAfterConfined(.milliseconds(Int(loginTimeout * 1000))) { [weak self] in
            guard let self, !finished, !everStarted else { return }
            log.info("ssh_login_timeout", ["conn": id, "peer": peer], limitKey: "ssh_login_timeout")
            finish()
        }
        step()
    }

    // MARK: - The event loop

    /// The socket has input. After the key exchange each such wakeup draws on the message budget too:
    /// libssh answers some packets itself, a client's re-key among them (an X25519 exchange and a
    /// signature, on this queue), and those never reach `handleMessages`.
    private func readable() {
        if keyExchanged, !throttled, let wait = messageBudget.take(now: MonotonicClock.now()) {
            return throttle(for: wait)
        }
        step()
    }

    /// One turn: advance the key exchange, or let libssh read what has arrived, answer its messages, and
    /// move channel bytes.
    private func step() {
        guard !finished, !throttled, !keyExchangeInFlight else { return }
        if !keyExchanged {
            if let handshakes { return exchangeKeysElsewhere(on: handshakes) }
            guard keyExchangeStepped(ssh_handle_key_exchange(session)) else { return }
        }
        if !messagesWaiting { _ = ssh_event_dopoll(event, 0) }
        handleMessages()
        updateReading()
        pump()
        if ssh_is_connected(session) == 0 { return finish() }
        updateWriteInterest()
    }

    /// Runs one step of the key exchange on `handshakes`, with both sources held meanwhile; then goes on
    /// here. The session is handed to the pool's thread and back, and nothing here touches it meanwhile.
    private func exchangeKeysElsewhere(on handshakes: FairPool) {
        keyExchangeInFlight = true
        updateReading()
        if writeSourceRunning {
            writeSource.suspend()
            writeSourceRunning = false
        }
        let handOff = HandOff(session)
        handshakes.submit(
            for: peerHost, { HandOff(ssh_handle_key_exchange(handOff.value)) },
            completion: { [self] (result: HandOff<Int32>) in
                keyExchangeInFlight = false
                if releaseWhenKeysExchanged { return release() }
                guard !finished else { return }
                updateReading()
                if keyExchangeStepped(result.value) { step() }
            })
    }

    /// After a step of the key exchange: true once the keys are exchanged (the turn goes on), false while
    /// it waits for the client or after it failed (the connection is then finished).
    private func keyExchangeStepped(_ result: Int32) -> Bool {
        if result == SSH_AGAIN {
            updateWriteInterest()
            return false
        }
        guard result == SSH_OK else {
            log.info(
                "ssh_handshake_failed", ["conn": id, "peer": peer, "reason": errorText()],
                limitKey: "ssh_handshake_failed")
            finish()
            return false
        }
        keyExchanged = true
        event = ssh_event_new()
        ssh_event_add_session(event, session)
        return true
    }

    /// Suspends the read source while a key-exchange step runs elsewhere, over the message budget, or
    /// while parsed messages wait; resumes it when none of these holds.
    private func updateReading() {
        let hold = keyExchangeInFlight || throttled || messagesWaiting
        guard hold != readSourceSuspended, !finished else { return }
        readSourceSuspended = hold
        if hold { readSource.suspend() } else { readSource.resume() }
    }

    /// Runs the write source only while libssh holds output the kernel did not take.
    private func updateWriteInterest() {
        // Throttled (or the session on a handshake thread): the write source stays held, since `step`
        // would do nothing when it fired; the turn after the wait sets it anew.
        guard !finished, !throttled, !keyExchangeInFlight else { return }
        let pending = ssh_get_poll_flags(session) & SSH_WRITE_PENDING != 0
        if pending && !writeSourceRunning {
            writeSource.resume()
        } else if !pending && writeSourceRunning {
            writeSource.suspend()
        }
        writeSourceRunning = pending
    }

    /// Moves channel bytes at the end of this turn of the queue (after writes, a resume, or a close).
    func schedulePump() {
        guard !pumpScheduled, !finished else { return }
        pumpScheduled = true
        queue.asyncConfined { [weak self] in
            guard let self else { return }
            pumpScheduled = false
            guard !finished else { return }
            pump()
            updateWriteInterest()
        }
    }

    /// Ends the connection: closes its channels (and so their sessions) and cancels both sources; the last
    /// cancel handler frees the session and with it the descriptor.
    package func finish() {
        guard !finished else { return }
        finished = true
        for channel in channels { channel.close(reason: .peerClosed) }
        readSource.cancel()
        if readSourceSuspended {
            readSourceSuspended = false
            readSource.resume()  // a suspended source never runs its cancel handler
        }
        writeSource.cancel()
        if !writeSourceRunning { writeSource.resume() }  // a suspended source never runs its cancel handler
        writeSourceRunning = true
    }

    private func release() {
        // The pool's thread still has the session: it is released when the step returns.
        if keyExchangeInFlight {
            releaseWhenKeysExchanged = true
            return
        }
        if let pendingAuth { ssh_message_free(pendingAuth) }
        pendingAuth = nil
        if let heldMessage { ssh_message_free(heldMessage) }
        heldMessage = nil
        if let event {
            ssh_event_remove_session(event, session)
            ssh_event_free(event)
        }
        ssh_disconnect(session)
        ssh_free(session)
        delegate?.sshFinished(self)
    }

    private func errorText() -> String { String(cString: ssh_get_error(UnsafeMutableRawPointer(session))) }

    // MARK: - Messages

    /// Answers what libssh has parsed, in order, as the budget allows; an authentication being decided
    /// holds the messages behind it in libssh.
    private func handleMessages() {
        while pendingAuth == nil, !finished, !throttled {
            guard let message = heldMessage ?? ssh_message_get(session) else {
                messagesWaiting = false
                waitingSince = nil
                return
            }
            heldMessage = nil
            let now = MonotonicClock.now()
            if let wait = messageBudget.take(now: now) {
                heldMessage = message
                messagesWaiting = true
                let since = waitingSince ?? now
                waitingSince = since
                guard now - since < Self.maxBacklogSeconds else {
                    log.warn("ssh_flood", ["conn": id, "peer": peer], limitKey: "ssh_flood")
                    return finish()
                }
                return throttle(for: wait)
            }
            handle(message)
        }
    }

    /// Over the message budget: nothing more is read or answered for `wait` seconds, so the kernel's
    /// buffers push back on the client, then the held message is handled and the turn goes on.
    private func throttle(for wait: Double) {
        throttled = true
        updateReading()
        // The write source too: while throttled `step` does nothing, and a writable socket would call it
        // again and again. `step` sets it anew when the wait ends.
        if writeSourceRunning {
            writeSource.suspend()
            writeSourceRunning = false
        }
        queue.asyncAfterConfined(.microseconds(Int(wait * 1_000_000) + 1)) { [weak self] in
            guard let self, !finished else { return }
            throttled = false
            step()
        }
    }

    /// Answers one message, now or (authentication) once the server has decided.
    private func handle(_ message: ssh_message) {
        let type = ssh_message_type(message)
        let subtype = ssh_message_subtype(message)
        switch type {
        case Int32(SSH_REQUEST_AUTH.rawValue):
            return authenticate(message, method: subtype)
        case Int32(SSH_REQUEST_CHANNEL_OPEN.rawValue):
            if subtype == Int32(SSH_CHANNEL_SESSION.rawValue) && authenticated && channels.count < Self.maxChannels,
                let raw = ssh_message_channel_request_open_reply_accept(message)
            {
                channels.append(SSHChannel(channel: raw, connection: self))
            } else {
                let what =
                    subtype == Int32(SSH_CHANNEL_SESSION.rawValue) ? "session channel" : "channel type \(subtype)"
                refuse(what)
                _ = ssh_message_reply_default(message)
            }
        case Int32(SSH_REQUEST_CHANNEL.rawValue):
            channelRequest(message, subtype: subtype)
        case Int32(SSH_REQUEST_GLOBAL.rawValue):
            refuse("global request (port forwarding)")
            _ = ssh_message_reply_default(message)
        default:
            // The service request for authentication: libssh's default accepts it.
            _ = ssh_message_reply_default(message)
        }
        ssh_message_free(message)
    }

    private func refuse(_ what: String) {
        log.info("ssh_refused", ["conn": id, "peer": peer, "what": what], limitKey: "ssh_refused")
    }

    // MARK: - Authentication

    private func authenticate(_ message: ssh_message, method: Int32) {
        authRequests += 1
        let user = ssh_message_auth_user(message).map { String(cString: $0) } ?? ""
        guard authRequests <= Self.maxAuthRequests, !authenticated else {
            log.info("ssh_auth_exhausted", ["conn": id, "peer": peer, "user": user], limitKey: "ssh_auth_exhausted")
            ssh_message_free(message)
            return finish()
        }
        guard user.utf8.count <= Self.maxUserBytes else {
            log.info(
                "ssh_auth_refused", ["conn": id, "peer": peer, "user": user, "reason": "name_too_long"],
                limitKey: "ssh_auth_refused")
            _ = ssh_message_reply_default(message)
            ssh_message_free(message)
            return
        }
        switch method {
        case Int32(SSH_AUTH_METHOD_NONE):
            return ask(.none(user: user), message)
        case Int32(SSH_AUTH_METHOD_PASSWORD):
            let password = microblog_ssh_message_auth_password(message).map { String(cString: $0) } ?? ""
            return ask(.password(user: user, password: password, method: "password"), message)
        case Int32(SSH_AUTH_METHOD_INTERACTIVE):
            if ssh_message_auth_kbdint_is_response(message) != 0 {
                let answer =
                    ssh_userauth_kbdint_getnanswers(session) >= 1
                    ? ssh_userauth_kbdint_getanswer(session, 0).map { String(cString: $0) } ?? "" : ""
                let name = interactiveUser ?? user
                return ask(.password(user: name, password: answer, method: "keyboard-interactive"), message)
            }
            interactiveUser = user
            var prompt: UnsafePointer<CChar>? = nil
            var echo: CChar = 0
            "Password: ".withCString { text in
                prompt = text
                _ = ssh_message_auth_interactive_request(message, "", "", 1, &prompt, &echo)
            }
        case Int32(SSH_AUTH_METHOD_PUBLICKEY):
            let state = microblog_ssh_message_auth_publickey_state(message)
            if let key = microblog_ssh_message_auth_pubkey(message),
                state == Int32(SSH_PUBLICKEY_STATE_NONE.rawValue) || state == Int32(SSH_PUBLICKEY_STATE_VALID.rawValue),
                let type = ssh_key_type_to_char(ssh_key_type(key)).map({ String(cString: $0) })
            {
                var base64: UnsafeMutablePointer<CChar>? = nil
                if ssh_pki_export_pubkey_base64(key, &base64) == SSH_OK, let base64 {
                    let blob = String(cString: base64)
                    free(base64)
                    let signed = state == Int32(SSH_PUBLICKEY_STATE_VALID.rawValue)
                    return ask(.publicKey(user: user, type: type, key: blob, signed: signed), message)
                }
            }
            _ = ssh_message_reply_default(message)
        default:
            _ = ssh_message_reply_default(message)
        }
        ssh_message_free(message)
    }

    /// Hands `request` to the server; its answer replies to `message` (held until then).
    private func ask(_ request: SSHAuthRequest, _ message: ssh_message) {
        pendingAuth = message
        delegate?.sshAuthenticate(self, request) { [weak self] accepted in
            guard let self, !finished, let message = pendingAuth else { return }
            pendingAuth = nil
            if accepted, case .publicKey(_, _, _, signed: false) = request {
                _ = ssh_message_auth_reply_pk_ok_simple(message)
            } else if accepted {
                authenticated = true
                _ = ssh_message_auth_reply_success(message, 0)
            } else {
                _ = ssh_message_reply_default(message)
            }
            ssh_message_free(message)
            // Messages that came meanwhile wait in libssh: answer them now.
            step()
        }
    }

    // MARK: - Channels

    private func channelRequest(_ message: ssh_message, subtype: Int32) {
        guard let raw = ssh_message_channel_request_channel(message),
            let channel = channels.first(where: { $0.channel == raw }), !channel.isClosed
        else {
            _ = ssh_message_reply_default(message)
            return
        }
        switch subtype {
        case Int32(SSH_CHANNEL_REQUEST_PTY.rawValue) where !channel.started:
            channel.terminal = SSHTerminal(pty: true, columns: Self.columns(message))
            _ = ssh_message_channel_request_reply_success(message)
        case Int32(SSH_CHANNEL_REQUEST_WINDOW_CHANGE.rawValue):
            let columns = Self.columns(message)
            channel.terminal.columns = columns
            channel.onWindowChange?(columns)
            _ = ssh_message_channel_request_reply_success(message)
        case Int32(SSH_CHANNEL_REQUEST_SHELL.rawValue) where !channel.started,
            Int32(SSH_CHANNEL_REQUEST_EXEC.rawValue) where !channel.started:
            let command =
                subtype == Int32(SSH_CHANNEL_REQUEST_EXEC.rawValue)
                ? ssh_message_channel_request_command(message).map { String(cString: $0) } ?? "" : nil
            // The client hears that its shell or command runs before it reads any of its output.
            _ = ssh_message_channel_request_reply_success(message)
            channel.started = true
            everStarted = true
            delegate?.sshStart(self, on: channel, command: command)
            schedulePump()
        case Int32(SSH_CHANNEL_REQUEST_ENV.rawValue):
            // OpenSSH sends LANG and the like unasked; refused without a log line.
            _ = ssh_message_reply_default(message)
        default:
            let what =
                switch subtype {
                case Int32(SSH_CHANNEL_REQUEST_X11.rawValue): "x11 forwarding"
                case Int32(SSH_CHANNEL_REQUEST_SUBSYSTEM.rawValue):
                    "subsystem " + (ssh_message_channel_request_subsystem(message).map { String(cString: $0) } ?? "")
                case Int32(SSH_CHANNEL_REQUEST_SHELL.rawValue), Int32(SSH_CHANNEL_REQUEST_EXEC.rawValue):
                    "a second shell or command on one channel"
                default: "channel request \(subtype)"
                }
            refuse(what)
            _ = ssh_message_reply_default(message)
        }
    }

    /// The width a PTY request or window change gives, within what telnet's NAWS can say (0 is unknown).
    private static func columns(_ message: ssh_message) -> Int {
        min(max(Int(microblog_ssh_message_pty_width(message)), 0), Int(UInt16.max))
    }

    /// Moves bytes for every started channel: output as far as the client's window and the socket allow,
    /// input while its session reads; then reports drains, ends, and channels closed by the client.
    private func pump() {
        for channel in channels where channel.started && !channel.isClosed {
            pumpOutput(channel)
            if channel.isClosed { continue }
            if channel.output.isEmpty {
                switch channel.output.takeDrainAction() {
                case .close(let reason):
                    end(channel, reason: reason)
                    continue
                case .reportDrained: channel.onDrained?()
                case nil: break
                }
            }
            pumpInput(channel)
        }
    }

    private func pumpOutput(_ channel: SSHChannel) {
        guard !channel.output.isEmpty else {
            channel.output.noteDrained()
            return
        }
        // What libssh holds unsent stays small: more is handed over only once the socket has taken it.
        guard ssh_get_poll_flags(session) & SSH_WRITE_PENDING == 0 else {
            channel.output.noteStalled(progressed: false)
            return
        }
        var budget = min(Int(ssh_channel_window_size(channel.channel)), Self.writeSlice)
        var progressed = false
        var failed = false
        while budget > 0 && !channel.output.isEmpty && !failed {
            let written = channel.output.buffer.drain { bytes in
                let count = min(bytes.count, budget)
                let result = ssh_channel_write(channel.channel, bytes.baseAddress, UInt32(count))
                if result < 0 { failed = true }
                return max(Int(result), 0)
            }
            if written == 0 { break }
            budget -= written
            progressed = true
        }
        if failed { return channel.close(reason: .error) }
        if channel.output.isEmpty {
            channel.output.noteDrained()
        } else {
            channel.output.noteStalled(progressed: progressed)
        }
    }

    private func pumpInput(_ channel: SSHChannel) {
        while !channel.output.readPaused && !channel.isClosed && !channel.sawEndOfInput {
            let count = readBuffer.bytes.withUnsafeMutableBytes { raw in
                ssh_channel_read_nonblocking(channel.channel, raw.baseAddress, UInt32(raw.count), 0)
            }
            guard count > 0 else { break }
            readBuffer.bytes.withUnsafeBytes { raw in
                channel.onInput?(UnsafeRawBufferPointer(rebasing: raw[0..<Int(count)]))
            }
        }
        guard !channel.isClosed else { return }
        if !channel.sawEndOfInput && ssh_channel_is_eof(channel.channel) != 0 {
            channel.sawEndOfInput = true
            let handler = channel.onEndOfInput
            channel.onEndOfInput = nil
            if let handler { handler() } else { channel.close(reason: .peerClosed) }
        }
        if !channel.isClosed && ssh_channel_is_closed(channel.channel) != 0 {
            channel.close(reason: .peerClosed)
        }
    }

    /// Ends a channel whose output has been sent: its exit status, end of file, and close.
    private func end(_ channel: SSHChannel, reason: CloseReason) {
        _ = ssh_channel_request_send_exit_status(channel.channel, channel.exitStatus())
        _ = ssh_channel_send_eof(channel.channel)
        channel.close(reason: reason)
    }

    /// Closes `channel` after `delay` if it has not ended by then (its client does not read).
    func closeLater(_ channel: SSHChannel, after delay: DispatchTimeInterval) {
        queue.asyncAfterConfined(delay) { [weak channel] in
            guard let channel, !channel.isClosed else { return }
            channel.close(reason: channel.output.pendingClose ?? .quit)
        }
    }

    /// Called by a channel as it closes: its libssh channel is closed and freed. A connection whose last
    /// channel has ended is left to the client to close, or closed after a while.
    func channelClosed(_ channel: SSHChannel) {
        guard let index = channels.firstIndex(where: { $0 === channel }) else { return }
        channels.remove(at: index)
        guard !finished else { return }
        if ssh_channel_is_closed(channel.channel) == 0 { _ = ssh_channel_close(channel.channel) }
        ssh_channel_free(channel.channel)
        schedulePump()
        if channels.isEmpty {
            queue.asyncAfterConfined(.seconds(5)) { [weak self] in
                guard let self, !finished, channels.isEmpty else { return }
                finish()
            }
        }
    }
}

@available(*, unavailable) extension SSHConnection: Sendable {}
