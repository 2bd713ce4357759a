import CMicroHTTPD
import Dispatch
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Answers a request, on the daemon's queue, exactly once: at once or later (after a database read).
public protocol HTTPHandler: AnyObject {
    func handle(_ request: HTTPRequest, _ responder: HTTPResponder)
}

/// HTTP through GNU libmicrohttpd, driven from a Dispatch queue: libmicrohttpd parses requests and writes
/// responses; it has no thread and no listening socket of its own. A door accepts each connection, admits
/// it, and hands the socket over (`adopt`); the daemon's epoll descriptor is watched by a read source on
/// `queue`, and a timer wakes it for its timeouts. Every libmicrohttpd call, and so every callback, runs
/// on `queue`.
///
/// Confined to `queue`.
public final class HTTPDaemon {
    public let queue: DispatchQueue
    public let limits: HTTPLimits
    private let handler: HTTPHandler
    private var daemon: OpaquePointer?
    private var epollSource: DispatchSourceRead?
    private var timer: DispatchSourceTimer?
    private var runScheduled = false
    /// Requests waiting, suspended, for their answer: resumed before the daemon stops.
    private var suspendedRequests: [ObjectIdentifier: (OpaquePointer, RequestState)] = [:]
    /// Connections open now, by descriptor.
    public private(set) var connectionCount = 0
    /// Requests answered so far.
    public private(set) var requestsAnswered = 0

    /// Starts libmicrohttpd (nothing is accepted until a door calls `adopt`). Throws when it cannot start.
    public init(queue: DispatchQueue, limits: HTTPLimits = HTTPLimits(), handler: HTTPHandler) throws {
        self.queue = queue
        self.limits = limits
        self.handler = handler
        try start()
    }

    public func checkConfined() { queue.checkConfined() }

    private func start() throws {
        let context = Unmanaged.passUnretained(self).toOpaque()
        var options: [MHD_OptionItem] = [
            MHD_OptionItem(option: MHD_OPTION(rawValue: 3)!, value: limits.idleTimeout, ptr_value: nil),  // CONNECTION_TIMEOUT
            MHD_OptionItem(option: MHD_OPTION(rawValue: 1)!, value: limits.connectionMemory, ptr_value: nil),  // CONNECTION_MEMORY_LIMIT
            MHD_OptionItem(option: MHD_OPTION(rawValue: 2)!, value: limits.maxConnections, ptr_value: nil),  // CONNECTION_LIMIT
            MHD_OptionItem(
                option: MHD_OPTION(rawValue: 4)!, value: unsafeBitCast(Self.completed, to: Int.self),
                ptr_value: context),  // NOTIFY_COMPLETED
            MHD_OptionItem(
                option: MHD_OPTION(rawValue: 27)!, value: unsafeBitCast(Self.connectionNotice, to: Int.self),
                ptr_value: context),  // NOTIFY_CONNECTION
            MHD_OptionItem(option: MHD_OPTION(rawValue: 0)!, value: 0, ptr_value: nil),  // END
        ]
        // No listening socket, no thread of its own (runs from `queue` on its epoll descriptor); a request
        // answered later suspends its connection meanwhile.
        let flags =
            MHD_USE_NO_LISTEN_SOCKET.rawValue | MHD_USE_EPOLL.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
            | MHD_USE_TURBO.rawValue
        guard let daemon = microblog_mhd_start(UInt32(flags), Self.access, context, &options) else {
            throw HTTPDaemonError("libmicrohttpd did not start")
        }
        self.daemon = daemon
        let epoll = microblog_mhd_epoll_fd(daemon)
        guard epoll >= 0 else { throw HTTPDaemonError("libmicrohttpd has no epoll descriptor") }
        let source = DispatchSource.makeReadSource(fileDescriptor: epoll, queue: queue)
        source.setEventHandler { [unowned self] in run() }
        source.resume()
        epollSource = source
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [unowned self] in run() }
        timer.schedule(deadline: .distantFuture)
        timer.resume()
        self.timer = timer
    }

    /// Hands an accepted socket to libmicrohttpd. `closed` runs once, on `queue`, when the connection
    /// ends (its door's count goes down then); it runs at once if libmicrohttpd refuses the socket (which
    /// it then closes).
    public func adopt(fd: Int32, peerHost: String, closed: @escaping () -> Void) {
        checkConfined()
        guard let daemon else {
            Glibc.close(fd)
            return closed()
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        let state = ConnectionState(fd: fd, peerHost: peerHost, closed: closed)
        pendingAdoption = state
        let added = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { MHD_add_connection(daemon, fd, $0, length) }
        }
        pendingAdoption = nil
        if added.rawValue != 1 {
            // libmicrohttpd closed the socket; it never told us of the connection.
            if !state.started { closed() }
            return
        }
        armHeadDeadline(state)
        run()
    }

    /// The connection being added by `adopt`: `connectionNotice` takes it as the socket's state.
    private var pendingAdoption: ConnectionState?

    /// Stops: answers every request still waiting `503`, then closes every
    /// connection. libmicrohttpd may not stop while a connection is suspended (it aborts the process), so
    /// every one is resumed first and run until none is left.
    public func shutdown() {
        checkConfined()
        guard let daemon else { return }
        for (connection, request) in suspendedRequests.values {
            request.reply = .response(HTTPResponse(status: 503, body: Array("the server is stopping\n".utf8)))
            request.suspended = false
            MHD_resume_connection(connection)
        }
        suspendedRequests.removeAll()
        for _ in 0..<3 { MHD_run(daemon) }
        timer?.cancel()
        self.daemon = nil
        // libmicrohttpd closes its epoll descriptor as it stops: only once the read source on it is
        // cancelled, or libdispatch could still hold that number when a new socket gets it (a listener
        // made next would then never hear of its connections).
        guard let source = epollSource else { return MHD_stop_daemon(daemon) }
        epollSource = nil
        source.setCancelHandler { [self] in
            MHD_stop_daemon(daemon)
            _ = self  // the callbacks MHD_stop_daemon makes reach this daemon
        }
        source.cancel()
    }

    // MARK: - Running

    /// Lets libmicrohttpd do what its descriptors allow, then sets the timer for its next timeout.
    func run() {
        checkConfined()
        runScheduled = false
        guard let daemon else { return }
        // Twice: libmicrohttpd lets go of the connections that closed during a run (their `closed`
        // notices) at the start of the next one, which might otherwise wait for an event
        // that never comes. The second run's epoll wait does not block.
        MHD_run(daemon)
        MHD_run(daemon)
        var timeout: UInt64 = 0
        if MHD_get_timeout(daemon, &timeout).rawValue == 1 {
            timer?.schedule(deadline: .now() + .milliseconds(Int(min(timeout, 60_000))))
        } else {
            timer?.schedule(deadline: .distantFuture)
        }
    }

    /// Runs libmicrohttpd once more after the current work on the queue (a
    /// response is ready): many writes in one turn cost one run.
    func runSoon() {
        guard !runScheduled else { return }
        runScheduled = true
        queue.asyncConfined { [weak self] in self?.run() }
    }

    // MARK: - A request head's deadline

    /// From now, the connection has `requestHeadTimeout` to send a whole request head; past it, its
    /// socket is shut, which libmicrohttpd sees as the client leaving.
    private func armHeadDeadline(_ state: ConnectionState) {
        state.headGeneration += 1
        let generation = state.headGeneration
        queue.asyncAfterConfined(.milliseconds(Int(limits.requestHeadTimeout * 1000))) { [weak state] in
            guard let state, !state.isClosed, state.headGeneration == generation, !state.inRequest else { return }
            Glibc.shutdown(state.fd, Int32(SHUT_RDWR))
        }
    }

    // MARK: - libmicrohttpd's callbacks (all on `queue`, from inside MHD_run or MHD_add_connection)

    private static func daemon(_ context: UnsafeMutableRawPointer?) -> HTTPDaemon {
        Unmanaged<HTTPDaemon>.fromOpaque(context!).takeUnretainedValue()
    }

    private static let connectionNotice: MHD_NotifyConnectionCallback = { context, _, socketContext, code in
        let daemon = daemon(context)
        if code.rawValue == 0 {  // MHD_CONNECTION_NOTIFY_STARTED
            guard let state = daemon.pendingAdoption else { return }
            state.started = true
            daemon.connectionCount += 1
            socketContext?.pointee = Unmanaged.passRetained(state).toOpaque()
        } else {  // MHD_CONNECTION_NOTIFY_CLOSED
            guard let pointer = socketContext?.pointee else { return }
            socketContext?.pointee = nil
            let state = Unmanaged<ConnectionState>.fromOpaque(pointer).takeRetainedValue()
            state.isClosed = true
            daemon.connectionCount -= 1
            if let handOver = state.handOver {
                state.handOver = nil
                // The head went out whole: libmicrohttpd closes its own descriptor next, and the one kept goes
                // to the stream's owner after this callback. Otherwise (the client left, a timeout) nothing is.
                if state.handOverSent {
                    daemon.queue.asyncConfined { handOver.taken(handOver.fd, state.closed) }
                    return
                }
                Glibc.close(handOver.fd)
            }
            state.closed()
        }
    }

    private static let access: MHD_AccessHandlerCallback = {
        context, connection, url, method, version, uploadData, uploadSize, requestContext in
        let daemon = daemon(context)
        guard let connection, let requestContext else { return MHD_Result(rawValue: 0)! }
        if requestContext.pointee == nil {
            // The request head is in: a new request.
            let request = RequestState()
            requestContext.pointee = Unmanaged.passRetained(request).toOpaque()
            daemon.state(of: connection)?.inRequest = true
            let methodText = method.map { String(cString: $0) } ?? ""
            if methodText == "POST" {
                request.postProcessor = MHD_create_post_processor(
                    connection, 4096, HTTPDaemon.formField, Unmanaged.passUnretained(request).toOpaque())
            }
            return MHD_Result(rawValue: 1)!
        }
        let request = Unmanaged<RequestState>.fromOpaque(requestContext.pointee!).takeUnretainedValue()
        if let size = uploadSize, size.pointee > 0 {
            request.bodyBytes += size.pointee
            if request.bodyBytes > daemon.limits.maxFormBytes {
                request.tooLarge = true
            } else if let processor = request.postProcessor {
                _ = MHD_post_process(processor, uploadData, size.pointee)
            }
            size.pointee = 0
            return MHD_Result(rawValue: 1)!
        }
        if let reply = request.reply {
            request.reply = nil
            return daemon.queue(reply, on: connection)
        }
        guard !request.dispatched else {
            // Woken before the answer is ready: wait again.
            request.suspended = true
            daemon.suspendedRequests[ObjectIdentifier(request)] = (connection, request)
            MHD_suspend_connection(connection)
            return MHD_Result(rawValue: 1)!
        }
        request.dispatched = true
        let peerHost = daemon.state(of: connection)?.peerHost ?? ""
        if request.tooLarge {
            return daemon.queue(
                .response(HTTPResponse(status: 413, body: Array("form too large\n".utf8))), on: connection)
        }
        let parsed = HTTPRequest(
            method: method.map { String(cString: $0) } ?? "",
            path: url.map { String(cString: $0) } ?? "/",
            version: version.map { String(cString: $0) } ?? "",
            query: values(of: connection, kind: 8),
            headers: values(of: connection, kind: 1, lowercased: true),
            cookies: values(of: connection, kind: 2), form: request.form, peerHost: peerHost)
        let responder = HTTPResponder(daemon: daemon, connection: connection, request: request)
        request.answering = true
        daemon.handler.handle(parsed, responder)
        request.answering = false
        if let reply = request.reply {
            request.reply = nil
            return daemon.queue(reply, on: connection)
        }
        request.suspended = true
        daemon.suspendedRequests[ObjectIdentifier(request)] = (connection, request)
        MHD_suspend_connection(connection)
        return MHD_Result(rawValue: 1)!
    }

    private static let completed: MHD_RequestCompletedCallback = { context, connection, requestContext, code in
        let daemon = daemon(context)
        if let connection, let state = daemon.state(of: connection), state.handOver != nil {
            state.handOverSent = code.rawValue == 0  // MHD_REQUEST_TERMINATED_COMPLETED_OK
        }
        if let pointer = requestContext?.pointee {
            requestContext?.pointee = nil
            let request = Unmanaged<RequestState>.fromOpaque(pointer).takeRetainedValue()
            request.finished = true
            daemon.suspendedRequests[ObjectIdentifier(request)] = nil
            if let processor = request.postProcessor { _ = MHD_destroy_post_processor(processor) }
            request.postProcessor = nil
        }
        if let connection, let state = daemon.state(of: connection), !state.isClosed {
            // Kept alive: the next request head has its own deadline.
            state.inRequest = false
            daemon.armHeadDeadline(state)
        }
    }

    private static let formField: MHD_PostDataIterator = { context, _, key, _, _, _, data, offset, size in
        let request = Unmanaged<RequestState>.fromOpaque(context!).takeUnretainedValue()
        guard let key else { return MHD_Result(rawValue: 1)! }
        let name = String(cString: key)
        let chunk =
            data.map { pointer in
                String(decoding: UnsafeRawBufferPointer(start: pointer, count: size), as: UTF8.self)
            } ?? ""
        request.form[name] = offset == 0 ? chunk : (request.form[name] ?? "") + chunk
        return MHD_Result(rawValue: 1)!
    }

    private static let handOverRead: MHD_ContentReaderCallback = { context, position, buffer, max in
        let body = Unmanaged<HandOverBody>.fromOpaque(context!).takeUnretainedValue()
        let start = Int(position)
        guard let buffer, start < body.bytes.count else { return -1 }  // MHD_CONTENT_READER_END_OF_STREAM
        let count = min(max, body.bytes.count - start)
        body.bytes.withUnsafeBufferPointer { source in
            buffer.update(
                from: UnsafeRawPointer(source.baseAddress! + start).assumingMemoryBound(to: CChar.self), count: count)
        }
        return count
    }

    private static let handOverFreed: MHD_ContentReaderFreeCallback = { context in
        Unmanaged<HandOverBody>.fromOpaque(context!).release()
    }

    /// The values of one kind (headers, query arguments, cookies) of a request.
    private static func values(
        of connection: OpaquePointer, kind: Int32, lowercased: Bool = false
    ) -> [String: String] {
        final class Box {
            var values: [String: String] = [:]
            var lowercased = false
        }
        let box = Box()
        box.lowercased = lowercased
        let iterator: MHD_KeyValueIterator = { context, _, key, value in
            let box = Unmanaged<Box>.fromOpaque(context!).takeUnretainedValue()
            if let key {
                let name = String(cString: key)
                box.values[box.lowercased ? name.lowercased() : name] = value.map { String(cString: $0) } ?? ""
            }
            return MHD_Result(rawValue: 1)!
        }
        _ = withExtendedLifetime(box) {
            microblog_mhd_values(connection, kind, iterator, Unmanaged.passUnretained(box).toOpaque())
        }
        return box.values
    }

    // MARK: - Replies

    /// Queues `reply` on the connection whose access handler is running.
    private func queue(_ reply: HTTPReply, on connection: OpaquePointer) -> MHD_Result {
        requestsAnswered += 1
        switch reply {
        case .response(let response):
            let made = response.body.withUnsafeBytes { raw in
                MHD_create_response_from_buffer(
                    raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), MHD_ResponseMemoryMode(rawValue: 2)!)  // MUST_COPY
            }
            guard let made else { return MHD_Result(rawValue: 0)! }
            for (name, value) in response.headers { MHD_add_response_header(made, name, value) }
            let result = MHD_queue_response(connection, UInt32(response.status), made)
            MHD_destroy_response(made)
            return result
        case .prepared(let prepared):
            return MHD_queue_response(connection, UInt32(prepared.response.status), prepared.pointer)
        case .handOver(let status, let headers, let first, let taken):
            // The socket outlives libmicrohttpd's hold on it through a descriptor of its own. TURBO mode
            // closes without shutdown(2), so the client sees no end of the stream when it lets go.
            guard let state = state(of: connection) else { return MHD_Result(rawValue: 0)! }
            let kept = fcntl(state.fd, F_DUPFD_CLOEXEC, 0)
            guard kept >= 0 else { return MHD_Result(rawValue: 0)! }
            let body = HandOverBody(first)
            let made = MHD_create_response_from_callback(
                UInt64.max, Self.streamBlockBytes, Self.handOverRead, Unmanaged.passRetained(body).toOpaque(),
                Self.handOverFreed)
            guard let made, microblog_mhd_close_delimited(made) == MICROBLOG_MHD_YES else {
                Glibc.close(kept)
                if let made { MHD_destroy_response(made) }
                return MHD_Result(rawValue: 0)!
            }
            for (name, value) in headers { MHD_add_response_header(made, name, value) }
            state.handOver = (kept, taken)
            let result = MHD_queue_response(connection, UInt32(status), made)
            MHD_destroy_response(made)
            if result.rawValue != 1 {
                // Not queued: libmicrohttpd closes the connection, which is nobody's to take over.
                state.handOver = nil
                Glibc.close(kept)
            }
            return result
        }
    }

    /// The block libmicrohttpd allocates with a handed-over stream's response, which reads its first bytes
    /// through it (a close-delimited body is not written into the connection's own buffer).
    static let streamBlockBytes = 512

    /// A later answer: kept for the access handler, which libmicrohttpd calls again once resumed.
    fileprivate func answer(_ reply: HTTPReply, connection: OpaquePointer, request: RequestState) {
        checkConfined()
        // After the shutdown the connection is gone: nothing to answer.
        guard daemon != nil, !request.finished, request.reply == nil else { return }
        request.reply = reply
        if request.answering { return }
        if request.suspended {
            request.suspended = false
            suspendedRequests[ObjectIdentifier(request)] = nil
            MHD_resume_connection(connection)
            runSoon()
        }
    }

    private func state(of connection: OpaquePointer) -> ConnectionState? {
        guard let pointer = microblog_mhd_socket_context(connection) else { return nil }
        return Unmanaged<ConnectionState>.fromOpaque(pointer).takeUnretainedValue()
    }
}

/// Answers one request, once; later answers are ignored, as are answers for a request whose connection
/// has gone. Confined to the daemon's queue.
public final class HTTPResponder {
    private weak var daemon: HTTPDaemon?
    private let connection: OpaquePointer
    private let request: RequestState

    fileprivate init(daemon: HTTPDaemon, connection: OpaquePointer, request: RequestState) {
        self.daemon = daemon
        self.connection = connection
        self.request = request
    }

    public func respond(_ reply: HTTPReply) {
        daemon?.answer(reply, connection: connection, request: request)
    }

    public func respond(_ response: HTTPResponse) { respond(.response(response)) }
}

/// One request in progress. Confined to the daemon's queue.
final class RequestState {
    var postProcessor: OpaquePointer?
    var form: [String: String] = [:]
    var bodyBytes = 0
    var tooLarge = false
    var dispatched = false
    var answering = false
    var suspended = false
    var finished = false
    var reply: HTTPReply?
}

/// One connection: its socket, its client, and whether a request head is due. Confined to the daemon's queue.
/// The first bytes of a stream handed over (`HTTPReply.handOver`), read by libmicrohttpd after the headers.
final class HandOverBody {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

final class ConnectionState {
    let fd: Int32
    let peerHost: String
    let closed: () -> Void
    /// Set when the connection's reply hands it over: the descriptor kept, and who takes it once
    /// libmicrohttpd has let go.
    var handOver: (fd: Int32, taken: (Int32, @escaping () -> Void) -> Void)?
    /// Whether the handed-over reply's head and first bytes went out whole (its request completed).
    var handOverSent = false
    var started = false
    var isClosed = false
    var inRequest = false
    var headGeneration = 0

    init(fd: Int32, peerHost: String, closed: @escaping () -> Void) {
        self.fd = fd
        self.peerHost = peerHost
        self.closed = closed
    }
}

public struct HTTPDaemonError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
