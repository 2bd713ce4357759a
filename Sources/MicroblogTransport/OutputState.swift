import MicroblogModel
import MicroblogSupport

/// The output side of one client stream, kept alike by `Connection` and `SSHChannel`: the bytes waiting
/// for the peer, since when they have not moved, whether the owner paused reading meanwhile, and what
/// is due once they are all sent (a close, or one drain report). Confined to the queue that owns its
/// stream (the server queue); stored inline in the stream, which moves the bytes and acts on what this
/// decides.
///
/// How much may wait is the session's limit (`--output-limit`), checked against `pendingBytes`:
/// the stream queues what it is given, so back-pressure stays the owner's policy.
public struct OutputState {
    /// Bytes accepted for the peer and not yet taken (by the kernel, or by libssh and the client's window).
    public var buffer = OutputBuffer()
    /// Reading paused by the owner (`SessionOutput.pauseReading`), so the peer is pushed back on.
    public var readPaused = false
    /// One `.drained` report asked for (`SessionOutput.notifyWhenDrained`) and not given yet.
    public private(set) var drainRequested = false
    /// Set by `closeAfterFlush`: the stream closes with this reason once `buffer` is empty.
    public private(set) var pendingClose: CloseReason?
    /// When output last made progress while some was pending (monotonic seconds); nil when none is pending.
    public private(set) var stalledSince: Double?

    public init() {}

    @inline(__always) public var isEmpty: Bool { buffer.isEmpty }
    @inline(__always) public var pendingBytes: Int { buffer.count }

    /// Queues bytes for the peer, behind what waits.
    @inline(__always) public mutating func queue(_ bytes: [UInt8]) {
        buffer.append(bytes)
    }

    /// A send left output pending: the stall clock restarts when the send moved bytes, and starts when
    /// it was not running. The clock is read only here, when the peer is not keeping up: not once per
    /// receiver of every post.
    @inline(__always) public mutating func noteStalled(progressed: Bool) {
        if progressed || stalledSince == nil { stalledSince = MonotonicClock.now() }
    }

    /// Everything pending went out: nothing is stalled.
    @inline(__always) public mutating func noteDrained() {
        stalledSince = nil
    }

    /// Asks for one `.drained` report, given by `takeDrainAction` once nothing is pending.
    @inline(__always) public mutating func requestDrainNotification() {
        drainRequested = true
    }

    /// Closes the stream with `reason` once everything pending has been sent (the latest reason wins).
    @inline(__always) public mutating func closeWhenDrained(reason: CloseReason) {
        pendingClose = reason
    }

    /// What is due once nothing is pending.
    public enum DrainAction: Equatable {
        /// `closeAfterFlush` was asked for: close with this reason (a drain report is then moot).
        case close(CloseReason)
        /// Report the drain to the owner, once per request.
        case reportDrained
    }

    /// Call when the buffer has just been emptied: what is due, if anything. A drain report is due once
    /// per request, so taking it clears the request.
    @inline(__always) public mutating func takeDrainAction() -> DrainAction? {
        if let reason = pendingClose { return .close(reason) }
        guard drainRequested else { return nil }
        drainRequested = false
        return .reportDrained
    }
}
