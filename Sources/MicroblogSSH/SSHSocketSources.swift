import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// The read and write sources on one SSH connection's socket, and which of them is held. A suspended
/// source never runs its cancel handler, so `cancel()` resumes whichever is held. Confined to the server
/// queue, as its `SSHConnection`.
///
/// The write source is made the first time libssh holds output the kernel did not take (`adopt`): a
/// connection whose output has always fitted in the socket, as an idle one's does, never has one, which
/// saves about half a KiB a connection (the source, its unote and its two handlers; issue 27).
struct SSHSocketSources {
    let read: DispatchSourceRead
    private(set) var write: DispatchSourceWrite?
    /// The write source runs only while libssh holds output the kernel did not take.
    private(set) var writing = false
    private(set) var readingHeld = false
    /// Sources whose cancel handler has not run yet: the session is released after the last.
    private var toCancel = 1

    let fd: Int32

    /// The read source for `fd`, suspended (as Dispatch makes it).
    init(fd: Int32, queue: DispatchQueue) {
        self.fd = fd
        read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
    }

    /// Takes the write source, made suspended with its handlers set, before it first runs.
    mutating func adopt(_ source: DispatchSourceWrite) {
        precondition(write == nil, "one write source a connection")
        write = source
        toCancel += 1
    }

    /// Suspends (`hold`) or resumes the read source, when it is not so already.
    mutating func holdReading(_ hold: Bool) {
        guard hold != readingHeld else { return }
        readingHeld = hold
        if hold { read.suspend() } else { read.resume() }
    }

    /// Runs or holds the write source; running it needs one (`adopt`).
    mutating func setWriting(_ run: Bool) {
        guard let write else {
            precondition(!run, "no write source to run")
            return
        }
        if run && !writing {
            write.resume()
        } else if !run && writing {
            write.suspend()
        }
        writing = run
    }

    /// True when nothing is queued on the socket (all sent and acknowledged, `SO_MEMINFO`'s
    /// `SK_MEMINFO_WMEM_QUEUED` is 0): a `send` now is taken at least in part, whatever the send buffer,
    /// `tcp_notsent_lowat` or TCP memory pressure (the first buffer of an empty queue is always
    /// allocated). False when it cannot tell.
    func nothingQueued() -> Bool { Self.nothingQueued(fd) }

    static func nothingQueued(_ fd: Int32) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Self.memInfoCount) { info in
            var size = socklen_t(MemoryLayout<UInt32>.stride * Self.memInfoCount)
            guard getsockopt(fd, SOL_SOCKET, Self.soMemInfo, info.baseAddress, &size) == 0,
                Int(size) >= (Self.wmemQueued + 1) * MemoryLayout<UInt32>.stride
            else { return false }
            return info[Self.wmemQueued] == 0
        }
    }

    /// `SO_MEMINFO` (asm-generic/socket.h) and the index of `SK_MEMINFO_WMEM_QUEUED` in what it gives
    /// (linux/sock_diag.h), which Glibc's module does not export.
    private static let soMemInfo: Int32 = 55
    private static let memInfoCount = 9
    private static let wmemQueued = 5

    /// Cancels the sources, resuming a held one so that its cancel handler runs.
    mutating func cancel() {
        read.cancel()
        if readingHeld {
            readingHeld = false
            read.resume()
        }
        guard let write else { return }
        write.cancel()
        if !writing { write.resume() }
        writing = true
    }

    /// Called by each cancel handler: true after the last, when the descriptor is no longer watched.
    mutating func sourceCancelled() -> Bool {
        toCancel -= 1
        return toCancel == 0
    }
}
