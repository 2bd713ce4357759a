import CLibSSH
import MicroblogSupport

/// One SSH connection's messages against its budget: the budget itself (the sessions' `--command-rate` and
/// `--command-burst`), the message that came over it, and how long messages have waited. Confined to the
/// server queue, as its `SSHConnection`.
struct SSHMessageBacklog {
    /// Messages this connection may send.
    var budget: TokenBucket
    /// A message that came over the budget, handled when the budget allows (`throttled` until then).
    private(set) var held: ssh_message?
    /// Over the budget: nothing is read or answered until the wait ends.
    var throttled = false
    /// libssh may hold parsed messages behind `held`: the socket is not read again (no
    /// `ssh_event_dopoll`) until they are handled, so libssh's queue cannot grow with what a flooding
    /// client sends (`ssh_message_get` itself reads only once that queue is empty).
    private(set) var messagesWaiting = false
    /// When the messages now waiting began to wait: a client whose messages have waited for
    /// `maxBacklogSeconds` keeps sending faster than its budget, and is disconnected.
    private var waitingSince: Double?

    init(budget: TokenBucket) {
        self.budget = budget
    }

    /// The held message, if any, which is then the caller's.
    mutating func takeHeld() -> ssh_message? {
        defer { held = nil }
        return held
    }

    /// Keeps `message` until the budget allows it. False when messages have waited `maxWait` seconds
    /// already: a flood.
    mutating func hold(_ message: ssh_message, now: Double, maxWait: Double) -> Bool {
        held = message
        messagesWaiting = true
        let since = waitingSince ?? now
        waitingSince = since
        return now - since < maxWait
    }

    /// libssh has no message left: the socket may be read again.
    mutating func drained() {
        messagesWaiting = false
        waitingSince = nil
    }

    /// Frees the held message, as the connection is released.
    mutating func free() {
        if let held { ssh_message_free(held) }
        held = nil
    }
}
