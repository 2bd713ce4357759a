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
        sources.setWriting(ssh_get_poll_flags(session) & SSH_WRITE_PENDING != 0)
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
}
