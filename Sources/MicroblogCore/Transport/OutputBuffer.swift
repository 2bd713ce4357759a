/// Bytes waiting to be written to one socket, consumed from the front.
/// A value type with no locking; owned by its `Connection`.
struct OutputBuffer {
    private var storage: [UInt8] = []
    private var start = 0

    var isEmpty: Bool { start == storage.count }
    var count: Int { storage.count - start }

    mutating func append(_ bytes: [UInt8]) {
        if isEmpty {
            // Reuse the empty buffer instead of growing a drained one forever.
            storage.removeAll(keepingCapacity: storage.capacity <= 64 * 1024)
            start = 0
        }
        storage.append(contentsOf: bytes)
    }

    /// Calls `write` with the pending bytes; it returns how many it took (0 when the socket is full).
    mutating func drain(_ write: (UnsafeRawBufferPointer) -> Int) -> Int {
        guard !isEmpty else { return 0 }
        let written = storage.withUnsafeBytes { all in
            write(UnsafeRawBufferPointer(rebasing: all[start...]))
        }
        start += written
        if isEmpty {
            storage.removeAll(keepingCapacity: storage.capacity <= 64 * 1024)
            start = 0
        } else if start > 64 * 1024 && start > storage.count / 2 {
            storage.removeFirst(start)
            start = 0
        }
        return written
    }
}
