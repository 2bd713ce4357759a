import MicroblogDomain
import MicroblogStorage

/// The operator's subcommands on a database (`backup`, `check`, `export`, `migrate`, `account create`):
/// their arguments and their help.
extension Options {
    public static let toolUsage = """
        usage: microblogd backup --db PATH OUT [--force]
               microblogd check --db PATH
               microblogd export --db PATH [--user NAME] [--since ID]
                                 [--format jsonl|twtxt]
               microblogd migrate --from PATH.sqlite --to postgresql://...
               microblogd account create NAME --db PATH

        backup   a consistent copy of the database, made while a server may be
                 writing to it; OUT must not exist unless --force is given; the
                 copy passes an integrity check
        check    integrity check, schema version, counts of users and posts;
                 exit status 0 only for a healthy database of a schema this
                 microblogd knows
        export   posts to standard output, oldest first: jsonl (one JSON post
                 object a line, the default) or twtxt (time, tab, text); --user
                 keeps one account's, --since ID those after ID. Direct messages
                 and password hashes are never exported.
        account create  makes account NAME, asking for its password on the
                 terminal (or reading one line from standard input when it is
                 not a terminal); the only way to create an --admin account,
                 whose name and look-alikes cannot be registered over the wire
        migrate  copies a SQLite community, everything with its ids and
                 password hashes, into an empty PostgreSQL database (refused if
                 it is not empty), in one transaction

        backup, check and export never change the database they read, and work
        while a server runs on it; migrate writes only to the PostgreSQL
        database it is given.
        """

    /// `microblogd SUBCOMMAND ...`, or nil when the first argument names no subcommand.
    static func parseSubcommand(_ arguments: [String]) throws(OptionsError) -> Options? {
        guard let first = arguments.first else { return nil }
        var options = Options()
        let rest = Array(arguments.dropFirst())
        if first == "account" {
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
        guard ["backup", "check", "export", "migrate"].contains(first) else { return nil }
        options.action = rest.contains("--help") || rest.contains("-h") ? .toolHelp : .tool(try parseTool(first, rest))
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
}
