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
public struct Options: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        case serve
        case help
        case version
        /// A subcommand on a database file: `backup`, `check`, `export`.
        case tool(Tool)
        /// `microblogd backup --help` and the like.
        case toolHelp
    }

    /// The operator's subcommands (see `DatabaseTools`).
    public enum Tool: Equatable, Sendable {
        case backup(database: String, output: String, force: Bool)
        case check(database: String)
        case export(database: String, user: String?, since: Int64, format: DatabaseTools.ExportFormat)
        case migrate(from: String, to: String)
        case createAccount(database: String, name: String)
    }

    public var action: Action = .serve
    public var host = "127.0.0.1"
    public var port: UInt16 = 4242
    public var databasePath = "microblog.db"
    public var settings = MicroblogSettings()
    public var sendThreads = ServerConfiguration.defaultSendThreads
    public var ioURing = true
    public var statsInterval: Double = 60
    public var proxyProtocol = false
    /// The TLS door: all three of port, certificate and key, or none.
    public var tlsPort: UInt16?
    public var tlsCertificate: String?
    /// `--motd FILE`: the community's rules or message of the day, shown in the greeting.
    public var motdPath: String?
    public var tlsKey: String?
    public var tlsHandshakeTimeout = TLSConfiguration.defaultHandshakeTimeout
    /// The SSH door: its port, and the host key file (default: beside the SQLite database, see
    /// `SSHHostKey.defaultPath`).
    public var sshPort: UInt16?
    public var sshHostKey: String?
    public var sshLoginTimeout = SSHConfiguration.defaultLoginTimeout
    public var logLevel: Logger.Level = .info
    /// The web door: its port, whether crawlers are welcome, the address it is reached at.
    public var httpPort: UInt16?
    public var webIndexing = false
    public var webURL: String?
    public var metricsAllow: Set<String>?
    public var webTrustedProxies: Set<String>?

    public init() {}

    public static let version = "0.1.0"

    /// `2`, `0.5`: a number as `--help` and the start-up log show it.
    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// Parses `arguments` (without the program name). Throws a message for the user on bad input.
    /// Each argument names an option of `table`, as `--name`, `--name VALUE` or `--name=VALUE`; a
    /// later one wins over an earlier. What the options say together is checked once all are read.
    public static func parse(_ arguments: [String]) throws(OptionsError) -> Options {
        if let options = try parseSubcommand(arguments) { return options }
        var options = Options()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            // Accept --name=value as well as --name value.
            let equals = argument.firstIndex(of: "=")
            let name = equals.map { String(argument[..<$0]) } ?? argument
            let inlineValue = equals.map { String(argument[argument.index(after: $0)...]) }
            guard let option = table.first(where: { $0.isNamed(name) }) else {
                throw OptionsError("unknown option \(argument); see --help")
            }
            switch option.argument {
            case .nothing(let set):
                // `--proxy-protocol=no` must not turn it on.
                guard inlineValue == nil else { throw OptionsError("\(name) takes no value (given \(argument))") }
                set(&options)
            case .value(_, let set):
                if let inlineValue {
                    guard !inlineValue.isEmpty else { throw OptionsError("\(name) needs a value") }
                    try set(&options, inlineValue)
                } else {
                    index += 1
                    guard index < arguments.count else { throw OptionsError("\(name) needs a value") }
                    try set(&options, arguments[index])
                }
            }
            index += 1
        }
        try options.checkTogether()
        return options
    }

    /// Options that need one another: the TLS door's three, the SSH door's host key, a secure door
    /// when the plain port refuses passwords.
    private func checkTogether() throws(OptionsError) {
        let tlsGiven = [tlsPort != nil, tlsCertificate != nil, tlsKey != nil]
        if tlsGiven.contains(true) && tlsGiven.contains(false) {
            throw OptionsError("--tls-port, --tls-cert and --tls-key go together: give all three or none")
        }
        if sshHostKey != nil && sshPort == nil {
            throw OptionsError("--ssh-host-key needs --ssh-port")
        }
        if sshPort != nil && sshHostKey == nil, case .postgres = DatabaseLocation(databasePath) {
            throw OptionsError(
                "--ssh-port with a PostgreSQL database needs --ssh-host-key: there is no file to keep it beside")
        }
        if (webURL != nil || webIndexing || metricsAllow != nil || webTrustedProxies != nil) && httpPort == nil {
            throw OptionsError("--web-url, --web-index, --web-trusted-proxy and --metrics-allow need --http-port")
        }
        if !settings.plaintextPasswords && tlsPort == nil && sshPort == nil {
            throw OptionsError(
                "--plaintext-passwords deny needs a secure door (--tls-port or --ssh-port), or nobody could log in")
        }
    }

    public var configuration: ServerConfiguration {
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
        if let httpPort {
            var web = WebConfiguration(port: httpPort)
            web.allowIndexing = webIndexing
            web.baseURL = webURL ?? ""
            if let metricsAllow { web.metricsAllow = metricsAllow }
            if let webTrustedProxies { web.trustedProxies = webTrustedProxies }
            configuration.web = web
        }
        configuration.settings.version = Options.version
        return configuration
    }
}

public struct OptionsError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
