import MicroblogModel
import MicroblogSupport

/// Bytes waiting to be written to one socket, consumed from the front.
/// A value type with no locking; owned by the `OutputState` of a `Connection` or an `SSHChannel`.
///
/// While one write waits, the buffer holds the writer's array itself: a live post's rendering is one
/// array shared by every receiver, so queuing it costs each receiver a reference count, not a copy.
/// A second write copies what waits into an array of the buffer's own (copy-on-write does that) and
/// appends. Drained, the buffer lets go of its array, so an idle connection holds no output memory.
public struct OutputBuffer {
    private var storage: [UInt8] = []
    private var start = 0

    public init() {}

    public var isEmpty: Bool { start == storage.count }
    public var count: Int { storage.count - start }

    public mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        if isEmpty {
            storage = bytes
            start = 0
            return
        }
        if start > 0 {
            // Only what is still to be sent is kept (and copied, if the array is shared).
            storage.removeFirst(start)
            start = 0
        }
        storage.append(contentsOf: bytes)
    }

    /// Calls `write` with the pending bytes; it returns how many it took (0 when the socket is full).
    public mutating func drain(_ write: (UnsafeRawBufferPointer) -> Int) -> Int {
        guard !isEmpty else { return 0 }
        let written = withPending(write)
        consume(written)
        return written
    }

    /// Calls `body` with the pending bytes, consuming none.
    func withPending<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        storage.withUnsafeBytes { all in body(UnsafeRawBufferPointer(rebasing: all[start...])) }
    }

    /// Drops the first `written` pending bytes, which have been sent.
    mutating func consume(_ written: Int) {
        start += min(max(0, written), count)
        if isEmpty {
            storage = []
            start = 0
        } else if start > 64 * 1024 && start > storage.count / 2 {
            storage.removeFirst(start)
            start = 0
        }
    }
}
