import Dispatch
import MicroblogSupport

/// Collects SSH connections with channel bytes to move (output written, reading resumed, a close due) and
/// pumps them in later blocks of the server queue, `chunk` connections per block, as `FlushScheduler`
/// does for the other doors: a turn's writes to one channel leave as one SSH packet (one encryption, one
/// `send`), and a post to thousands of SSH watchers is one block per `chunk` of them rather than one
/// block each, so input and the next commit's posts are read in between. Confined to the server queue.
public final class SSHPumpScheduler {
    private let queue: DispatchQueue
    /// Connections to pump, in order; those before `start` are done.
    private var due: [SSHConnection] = []
    private var start = 0
    /// Connections pumped per block of the server queue.
    static let chunk = 1024

    public init(queue: DispatchQueue) { self.queue = queue }

    func schedule(_ connection: SSHConnection) {
        due.append(connection)
        if due.count - start == 1 { queue.asyncConfined { [self] in pumpDue() } }
    }

    private func pumpDue() {
        let end = min(due.count, start + Self.chunk)
        var index = start
        while index < end {
            // Read one at a time: a pump's callbacks may schedule more connections (appended past `end`).
            let connection = due[index]
            connection.runScheduledPump()
            index += 1
        }
        start = end
        if start == due.count {
            due.removeAll(keepingCapacity: due.capacity <= 4 * Self.chunk)
            start = 0
        } else {
            if start >= Self.chunk && start * 2 >= due.count {
                due.removeSubrange(0..<start)
                start = 0
            }
            queue.asyncConfined { [self] in pumpDue() }
        }
    }
}

@available(*, unavailable) extension SSHPumpScheduler: Sendable {}
