import MicroblogDomain
import MicroblogHTTP
import MicroblogSupport
import MicroblogTransport

/// Where and how to serve.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port: UInt16 = 4242
    public var databasePath = "microblog.db"
    public var settings = MicroblogSettings()
    /// Every connection begins with a PROXY protocol v1 header naming the client (behind HAProxy or
    /// stunnel); the client's address is then used for logs, limits and throttling.
    public var proxyProtocol = false
    /// Seconds between stats lines in the log; 0 for none.
    public var statsInterval: Double = 60
    /// Threads that send a broadcast's output when it goes to many connections at once.
    public var sendThreads = ServerConfiguration.defaultSendThreads
    /// Sends go through io_uring (`SendRing`), a batch's in one system call per send thread, when the
    /// kernel allows it (`--io-uring off`: one `send` call each).
    public var ioURing = true
    /// Connections in one flush from which the send threads share the work (fewer: one thread sends them
    /// all, since waking another costs more than it saves).
    var parallelSendThreshold = FlushScheduler.defaultParallelThreshold
    /// The TLS door, if any: a second port on the same host.
    public var tls: TLSConfiguration?
    /// The SSH door, if any: a third port on the same host.
    public var ssh: SSHConfiguration?
    /// The web door, if any: HTTP on another port of the same host.
    public var web: WebConfiguration?
    /// The community's rules or message of the day for the greeting (`--motd FILE`), read at start and on
    /// SIGHUP.
    public var motdPath: String?

    public init() {}

    /// The host a local client should dial: the listen address, or loopback when listening on all.
    public var connectHost: String {
        switch host {
        case "0.0.0.0", "": return "127.0.0.1"
        case "::", "[::]": return "::1"
        default: return host
        }
    }

    /// One per processor this process may use, at most 4: the sends are kernel work that scales with cores,
    /// and a second thread on the one core `taskset` allows would only switch back and forth.
    public static var defaultSendThreads: Int { min(4, ProcessSetup.usableProcessors) }
}

/// The web door: its port and what it tells crawlers.
public struct WebConfiguration: Sendable {
    public var port: UInt16
    /// `--web-index allow`: pages may be indexed and `robots.txt` allows crawling; deny (the default)
    /// asks crawlers to stay away, as many small communities want.
    public var allowIndexing = false
    /// How many posts a page lists.
    public var pageSize = 20
    /// The address the door is reached at from outside, without a trailing slash (`--web-url`): what
    /// feeds link to. Default: `http://HOST:PORT` as it listens.
    public var baseURL = ""
    /// The tag URI authority every feed entry id is minted under (`host,2026`): from `--web-url`'s host,
    /// so a site that keeps its address keeps its ids.
    public var idAuthority: String {
        var host = baseURL
        if let scheme = host.firstRange(of: "://") { host = String(host[scheme.upperBound...]) }
        host = String(host.prefix { $0 != "/" && $0 != ":" })
        // A tag URI's authority is a DNS name: an IPv6 address (`[::1]`) cannot be one, so such a site mints
        // under `localhost` until `--web-url` names it.
        return (host.isEmpty || host.hasPrefix("[") ? "localhost" : host) + ",2026"
    }
    /// The reverse proxies in front of the door (`--web-trusted-proxy`): a connection from one of them is
    /// not held to the per-address connection limit, and each request's client is the address its
    /// `X-Forwarded-For` names last (its `X-Forwarded-Proto` says whether it came over HTTPS). Nobody
    /// else's forwarding headers are believed.
    public var trustedProxies: Set<String> = []
    /// The client addresses `/metrics` answers (`--metrics-allow`); others get `404`.
    public var metricsAllow: Set<String> = ["127.0.0.1", "::1"]
    /// Connection limits and timeouts of the HTTP engine.
    public var limits = HTTPLimits()

    public init(port: UInt16) { self.port = port }
}
