/// The command line of `microblogd`, parsed without side effects so it can be tested.
public struct Options: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        case serve
        case help
        case version
    }

    public var action: Action = .serve
    public var host = "127.0.0.1"
    public var port: UInt16 = 4242
    public var databasePath = "microblog.db"

    public init() {}

    public static let version = "0.1.0"

    public static let usage = """
        usage: microblogd [options]

        A microblog server you use with telnet or nc.

        options:
          --host ADDRESS   address to listen on (default 127.0.0.1; 0.0.0.0 or :: for all)
          --port PORT      TCP port (default 4242; 0 picks a free port)
          --db PATH        SQLite database file, created if missing (default ./microblog.db)
          --help           show this help
          --version        show the version

        Once listening it prints "listening on HOST:PORT" on standard output.
        Logs go to standard error. Stop it with Ctrl-C (SIGINT) or SIGTERM.
        """

    /// Parses `arguments` (without the program name). Throws a message for the user on bad input.
    public static func parse(_ arguments: [String]) throws(OptionsError) -> Options {
        var options = Options()
        var index = 0
        func value(for option: String) throws(OptionsError) -> String {
            index += 1
            guard index < arguments.count else { throw OptionsError("\(option) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            // Accept --name=value as well as --name value.
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            let inline = parts.count == 2 ? parts[1] : nil
            func take() throws(OptionsError) -> String {
                if let inline { return inline } else { return try value(for: name) }
            }
            switch name {
            case "--help", "-h": options.action = .help
            case "--version": options.action = .version
            case "--host":
                let host = try take()
                guard !host.isEmpty else { throw OptionsError("--host needs an address") }
                options.host = host
            case "--port":
                let text = try take()
                guard let port = UInt16(text) else {
                    throw OptionsError("--port must be a number from 0 to 65535, not \(text)")
                }
                options.port = port
            case "--db":
                let path = try take()
                guard !path.isEmpty else { throw OptionsError("--db needs a file path") }
                options.databasePath = path
            default:
                throw OptionsError("unknown option \(argument); see --help")
            }
            index += 1
        }
        return options
    }

    public var configuration: ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.databasePath = databasePath
        configuration.settings.version = Options.version
        return configuration
    }
}

public struct OptionsError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
