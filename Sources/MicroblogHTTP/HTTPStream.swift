import CMicroHTTPD

/// A response body written as it comes (a Server-Sent Events stream): the handler writes, libmicrohttpd
/// sends what is there and suspends the connection while nothing is. Confined to its daemon's queue.
public final class HTTPStream {
    /// Called once when the stream ends: the client left, the daemon closed it, or `finish` was sent.
    public var onClose: (() -> Void)?
    /// Bytes written and not yet taken by libmicrohttpd.
    public private(set) var pendingBytes = 0
    public private(set) var isClosed = false

    private var pending: [UInt8] = []
    private var taken = 0
    private var finishing = false
    /// Set when the reply is queued; nil once closed.
    var connection: OpaquePointer?
    /// True while the connection waits, suspended, for something to send.
    var suspended = false
    weak var daemon: HTTPDaemon?

    public init() {}

    /// Queues `bytes` to be sent, and wakes the connection if it waits for them.
    public func write(_ bytes: [UInt8]) {
        guard !isClosed, !finishing, !bytes.isEmpty else { return }
        daemon?.checkConfined()
        pending += bytes
        pendingBytes += bytes.count
        wake()
    }

    /// Ends the stream once what is written has been sent.
    public func finish() {
        guard !isClosed, !finishing else { return }
        finishing = true
        wake()
    }

    /// Resumes the connection if it waits for bytes; either way libmicrohttpd runs again soon, since a
    /// connection that has not yet asked again (it sent the last bytes and has no event pending) would
    /// otherwise not look until its next event.
    private func wake() {
        guard let connection, let daemon else { return }
        if suspended {
            suspended = false
            MHD_resume_connection(connection)
        }
        daemon.runSoon()
    }

    /// libmicrohttpd asks for up to `max` bytes: what is pending, or a suspension until there is some, or
    /// the end.
    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        let available = pending.count - taken
        if available == 0 {
            if finishing { return -1 }  // MHD_CONTENT_READER_END_OF_STREAM
            if let connection {
                suspended = true
                MHD_suspend_connection(connection)
            }
            return 0
        }
        let count = min(max, available)
        pending.withUnsafeBytes { raw in
            buffer.update(from: raw.baseAddress!.advanced(by: taken).assumingMemoryBound(to: CChar.self), count: count)
        }
        taken += count
        pendingBytes -= count
        if taken == pending.count {
            pending.removeAll(keepingCapacity: pending.count <= 4096)
            taken = 0
        }
        return count
    }

    /// The connection is gone (or the response was freed): nothing more is sent.
    func closed() {
        guard !isClosed else { return }
        isClosed = true
        connection = nil
        suspended = false
        pending = []
        pendingBytes = 0
        let callback = onClose
        onClose = nil
        callback?()
    }

    /// For the daemon's shutdown: a suspended stream must be resumed before the daemon stops.
    func resumeForShutdown() {
        finishing = true
        wake()
    }
}

/// A response handed to libmicrohttpd once, body and header fields copied there, and then queued on as
/// many connections as ask for it without another copy: libmicrohttpd counts its references, and the
/// last connection to finish with it, or this object, frees it. Confined to its daemon's queue.
public final class HTTPPreparedResponse {
    public let response: HTTPResponse
    let pointer: OpaquePointer

    public init?(_ response: HTTPResponse) {
        let made = response.body.withUnsafeBytes { raw in
            MHD_create_response_from_buffer(
                raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), MHD_ResponseMemoryMode(rawValue: 2)!)  // MUST_COPY
        }
        guard let made else { return nil }
        for (name, value) in response.headers { MHD_add_response_header(made, name, value) }
        self.response = response
        pointer = made
    }

    deinit { MHD_destroy_response(pointer) }
}
