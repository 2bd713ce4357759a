import Dispatch

/// A value that belongs to one serial queue, as SwiftNIO's `NIOLoopBound` belongs to an event loop. The
/// box may travel anywhere (it is `Sendable`), but reading or changing the value anywhere but on `queue`
/// stops the process, in release builds too: the check is one `dispatchPrecondition`, a thread-local read,
/// so it stays on where the race it prevents would be silent.
///
/// Confined to `queue`, which every access checks. Building one is not an access: a service can make its
/// state before its queue runs anything.
public final class QueueBound<Value>: @unchecked Sendable {
    public let queue: DispatchQueue
    private var stored: Value

    public init(_ value: Value, on queue: DispatchQueue) {
        self.queue = queue
        self.stored = value
    }

    /// The value; on `queue` only.
    public var value: Value {
        get {
            queue.checkConfined()
            return stored
        }
        _modify {
            queue.checkConfined()
            yield &stored
        }
    }

    /// Runs `body` with the value, in place; on `queue` only.
    public func withValue<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        queue.checkConfined()
        return try body(&stored)
    }
}

extension DispatchQueue {
    /// Stops the process unless called on this queue, in every build configuration (a thread-local read).
    /// The one confinement check of the code base: `QueueBound` and the confined classes call it.
    @inline(__always)
    public func checkConfined() {
        dispatchPrecondition(condition: .onQueue(self))
    }
}
