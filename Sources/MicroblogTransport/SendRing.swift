import CLibURing
import Glibc
import MicroblogModel
import MicroblogSupport

/// Many non-blocking `send`s in one system call, through io_uring (liburing). The flush hands it one
/// batch of connections: it copies what each has pending into an arena of its own, queues one send per
/// connection, and submits them all and waits for their results in one `io_uring_enter`. A send that
/// finds the socket full completes at once with `-EAGAIN` (`MSG_DONTWAIT`), as a non-blocking `send`
/// does, so no send is still in flight when `send(count:size:copy:)` returns, and the arena is free again.
///
/// What it saves is each `send`'s own system call (entry, exit, descriptor lookup): on this machine
/// 0.55–0.75 µs of the 7–8 µs a small loopback send costs. The copy into the arena costs less than that
/// for a live post's line.
///
/// Used by one thread at a time: the server queue, or one of the flush's send threads (one ring each).
public final class SendRing {
    /// Why io_uring could not be set up (`io_uring_queue_init`'s error, e.g. ENOSYS or EPERM where the
    /// kernel or a sandbox forbids it): the server then sends with one `send` each.
    public struct Unavailable: Error, CustomStringConvertible {
        let code: Int32
        public var description: String { "io_uring unavailable: \(String(cString: strerror(code)))" }
    }

    /// Bytes sent per connection per batch at most; the rest goes by `send` calls of its own.
    static let maxBytesPerSend = 16 * 1024

    private let ring: UnsafeMutablePointer<io_uring>
    /// Sends queued per `io_uring_enter` at most (the submission queue's size).
    let entries: Int
    private var arena = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private var tags: [UInt64]
    private var codes: [Int32]
    /// The error that ended the ring's use (`io_uring_submit_and_wait` failing otherwise than by an
    /// interruption or a passing shortage): its sends' outcomes are then unknown, so their connections
    /// are closed, and the flush sends with `send` from then on.
    private(set) var failure: Int32?

    init(entries: Int = 1024) throws(Unavailable) {
        self.entries = max(1, entries)
        ring = .allocate(capacity: 1)
        ring.initialize(to: io_uring())
        let status = io_uring_queue_init(UInt32(self.entries), ring, 0)
        guard status == 0 else {
            ring.deallocate()
            throw Unavailable(code: -status)
        }
        tags = Array(repeating: 0, count: self.entries)
        codes = Array(repeating: 0, count: self.entries)
    }

    deinit {
        io_uring_queue_exit(ring)
        ring.deallocate()
        arena.deallocate()
    }

    /// Sends, for each job `0..<count`, the job's first `min(size(job), maxBytesPerSend)` bytes, which
    /// `copy(job, space)` writes into `space`, on descriptor `fd(job)`. Returns each job's result: the
    /// bytes the kernel took, or `-errno` (`-EAGAIN` when the socket is full). A job of no bytes is
    /// not sent and gets 0.
    func send(
        count: Int, fd: (Int) -> Int32, size: (Int) -> Int, copy: (Int, UnsafeMutableRawBufferPointer) -> Void
    ) -> [Int] {
        var results = [Int](repeating: 0, count: count)
        var start = 0
        while start < count {
            let end = min(count, start + entries)
            sendBatch(start..<end, fd: fd, size: size, copy: copy, results: &results)
            start = end
        }
        return results
    }

    private func sendBatch(
        _ jobs: Range<Int>, fd: (Int) -> Int32, size: (Int) -> Int, copy: (Int, UnsafeMutableRawBufferPointer) -> Void,
        results: inout [Int]
    ) {
        var lengths = [Int](repeating: 0, count: jobs.count)
        var total = 0
        for job in jobs {
            let length = min(max(0, size(job)), Self.maxBytesPerSend)
            lengths[job - jobs.lowerBound] = length
            total += length
        }
        guard total > 0 else { return }
        reserve(total)
        var offset = 0
        var queued = 0
        for job in jobs {
            let length = lengths[job - jobs.lowerBound]
            guard length > 0, let base = arena.baseAddress else { continue }
            let space = UnsafeMutableRawBufferPointer(start: base + offset, count: length)
            copy(job, space)
            // The queue holds `entries` and a batch is at most that long, so there is always room.
            let status = microblog_uring_queue_send(ring, fd(job), base + offset, UInt32(length), UInt64(job))
            precondition(status == 0, "io_uring submission queue full")
            offset += length
            queued += 1
        }
        var reaped = 0
        while reaped < queued {
            let status = io_uring_submit_and_wait(ring, UInt32(queued - reaped))
            if status < 0 && status != -EINTR && status != -EAGAIN && status != -EBUSY {
                // Nothing more can be learned from the ring: every send still unreported counts as failed
                // (it may or may not have gone), and the ring is not used again.
                failure = -status
                for job in jobs where lengths[job - jobs.lowerBound] > 0 && results[job] == 0 {
                    results[job] = Int(status)
                }
                return
            }
            let found = tags.withUnsafeMutableBufferPointer { tagBuffer in
                codes.withUnsafeMutableBufferPointer { codeBuffer in
                    Int(microblog_uring_reap(ring, tagBuffer.baseAddress, codeBuffer.baseAddress, UInt32(entries)))
                }
            }
            for index in 0..<found {
                results[Int(tags[index])] = Int(codes[index])
            }
            reaped += found
        }
        if arena.count > Self.largestKeptArena {
            arena.deallocate()
            arena = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        }
    }

    private static let largestKeptArena = 4 * 1024 * 1024

    /// Makes the arena at least `bytes` long; one of up to 4 MiB is kept for the next batch.
    private func reserve(_ bytes: Int) {
        guard arena.count < bytes else { return }
        arena.deallocate()
        arena = .allocate(byteCount: max(bytes, min(2 * arena.count, Self.largestKeptArena)), alignment: 16)
    }
}

/// Lent to one send thread at a time inside a flush's fork-join (`ParallelSends`), never sent.
@available(*, unavailable) extension SendRing: Sendable {}
