import MicroblogDomain
import MicroblogModel
import MicroblogProtocol
import MicroblogSSH
import MicroblogSupport
import MicroblogTransport

/// Every option of `microblogd`, in the order `--help` lists them.
extension Options {
    /// What `parse` walks and `usage` lists: the general options, then the limits.
    static let table: [Option] = serving + doors + operations + limits.map(Option.init(limit:))

    /// What holds when no option is given, for the defaults `--help` shows.
    private static let defaults = Options()

    /// Where to listen, the database, who administers and who may register, the greeting, the proxy.
    private static let serving: [Option] = [
        .value("--host", "ADDRESS", default: defaults.host, help: ["address to listen on; 0.0.0.0 or :: for all"]) {
            options, text throws(OptionsError) in
            options.host = try nonEmpty(text, else: "--host needs an address")
        },
        .value("--port", "PORT", default: "\(defaults.port)", help: ["TCP port; 0 picks a free port"]) {
            options, text throws(OptionsError) in
            options.port = try port(text, for: "--port")
        },
        .value(
            "--db", "PATH", default: defaults.databasePath,
            help: [
                "SQLite database file, created if missing, or a PostgreSQL database",
                "shared by several nodes: postgresql://...",
            ]
        ) { options, text throws(OptionsError) in
            options.databasePath = try nonEmpty(text, else: "--db needs a file path")
        },
        .value("--admin", "NAME", help: ["make account NAME an administrator (repeatable)"]) {
            options, name throws(OptionsError) in
            guard case .success = AccountRules.validateName(name) else {
                throw OptionsError("--admin needs an account name (3 to 20 of A-Z a-z 0-9 _), not \(name)")
            }
            options.settings.admins.insert(name)
        },
        .value(
            "--registration", "open|invite|closed", default: defaults.settings.registration.rawValue,
            help: [
                "who may /register: anyone; with a one-time code from a",
                "member's /invite; or nobody, and accounts are made with",
                "microblogd account create",
            ]
        ) { options, text throws(OptionsError) in
            guard let registration = Registration(rawValue: text) else {
                throw OptionsError("--registration must be open, invite or closed, not \(text)")
            }
            options.settings.registration = registration
        },
        .value(
            "--motd", "FILE",
            help: [
                "the community's rules or message of the day, shown in the greeting:",
                "at most \(Motd.maxLines) lines of \(Motd.width) columns, the \"* \" before each included;",
                "SIGHUP reads it again",
            ]
        ) { options, path throws(OptionsError) in
            options.motdPath = try nonEmpty(path, else: "--motd needs a file")
        },
        .flag(
            "--proxy-protocol",
            help: [
                "every connection to --port starts with a PROXY v1 header (HAProxy",
                "send-proxy, stunnel protocol = proxy); only when the proxy alone can",
                "reach the port; the TLS port takes no header",
            ]
        ) { $0.proxyProtocol = true },
    ]

    /// The TLS and SSH doors, and whether the plain port takes passwords.
    private static let doors: [Option] = [
        .value(
            "--tls-port", "PORT", help: ["also serve over TLS on PORT (same --host); needs --tls-cert and --tls-key"]
        ) {
            options, text throws(OptionsError) in
            options.tlsPort = try port(text, for: "--tls-port")
        },
        .value(
            "--tls-cert", "FILE",
            help: ["PEM certificate chain for the TLS port (e.g. Let's Encrypt fullchain.pem)"]
        ) { options, path throws(OptionsError) in
            options.tlsCertificate = try nonEmpty(path, else: "--tls-cert needs a file path")
        },
        .value("--tls-key", "FILE", help: ["PEM private key for the TLS port (e.g. privkey.pem); SIGHUP reloads both"])
        {
            options, path throws(OptionsError) in
            options.tlsKey = try nonEmpty(path, else: "--tls-key needs a file path")
        },
        .value(
            "--tls-handshake-timeout", "S", default: format(defaults.tlsHandshakeTimeout),
            help: ["seconds a TLS client has to finish its handshake"]
        ) { options, text throws(OptionsError) in
            options.tlsHandshakeTimeout = try seconds(
                text, in: 0.1...3600, else: "--tls-handshake-timeout must be 0.1 to 3600 seconds, not \(text)")
        },
        .value("--ssh-port", "PORT", help: ["also serve over SSH on PORT (same --host): ssh -p PORT NAME@HOST"]) {
            options, text throws(OptionsError) in
            options.sshPort = try port(text, for: "--ssh-port")
        },
        .value(
            "--ssh-host-key", "FILE", default: "beside --db",
            help: ["Ed25519 host key for the SSH port, created if missing"]
        ) { options, path throws(OptionsError) in
            options.sshHostKey = try nonEmpty(path, else: "--ssh-host-key needs a file path")
        },
        .value(
            "--ssh-login-timeout", "S", default: format(defaults.sshLoginTimeout),
            help: ["seconds an SSH client has to log in and start a session"]
        ) { options, text throws(OptionsError) in
            options.sshLoginTimeout = try seconds(
                text, in: 1...3600, else: "--ssh-login-timeout must be 1 to 3600 seconds, not \(text)")
        },
        .value("--http-port", "PORT", help: ["also serve the web door (pages, feeds, live updates) on PORT"]) {
            options, text throws(OptionsError) in
            options.httpPort = try port(text, for: "--http-port")
        },
        .value(
            "--web-index", "allow|deny", default: "deny",
            help: ["allow: search engines may index the web door's pages (robots.txt, noindex)"]
        ) { options, text throws(OptionsError) in
            switch text {
            case "allow": options.webIndexing = true
            case "deny": options.webIndexing = false
            default: throw OptionsError("--web-index must be allow or deny, not \(text)")
            }
        },
        .value(
            "--web-url", "URL", default: "http://HOST:PORT",
            help: ["the web door's address as people reach it (behind a proxy: https://...); feeds link to it"]
        ) { options, text throws(OptionsError) in
            guard text.hasPrefix("http://") || text.hasPrefix("https://"), !text.hasSuffix("/") else {
                throw OptionsError("--web-url must be http://... or https://... without a trailing /, not \(text)")
            }
            options.webURL = text
        },
        .value(
            "--web-trusted-proxy", "ADDRESS,...",
            help: [
                "the reverse proxies in front of the web door (nginx, HAProxy, Caddy): their X-Forwarded-For",
                "names each request's client, and they are not held to --max-connections-per-ip",
            ]
        ) { options, text throws(OptionsError) in
            let addresses = text.split(separator: ",").map(String.init)
            guard !addresses.isEmpty, addresses.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
                throw OptionsError("--web-trusted-proxy takes addresses separated by commas, not \(text)")
            }
            options.webTrustedProxies = Set(addresses)
        },
        .value(
            "--metrics-allow", "ADDRESS,...", default: "127.0.0.1,::1",
            help: ["client addresses the web door's /metrics (Prometheus) answers; none: off"]
        ) { options, text throws(OptionsError) in
            let addresses = text.split(separator: ",").map(String.init)
            guard addresses.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
                throw OptionsError("--metrics-allow takes addresses separated by commas, not \(text)")
            }
            options.metricsAllow = Set(addresses.filter { $0 != "none" })
        },
        .value(
            "--plaintext-passwords", "allow|deny", default: defaults.settings.plaintextPasswords ? "allow" : "deny",
            help: [
                "deny: /login and /register only over TLS or SSH;",
                "the plain port stays open for reading and watching",
            ]
        ) { options, text throws(OptionsError) in
            switch text {
            case "allow": options.settings.plaintextPasswords = true
            case "deny": options.settings.plaintextPasswords = false
            default: throw OptionsError("--plaintext-passwords must be allow or deny, not \(text)")
            }
        },
    ]

    /// Logging, threads and the send path; help and version.
    private static let operations: [Option] = [
        .value(
            "--stats-interval", "S", default: format(defaults.statsInterval),
            help: ["seconds between stats lines in the log; 0: none"]
        ) {
            options, text throws(OptionsError) in
            guard let interval = Double(text), interval.isFinite, interval == 0 || (1...86_400).contains(interval)
            else {
                throw OptionsError("--stats-interval must be 0 (none) or 1 to 86400 seconds, not \(text)")
            }
            options.statsInterval = interval
        },
        .value(
            "--log-level", "LEVEL", default: defaults.logLevel.rawValue,
            help: ["error, warn, info or debug; debug adds posts' text"]
        ) {
            options, text throws(OptionsError) in
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw OptionsError("--log-level must be error, warn, info or debug, not \(text)")
            }
            options.logLevel = level
        },
        .value(
            "--send-threads", "N", default: "one per processor, at most 4",
            help: [
                "threads sending a post to many connections at once;",
                "\(ServerConfiguration.defaultSendThreads) on this machine",
            ]
        ) { options, text throws(OptionsError) in
            guard let count = Int(text), (1...64).contains(count) else {
                throw OptionsError("--send-threads must be a whole number from 1 to 64, not \(text)")
            }
            options.sendThreads = count
        },
        .value(
            "--io-uring", "on|off", default: defaults.ioURing ? "on" : "off",
            help: [
                "send through io_uring, many sends per system call, when the kernel",
                "allows it; off: one send call each",
            ]
        ) { options, text throws(OptionsError) in
            switch text {
            case "on": options.ioURing = true
            case "off": options.ioURing = false
            default: throw OptionsError("--io-uring must be on or off, not \(text)")
            }
        },
        .flag("--help", aliases: ["-h"], help: ["show this help"]) { $0.action = .help },
        .flag("--version", help: ["show the version"]) { $0.action = .version },
    ]

    /// `text`, unless it is empty.
    private static func nonEmpty(_ text: String, else message: String) throws(OptionsError) -> String {
        guard !text.isEmpty else { throw OptionsError(message) }
        return text
    }

    /// A TCP port, 0 to 65535.
    private static func port(_ text: String, for name: String) throws(OptionsError) -> UInt16 {
        guard let port = UInt16(text) else {
            throw OptionsError("\(name) must be a number from 0 to 65535, not \(text)")
        }
        return port
    }

    /// A finite number of seconds in `range`.
    private static func seconds(_ text: String, in range: ClosedRange<Double>, else message: String)
        throws(OptionsError) -> Double
    {
        guard let seconds = Double(text), seconds.isFinite, range.contains(seconds) else {
            throw OptionsError(message)
        }
        return seconds
    }
}
