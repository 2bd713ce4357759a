import CLibSSH
import MicroblogSupport

/// Messages: fetched from libssh in order, within the message budget, and answered by kind.
extension SSHConnection {
    /// Seconds a connection's messages may keep waiting for the budget before it is closed as a flood
    /// (`event=ssh_flood`): an interactive client never has that many, a flooding one would otherwise be
    /// served from its backlog for hours.
    static let maxBacklogSeconds = 10.0

    /// Answers what libssh has parsed, in order, as the budget allows; an authentication being decided
    /// holds the messages behind it in libssh.
    func handleMessages() {
        while login.pending == nil, !finished, !backlog.throttled {
            guard let message = backlog.takeHeld() ?? ssh_message_get(session) else {
                backlog.drained()
                return
            }
            let now = MonotonicClock.now()
            if let wait = backlog.budget.take(now: now) {
                guard backlog.hold(message, now: now, maxWait: Self.maxBacklogSeconds) else {
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
    func throttle(for wait: Double) {
        backlog.throttled = true
        updateReading()
        // The write source too: while throttled `step` does nothing, and a writable socket would call it
        // again and again. `step` sets it anew when the wait ends.
        setWriting(false)
        queue.asyncAfterConfined(.microseconds(Int(wait * 1_000_000) + 1)) { [self] in
            guard !finished else { return }
            backlog.throttled = false
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
            openChannel(message, type: subtype)
        case Int32(SSH_REQUEST_CHANNEL.rawValue):
            channelRequest(message, subtype: subtype)
        case Int32(SSH_REQUEST_GLOBAL.rawValue):
            refuse(SSHRefusal.globalRequest(subtype: subtype))
            _ = ssh_message_reply_default(message)
        default:
            // The service request for authentication: libssh's default accepts it.
            _ = ssh_message_reply_default(message)
        }
        ssh_message_free(message)
    }
}
