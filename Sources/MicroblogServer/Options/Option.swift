import MicroblogProtocol

/// One option of `microblogd`'s command line: its name, what follows it, its lines in `--help`, and
/// what it does to `Options`. `Options.parse` and `Options.usage` both walk `Options.table`, so the
/// help cannot drift from what is parsed. A value.
struct Option: Sendable {
    /// What follows the name, and what the option does with it.
    enum Argument: Sendable {
        /// Nothing: the option is a switch (`--proxy-protocol`).
        case nothing(@Sendable (inout Options) -> Void)
        /// A value, as `--name VALUE` or `--name=VALUE`; `placeholder` is how `--help` shows it (`PORT`).
        /// The setter throws a sentence for the user when the value will not do.
        case value(placeholder: String, set: @Sendable (inout Options, String) throws(OptionsError) -> Void)
    }

    /// Which part of `--help` lists the option, and how: names padded to `column`, or followed by
    /// `gap` blanks when they are that wide already.
    enum Section: Sendable {
        case general, limits

        var column: Int { self == .general ? 20 : 27 }
        var gap: Int { self == .general ? 2 : 1 }
    }

    let name: String
    /// Other spellings, which `--help` does not show (`-h`).
    var aliases: [String] = []
    let argument: Argument
    /// Its lines in `--help`: the first beside the name, the others under the first.
    let help: [String]
    /// What holds without the option (`127.0.0.1`, `10000`), shown after the help as `(default X)`; nil
    /// when nothing does (`--tls-port`) or it is a switch. docs/operations.md's tables show the same.
    var defaultValue: String?
    var section = Section.general

    /// A switch: `set` runs when the name is given.
    static func flag(
        _ name: String, aliases: [String] = [], help: [String], set: @escaping @Sendable (inout Options) -> Void
    ) -> Option {
        Option(name: name, aliases: aliases, argument: .nothing(set), help: help)
    }

    /// An option with a value, shown in `--help` as `name placeholder`, and its default if it has one.
    static func value(
        _ name: String, _ placeholder: String, default defaultValue: String? = nil, help: [String],
        set: @escaping @Sendable (inout Options, String) throws(OptionsError) -> Void
    ) -> Option {
        Option(
            name: name, argument: .value(placeholder: placeholder, set: set), help: help, defaultValue: defaultValue)
    }

    /// True when `spelling` names this option.
    func isNamed(_ spelling: String) -> Bool { spelling == name || aliases.contains(spelling) }

    /// `--port PORT`, `--help`: the option as `--help` shows it.
    var synopsis: String {
        switch argument {
        case .nothing: return name
        case .value(let placeholder, _): return "\(name) \(placeholder)"
        }
    }

    /// The option's help lines, the last followed by its default.
    var helpLines: [String] {
        guard let defaultValue else { return help }
        return help.dropLast() + [(help.last ?? "") + " (default \(defaultValue))"]
    }

    /// The option's lines in `--help`, each ended by a line feed.
    var usageLines: String {
        let synopsis = synopsis
        let padding = synopsis.count < section.column ? section.column - synopsis.count : section.gap
        // The help as one paragraph, wrapped at words to 80 columns under its first line, as every line
        // the server writes to a terminal is.
        let line = "  " + synopsis + String(repeating: " ", count: padding) + helpLines.joined(separator: " ")
        let wrapped = TextWrapper.wrap(line: line, width: Options.helpWidth, indent: 2 + section.column)
        return wrapped.replacingAll("\r\n", with: "\n") + "\n"
    }
}
