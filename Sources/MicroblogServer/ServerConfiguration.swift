import MicroblogDomain
import MicroblogSupport
import MicroblogTransport

/// Where and how to serve.
package struct ServerConfiguration: Sendable {
    package var host = "127.0.0.1"
    package var port: UInt16 = 4242
    package var databasePath = "microblog.db"
    package var settings = MicroblogSettings()
    /// Every connection begins with a PROXY protocol v1 header naming the client (behind HAProxy or
    /// stunnel); the client's address is then used for logs, limits and throttling.
    package var proxyProtocol = false
    /// Seconds between stats lines in the log; 0 for none.
    package var statsInterval: Double = 60
    /// Threads that send a broadcast's output when it goes to many connections at once.
    package var sendThreads = ServerConfiguration.defaultSendThreads
    /// Sends go through io_uring (`SendRing`), a batch's in one system call per send thread, when the
    /// kernel allows it (`--io-uring off`: one `send` call each).
    package var ioURing = true
    /// Connections in one flush from which the send threads share the work (fewer: one thread sends them
    /// all, since waking another costs more than it saves).
    var parallelSendThreshold = FlushScheduler.defaultParallelThreshold
    /// The TLS door, if any: a second port on the same host.
    package var tls: TLSConfiguration?
    /// The SSH door, if any: a third port on the same host.
    package var ssh: SSHConfiguration?
    /// The community's rules or message of the day for the greeting (`--motd FILE`), read at start and on
    /// SIGHUP.
    package var motdPath: String?

    package init() {}

    /// The host a local client should dial: the listen address, or loopback when listening on all.
    package var connectHost: String {
        switch host {
        case "0.0.0.0", "": return "127.0.0.1"
        case "::", "[::]": return "::1"
        default: return host
        }
    }

    /// One per processor this process may use, at most 4: the sends are kernel work that scales with cores,
    /// and a second thread on the one core `taskset` allows would only switch back and forth.
    package static var defaultSendThreads: Int { min(4, ProcessSetup.usableProcessors) }
}
