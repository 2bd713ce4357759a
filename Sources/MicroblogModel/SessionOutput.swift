/// What a session writes to: a byte stream with back-pressure. The transport's `Connection` and
/// `SSHChannel` provide it; tests can provide their own. Used on the queue that owns the session.
public protocol SessionOutput: AnyObject {
    func write(_ bytes: [UInt8])
    func pauseReading()
    func resumeReading()
    func closeAfterFlush(reason: CloseReason)
    func close(reason: CloseReason)
    /// Bytes written but not yet taken by the kernel.
    var pendingOutputBytes: Int { get }
    /// When output last made progress while some was pending (monotonic seconds); nil when none is pending.
    var stalledSince: Double? { get }
    /// Asks for one call of the session's drain handler when all pending output has been sent.
    func notifyWhenDrained()
}
