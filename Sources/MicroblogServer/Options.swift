import MicroblogDomain
import MicroblogFanout
import MicroblogModel
import MicroblogPostgres
import MicroblogProtocol
import MicroblogSQLite
import MicroblogSSH
import MicroblogStorage
import MicroblogSupport
import MicroblogTransport

/// The command line of `microblogd`, parsed without side effects so it can be tested.
package struct Options: Equatable, Sendable {
    package enum Action: Equatable, Sendable {
        case serve
        case help
        case version
        /// A subcommand on a database file: `backup`, `check`, `export`.
        case tool(Tool)
        /// `microblogd backup --help` and the like.
        case toolHelp
    }

    /// The operator's subcommands (see `DatabaseTools`).
    package enum Tool: Equatable, Sendable {
        case backup(database: String, output: String, force: Bool)
        case check(database: String)
        case export(database: String, user: String?, since: Int64, format: DatabaseTools.ExportFormat)
        case migrate(from: String, to: String)
        case createAccount(database: String, name: String)
    }

    package static let toolUsage = """
        usage: microblogd backup --db PATH OUT [--force]
               microblogd check --db PATH
               microblogd export --db PATH [--user NAME] [--since ID] [--format jsonl|twtxt]
               microblogd migrate --from PATH.sqlite --to postgresql://...
               microblogd account create NAME --db PATH

        backup   a consistent copy of the database, made while a server may be writing to it;
                 OUT must not exist unless --force is given; the copy passes an integrity check
        check    integrity check, schema version, counts of users and posts; exit status 0 only
                 for a healthy database of a schema this microblogd knows
        export   posts to standard output, oldest first: jsonl (one JSON post object a line, the
                 default) or twtxt (time, tab, text); --user keeps one account's, --since ID those
                 after ID. Direct messages and password hashes are never exported.
        account create  makes account NAME, asking for its password on the terminal (or reading
                 one line from standard input when it is not a terminal); the only way to create
                 an --admin account, whose name and look-alikes cannot be registered over the wire
        migrate  copies a SQLite community, everything with its ids and password hashes, into an
                 empty PostgreSQL database (refused if it is not empty), in one transaction

        backup, check and export never change the database they read, and work while a server
        runs on it; migrate writes only to the PostgreSQL database it is given.
        """

    package var action: Action = .serve
    package var host = "127.0.0.1"
    package var port: UInt16 = 4242
    package var databasePath = "microblog.db"
    package var settings = MicroblogSettings()
    package var sendThreads = ServerConfiguration.defaultSendThreads
    package var ioURing = true
    package var statsInterval: Double = 60
    package var proxyProtocol = false
    /// The TLS door: all three of port, certificate and key, or none.
    package var tlsPort: UInt16?
    package var tlsCertificate: String?
    /// `--motd FILE`: the community's rules or message of the day, shown in the greeting.
    package var motdPath: String?
    package var tlsKey: String?
    package var tlsHandshakeTimeout = TLSConfiguration.defaultHandshakeTimeout
    /// The SSH door: its port, and the host key file (default: beside the SQLite database, see
    /// `SSHHostKey.defaultPath`).
    package var sshPort: UInt16?
    package var sshHostKey: String?
    package var sshLoginTimeout = SSHConfiguration.defaultLoginTimeout
    package var logLevel: Logger.Level = .info

    package init() {}

    package static let version = "0.1.0"

    /// A numeric limit: its flag, what it means, and where it goes. `usage` and the parser both read
    /// this table, so the help cannot drift from what is parsed.
    struct Limit: Sendable {
        let flag: String
        let unit: String
        let help: String
        let integer: Bool
        let get: @Sendable (MicroblogSettings) -> Double
        let set: @Sendable (inout MicroblogSettings, Double) -> Void
    }

    static let limits: [Limit] = [
        Limit(
            flag: "--max-connections", unit: "N", help: "connections at once", integer: true,
            get: { Double($0.maxConnections) }, set: { $0.maxConnections = Int($1) }),
        Limit(
            flag: "--max-connections-per-ip", unit: "N", help: "connections at once from one address", integer: true,
            get: { Double($0.maxConnectionsPerIP) }, set: { $0.maxConnectionsPerIP = Int($1) }),
        Limit(
            flag: "--post-rate", unit: "R", help: "posts per second per account", integer: false,
            get: { $0.postRate }, set: { $0.postRate = $1 }),
        Limit(
            flag: "--post-burst", unit: "N", help: "posts an account may make at once after a pause", integer: true,
            get: { $0.postBurst }, set: { $0.postBurst = $1 }),
        Limit(
            flag: "--social-rate", unit: "R", help: "likes and follows (and their undoing) per second per account",
            integer: false, get: { $0.socialRate }, set: { $0.socialRate = $1 }),
        Limit(
            flag: "--social-burst", unit: "N", help: "likes and follows an account may make at once after a pause",
            integer: true, get: { $0.socialBurst }, set: { $0.socialBurst = $1 }),
        Limit(
            flag: "--command-rate", unit: "R", help: "lines per second per connection (more wait their turn)",
            integer: false, get: { $0.commandRate }, set: { $0.commandRate = $1 }),
        Limit(
            flag: "--command-burst", unit: "N", help: "lines a connection may send at once after a pause",
            integer: true, get: { $0.commandBurst }, set: { $0.commandBurst = $1 }),
        Limit(
            flag: "--register-rate", unit: "N", help: "new accounts per hour from one address", integer: false,
            get: { $0.registrationsPerHour }, set: { $0.registrationsPerHour = $1 }),
        Limit(
            flag: "--login-failures", unit: "N", help: "failed logins per name or address before delays start",
            integer: true, get: { Double($0.loginFreeFailures) }, set: { $0.loginFreeFailures = Int($1) }),
        Limit(
            flag: "--password-checks", unit: "N",
            help: "logins and registrations per minute from one address (a sixth of it per connection)",
            integer: false, get: { $0.passwordChecksPerMinute }, set: { $0.passwordChecksPerMinute = $1 }),
        Limit(
            flag: "--handshake-rate", unit: "N",
            help: "TLS handshakes and SSH key exchanges per minute from one address",
            integer: false, get: { $0.handshakesPerMinute }, set: { $0.handshakesPerMinute = $1 }),
        Limit(
            flag: "--search-rate", unit: "N",
            help: "searches per minute from one address (a third of it per connection)",
            integer: false, get: { $0.searchesPerMinute }, set: { $0.searchesPerMinute = $1 }),
        Limit(
            flag: "--idle-timeout", unit: "S",
            help: "seconds before closing a session that sends nothing and watches nothing",
            integer: false, get: { $0.idleTimeout }, set: { $0.idleTimeout = $1 }),
        Limit(
            flag: "--prompt-timeout", unit: "S", help: "seconds a password prompt waits", integer: false,
            get: { $0.promptTimeout }, set: { $0.promptTimeout = $1 }),
        Limit(
            flag: "--output-limit", unit: "BYTES",
            help: "output buffered per connection; live posts beyond are dropped",
            integer: true, get: { Double($0.outputLimit) }, set: { $0.outputLimit = Int($1) }),
        Limit(
            flag: "--slow-reader-timeout", unit: "S", help: "seconds a connection may sit at its output limit unread",
            integer: false, get: { $0.slowReaderTimeout }, set: { $0.slowReaderTimeout = $1 }),
    ]

    package static var usage: String {
        let defaults = MicroblogSettings()
        var text = """
            usage: microblogd [options]

            A microblog server you use with telnet or nc.

            options:
              --host ADDRESS      address to listen on (default 127.0.0.1; 0.0.0.0 or :: for all)
              --port PORT         TCP port (default 4242; 0 picks a free port)
              --db PATH           SQLite database file, created if missing (default ./microblog.db),
                                  or a PostgreSQL database shared by several nodes: postgresql://...
              --admin NAME        make account NAME an administrator (repeatable)
              --registration open|invite|closed  who may /register: anyone (default), with a
                                  one-time code from a member's /invite, or nobody (accounts are made
                                  with microblogd account create)
              --motd FILE         the community's rules or message of the day, shown in the greeting
                                  (at most \(Motd.maxLines) lines of 78 columns after wrapping); SIGHUP reads it again
              --proxy-protocol    every connection to --port starts with a PROXY v1 header (HAProxy
                                  send-proxy, stunnel protocol = proxy); only when the proxy alone can
                                  reach the port; the TLS port takes no header
              --tls-port PORT     also serve over TLS on PORT (same --host); needs --tls-cert and --tls-key
              --tls-cert FILE     PEM certificate chain for the TLS port (e.g. Let's Encrypt fullchain.pem)
              --tls-key FILE      PEM private key for the TLS port (e.g. privkey.pem); SIGHUP reloads both
              --tls-handshake-timeout S  seconds a TLS client has to finish its handshake
                                  (default \(Self.format(TLSConfiguration.defaultHandshakeTimeout)))
              --ssh-port PORT     also serve over SSH on PORT (same --host): ssh -p PORT NAME@HOST
              --ssh-host-key FILE Ed25519 host key for the SSH port, created if missing (default: beside --db)
              --ssh-login-timeout S  seconds an SSH client has to log in and start a session
                                  (default \(Self.format(SSHConfiguration.defaultLoginTimeout)))
              --plaintext-passwords allow|deny  deny: /login and /register only through TLS;
                                  the plain port stays open for reading and watching (default allow)
              --stats-interval S  seconds between stats lines in the log (default 60; 0: none)
              --log-level LEVEL   error, warn, info or debug (default info; debug adds posts' text)
              --send-threads N    threads sending a post to many connections at once
                                  (default: one per processor, at most 4; here \(ServerConfiguration.defaultSendThreads))
              --io-uring on|off   send through io_uring, many sends per system call (default on,
                                  when the kernel allows it; off: one send call each)
              --help              show this help
              --version           show the version

            limits (0 means unlimited or never):

            """
        for limit in limits {
            let flag = "\(limit.flag) \(limit.unit)"
            let padding = String(repeating: " ", count: max(1, 30 - flag.count))
            text += "  \(flag)\(padding)\(limit.help) (default \(format(limit.get(defaults))))\n"
        }
        text += """

            subcommands (see microblogd backup --help):
              microblogd backup --db PATH OUT [--force]
              microblogd check --db PATH
              microblogd export --db PATH [--user NAME] [--since ID] [--format jsonl|twtxt]
              microblogd migrate --from PATH.sqlite --to postgresql://...
              microblogd account create NAME --db PATH

            Once listening it prints "listening on HOST:PORT" on standard output.
            Logs go to standard error. Stop it with Ctrl-C (SIGINT) or SIGTERM.
            """
        return text
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Parses `arguments` (without the program name). Throws a message for the user on bad input.
    package static func parse(_ arguments: [String]) throws(OptionsError) -> Options {
        if arguments.first == "account" {
            var options = Options()
            let rest = Array(arguments.dropFirst())
            if rest.contains("--help") || rest.contains("-h") {
                options.action = .toolHelp
                return options
            }
            guard rest.first == "create", rest.count == 4, let db = rest.firstIndex(of: "--db"), db >= 2,
                db + 1 < rest.count
            else { throw OptionsError("usage: microblogd account create NAME --db PATH") }
            let name = rest[db == 2 ? 1 : 3]
            options.action = .tool(.createAccount(database: rest[db + 1], name: name))
            return options
        }
        if let first = arguments.first, ["backup", "check", "export", "migrate"].contains(first) {
            var options = Options()
            let rest = Array(arguments.dropFirst())
            options.action =
                rest.contains("--help") || rest.contains("-h") ? .toolHelp : .tool(try parseTool(first, rest))
            return options
        }
        var options = Options()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            // Accept --name=value as well as --name value.
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts.first ?? argument
            var inline = parts.count == 2 ? parts[1] : nil
            func value() throws(OptionsError) -> String {
                if let given = inline {
                    inline = nil
                    return given
                }
                index += 1
                guard index < arguments.count else { throw OptionsError("\(name) needs a value") }
                return arguments[index]
            }
            switch name {
            case "--help", "-h": options.action = .help
            case "--version": options.action = .version
            case "--host":
                let host = try value()
                guard !host.isEmpty else { throw OptionsError("--host needs an address") }
                options.host = host
            case "--port":
                let text = try value()
                guard let port = UInt16(text) else {
                    throw OptionsError("--port must be a number from 0 to 65535, not \(text)")
                }
                options.port = port
            case "--admin":
                let name = try value()
                guard case .success = AccountRules.validateName(name) else {
                    throw OptionsError("--admin needs an account name (3 to 20 of A-Z a-z 0-9 _), not \(name)")
                }
                options.settings.admins.insert(name)
            case "--registration":
                let text = try value()
                guard let registration = Registration(rawValue: text) else {
                    throw OptionsError("--registration must be open, invite or closed, not \(text)")
                }
                options.settings.registration = registration
            case "--motd":
                let path = try value()
                guard !path.isEmpty else { throw OptionsError("--motd needs a file") }
                options.motdPath = path
            case "--proxy-protocol": options.proxyProtocol = true
            case "--plaintext-passwords":
                switch try value() {
                case "allow": options.settings.plaintextPasswords = true
                case "deny": options.settings.plaintextPasswords = false
                case let other:
                    throw OptionsError("--plaintext-passwords must be allow or deny, not \(other)")
                }
            case "--tls-port":
                let text = try value()
                guard let port = UInt16(text) else {
                    throw OptionsError("--tls-port must be a number from 0 to 65535, not \(text)")
                }
                options.tlsPort = port
            case "--tls-cert":
                let path = try value()
                guard !path.isEmpty else { throw OptionsError("--tls-cert needs a file path") }
                options.tlsCertificate = path
            case "--tls-key":
                let path = try value()
                guard !path.isEmpty else { throw OptionsError("--tls-key needs a file path") }
                options.tlsKey = path
            case "--tls-handshake-timeout":
                let text = try value()
                guard let seconds = Double(text), seconds.isFinite, (0.1...3600).contains(seconds) else {
                    throw OptionsError("--tls-handshake-timeout must be 0.1 to 3600 seconds, not \(text)")
                }
                options.tlsHandshakeTimeout = seconds
            case "--ssh-port":
                let text = try value()
                guard let port = UInt16(text) else {
                    throw OptionsError("--ssh-port must be a number from 0 to 65535, not \(text)")
                }
                options.sshPort = port
            case "--ssh-host-key":
                let path = try value()
                guard !path.isEmpty else { throw OptionsError("--ssh-host-key needs a file path") }
                options.sshHostKey = path
            case "--ssh-login-timeout":
                let text = try value()
                guard let seconds = Double(text), seconds.isFinite, (1...3600).contains(seconds) else {
                    throw OptionsError("--ssh-login-timeout must be 1 to 3600 seconds, not \(text)")
                }
                options.sshLoginTimeout = seconds
            case "--stats-interval":
                let text = try value()
                guard let seconds = Double(text), seconds.isFinite, seconds == 0 || (1...86_400).contains(seconds)
                else {
                    throw OptionsError("--stats-interval must be 0 (none) or 1 to 86400 seconds, not \(text)")
                }
                options.statsInterval = seconds
            case "--log-level":
                let text = try value()
                guard let level = Logger.Level(rawValue: text.lowercased()) else {
                    throw OptionsError("--log-level must be error, warn, info or debug, not \(text)")
                }
                options.logLevel = level
            case "--send-threads":
                let text = try value()
                guard let count = Int(text), (1...64).contains(count) else {
                    throw OptionsError("--send-threads must be a whole number from 1 to 64, not \(text)")
                }
                options.sendThreads = count
            case "--io-uring":
                let text = try value()
                switch text {
                case "on": options.ioURing = true
                case "off": options.ioURing = false
                default: throw OptionsError("--io-uring must be on or off, not \(text)")
                }
            case "--db":
                let path = try value()
                guard !path.isEmpty else { throw OptionsError("--db needs a file path") }
                options.databasePath = path
            default:
                guard let limit = limits.first(where: { $0.flag == name }) else {
                    throw OptionsError("unknown option \(argument); see --help")
                }
                let text = try value()
                guard let number = Double(text), number >= 0, number.isFinite,
                    !limit.integer || number == number.rounded(), number <= 1e12
                else {
                    let kind = limit.integer ? "a whole number" : "a number"
                    throw OptionsError("\(name) must be \(kind), 0 or more, not \(text)")
                }
                limit.set(&options.settings, number)
            }
            index += 1
        }
        let tlsGiven = [options.tlsPort != nil, options.tlsCertificate != nil, options.tlsKey != nil]
        if tlsGiven.contains(true) && tlsGiven.contains(false) {
            throw OptionsError("--tls-port, --tls-cert and --tls-key go together: give all three or none")
        }
        if options.sshHostKey != nil && options.sshPort == nil {
            throw OptionsError("--ssh-host-key needs --ssh-port")
        }
        if options.sshPort != nil && options.sshHostKey == nil,
            case .postgres = DatabaseLocation(options.databasePath)
        {
            throw OptionsError(
                "--ssh-port with a PostgreSQL database needs --ssh-host-key: there is no file to keep it beside")
        }
        if !options.settings.plaintextPasswords && options.tlsPort == nil && options.sshPort == nil {
            throw OptionsError(
                "--plaintext-passwords deny needs a secure door (--tls-port or --ssh-port), or nobody could log in")
        }
        return options
    }

    /// A subcommand's arguments: `--db PATH` is required (there is no default file to act on by accident).
    static func parseTool(_ name: String, _ arguments: [String]) throws(OptionsError) -> Tool {
        var database: String?
        var positional: [String] = []
        var force = false
        var user: String?
        var since: Int64 = 0
        var format = DatabaseTools.ExportFormat.jsonl
        var from: String?
        var to: String?
        var index = 0
        func value(_ flag: String) throws(OptionsError) -> String {
            index += 1
            guard index < arguments.count, !arguments[index].isEmpty else {
                throw OptionsError("\(flag) needs a value")
            }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--db" where name != "migrate": database = try value(argument)
            case "--from" where name == "migrate": from = try value(argument)
            case "--to" where name == "migrate": to = try value(argument)
            case "--force" where name == "backup": force = true
            case "--user" where name == "export": user = try value(argument)
            case "--since" where name == "export":
                let text = try value(argument)
                guard let id = Int64(text), id >= 0 else { throw OptionsError("--since needs a post id, not \(text)") }
                since = id
            case "--format" where name == "export":
                let text = try value(argument)
                guard let chosen = DatabaseTools.ExportFormat(rawValue: text) else {
                    throw OptionsError("--format must be jsonl or twtxt, not \(text)")
                }
                format = chosen
            default:
                guard !argument.hasPrefix("-") else {
                    throw OptionsError("unknown option \(argument) for \(name)\n\n\(toolUsage)")
                }
                positional.append(argument)
            }
            index += 1
        }
        if name == "migrate" {
            guard let from, let to, positional.isEmpty else {
                throw OptionsError("migrate needs --from PATH.sqlite --to postgresql://...\n\n\(toolUsage)")
            }
            guard case .postgres = DatabaseLocation(to) else {
                throw OptionsError("--to must name a PostgreSQL database (postgresql://...), not \(to)")
            }
            return .migrate(from: from, to: to)
        }
        guard let database else { throw OptionsError("\(name) needs --db PATH\n\n\(toolUsage)") }
        switch name {
        case "backup":
            guard positional.count == 1, let output = positional.first else {
                throw OptionsError("backup needs one output file: microblogd backup --db PATH OUT")
            }
            guard output != database else { throw OptionsError("backup cannot write over the database it copies") }
            return .backup(database: database, output: output, force: force)
        case "check":
            guard positional.isEmpty else { throw OptionsError("check takes no file but --db PATH") }
            return .check(database: database)
        default:
            guard positional.isEmpty else {
                throw OptionsError("export takes no file but --db PATH; it writes to standard output")
            }
            return .export(database: database, user: user, since: since, format: format)
        }
    }

    /// The limits that differ from the defaults, as `--flag value` pairs, for the start-up log.
    package var changedLimits: [String] {
        let defaults = MicroblogSettings()
        return Self.limits.compactMap { limit in
            limit.get(settings) == limit.get(defaults) ? nil : "\(limit.flag) \(Self.format(limit.get(settings)))"
        }
    }

    package var configuration: ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.databasePath = databasePath
        configuration.settings = settings
        configuration.sendThreads = sendThreads
        configuration.ioURing = ioURing
        configuration.statsInterval = statsInterval
        configuration.proxyProtocol = proxyProtocol
        configuration.motdPath = motdPath
        if let tlsPort, let tlsCertificate, let tlsKey {
            configuration.tls = TLSConfiguration(
                port: tlsPort, certificatePath: tlsCertificate, keyPath: tlsKey, handshakeTimeout: tlsHandshakeTimeout)
        }
        if let sshPort {
            configuration.ssh = SSHConfiguration(
                port: sshPort, hostKeyPath: sshHostKey ?? SSHHostKey.defaultPath(forDatabase: databasePath),
                loginTimeout: sshLoginTimeout)
        }
        configuration.settings.version = Options.version
        return configuration
    }
}

package struct OptionsError: Error, Equatable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
