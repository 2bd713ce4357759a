import CLibSSH
import Dispatch
import MicroblogSupport

/// The event loop: what a wakeup of either source does, and which sources run.
extension SSHConnection {
    /// The socket has input. After the key exchange each such wakeup draws on the message budget too:
    /// libssh answers some packets itself, a client's re-key among them (an X25519 exchange and a
    /// signature, on this queue), and those never reach `handleMessages`.
    func readable() {
        if keyExchange.done, !backlog.throttled, let wait = backlog.budget.take(now: MonotonicClock.now()) {
            return throttle(for: wait)
        }
        step()
    }

    /// One turn: advance the key exchange, or let libssh read what has arrived, answer its messages, and
    /// move channel bytes.
    func step() {
        guard !finished, !backlog.throttled, !keyExchange.inFlight else { return }
        if !keyExchange.done {
            if let handshakes { return exchangeKeysElsewhere(on: handshakes) }
            guard keyExchangeStepped(ssh_handle_key_exchange(session)) else { return }
        }
        if !backlog.messagesWaiting { _ = ssh_event_dopoll(keyExchange.event, 0) }
        handleMessages()
        updateReading()
        pump()
        if ssh_is_connected(session) == 0 { return finish() }
        updateWriteInterest()
    }

    /// Suspends the read source while a key-exchange step runs elsewhere, over the message budget, or
    /// while parsed messages wait; resumes it when none of these holds.
    func updateReading() {
        guard !finished else { return }
        sources.holdReading(keyExchange.inFlight || backlog.throttled || backlog.messagesWaiting)
    }

    /// Runs the write source only while libssh holds output the kernel did not take.
    func updateWriteInterest() {
        // Throttled (or the session on a handshake thread): the write source stays held, since `step`
        // would do nothing when it fired; the turn after the wait sets it anew.
        guard !finished, !backlog.throttled, !keyExchange.inFlight else { return }
        setWriting(holdsUnsentOutput)
    }

    /// True while libssh's output buffer holds bytes the kernel has not taken. (Not `ssh_get_poll_flags`:
    /// libssh asks its poll for POLLOUT after every `send`, even one that took everything.)
    var holdsUnsentOutput: Bool { ssh_get_status(session) & Int32(SSH_WRITE_PENDING) != 0 }

    /// Lets libssh send at once what it writes next, when the socket holds nothing queued. libssh sends
    /// only after its poll has seen POLLOUT since its last `send` (else it buffers and waits for one), and
    /// a `send` that fails with EAGAIN ends its session. With nothing queued on the socket (one
    /// `getsockopt`) the kernel takes the first bytes of a `send` whatever else holds: its send buffer, a
    /// `tcp_notsent_lowat` setting, or TCP memory pressure (the first buffer of an empty queue is always
    /// allocated). So a post costs each SSH watcher one `send`, not a write source armed, fired and held
    /// again around a `poll(2)`; a watcher whose earlier output is still unacknowledged takes that way.
    func letLibSSHSendNow() {
        guard !holdsUnsentOutput, sources.nothingQueued() else { return }
        ssh_set_fd_towrite(session)
    }

    /// Moves channel bytes once the current turn of the queue is over (after writes, a resume, or a close),
    /// with the other connections' (see `SSHPumpScheduler`).
    func schedulePump(readingInput: Bool = false) {
        if readingInput { inputDue = true }
        guard !pumpScheduled, !finished else { return }
        pumpScheduled = true
        pumps.schedule(self)
    }

    /// The pump `schedulePump` asked for.
    func runScheduledPump() {
        pumpScheduled = false
        let readingInput = inputDue
        inputDue = false
        guard !finished, !keyExchange.inFlight else { return }
        pump(readingInput: readingInput)
        updateWriteInterest()
    }
}
