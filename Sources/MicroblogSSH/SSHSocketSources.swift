import Dispatch

/// The read and write sources on one SSH connection's socket, and which of them is held. A suspended
/// source never runs its cancel handler, so `cancel()` resumes whichever is held. Confined to the server
/// queue, as its `SSHConnection`.
struct SSHSocketSources {
    let read: DispatchSourceRead
    let write: DispatchSourceWrite
    /// The write source runs only while libssh holds output the kernel did not take.
    private(set) var writing = false
    private(set) var readingHeld = false
    /// Sources whose cancel handler has not run yet: the session is released after the last.
    private var toCancel = 2

    /// Both sources for `fd`, suspended (as Dispatch makes them).
    init(fd: Int32, queue: DispatchQueue) {
        read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        write = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
    }

    /// Suspends (`hold`) or resumes the read source, when it is not so already.
    mutating func holdReading(_ hold: Bool) {
        guard hold != readingHeld else { return }
        readingHeld = hold
        if hold { read.suspend() } else { read.resume() }
    }

    /// Runs or holds the write source.
    mutating func setWriting(_ run: Bool) {
        if run && !writing {
            write.resume()
        } else if !run && writing {
            write.suspend()
        }
        writing = run
    }

    /// Cancels both sources, resuming a held one so that its cancel handler runs.
    mutating func cancel() {
        read.cancel()
        if readingHeld {
            readingHeld = false
            read.resume()
        }
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
