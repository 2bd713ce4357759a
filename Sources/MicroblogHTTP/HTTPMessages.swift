/// A request as libmicrohttpd read it: its line, headers, cookies, query arguments and form fields, and
/// the address of the client. A value.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path, without the query, percent-decoded (`/@alice`, `/tags/swift`).
    public var path: String
    public var version: String
    /// Query arguments (`?before=12`), decoded; the last of a repeated name.
    public var query: [String: String]
    /// Header fields by lower-cased name; the last of a repeated name.
    public var headers: [String: String]
    public var cookies: [String: String]
    /// Fields of an `application/x-www-form-urlencoded` body (a form's POST), decoded.
    public var form: [String: String]
    /// The client's address, as the door admitted it.
    public var peerHost: String

    public init(
        method: String, path: String, version: String = "HTTP/1.1", query: [String: String] = [:],
        headers: [String: String] = [:], cookies: [String: String] = [:], form: [String: String] = [:],
        peerHost: String = "127.0.0.1"
    ) {
        self.method = method
        self.path = path
        self.version = version
        self.query = query
        self.headers = headers
        self.cookies = cookies
        self.form = form
        self.peerHost = peerHost
    }

    /// The header field called `name`, in any case.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// A whole response: status, header fields and body. `HEAD` gets the same without the body (libmicrohttpd
/// leaves it out). A value.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of header `name`, in any case, if set.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// What a handler answers: a whole response, or a stream handed over after its head (Server-Sent Events).
/// A value.
public enum HTTPReply {
    case response(HTTPResponse)
    /// A response made once and sent again and again (a page kept for a while).
    case prepared(HTTPPreparedResponse)
    /// A live stream the caller serves itself: libmicrohttpd sends the status, the headers and `first`,
    /// as a body that ends when the connection closes (no chunks, no keep-alive), then lets go of the
    /// connection without closing it. `taken` then gets, on the daemon's queue, the socket (a descriptor
    /// of its own, which it must close) and the `closed` the connection was adopted with, to call once it
    /// has closed it. A stream served this way costs libmicrohttpd nothing while it lasts.
    case handOver(
        status: Int, headers: [(name: String, value: String)], first: [UInt8],
        taken: (_ fd: Int32, _ closed: @escaping () -> Void) -> Void)
}

/// The limits every connection of a daemon works under, in seconds and bytes. A value.
public struct HTTPLimits: Sendable {
    /// A connection that sends nothing and has nothing to be sent is closed after this long (libmicrohttpd's
    /// connection timeout); an open stream does not count as idle.
    public var idleTimeout: Int = 60
    /// From its accept, or the end of its previous response, a connection has this long to send a whole
    /// request head: a client sending a byte now and then cannot hold its connection (slowloris).
    public var requestHeadTimeout: Double = 10
    /// The memory each connection's request head and response head share (libmicrohttpd's connection
    /// memory limit): a request head that does not fit is answered `431` (`414` when the request line
    /// alone does not) and the connection closed.
    public var connectionMemory: Int = 16_384
    /// The largest form body a POST may send; a larger one is answered `413`.
    public var maxFormBytes: Int = 16_384
    /// Connections the daemon takes at once (the doors' own limits come first).
    public var maxConnections: Int = 20_000

    public init() {}
}
