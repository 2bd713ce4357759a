import MicroblogModel
import MicroblogSupport

/// One non-blank line as the parser reads it: the registry entry it invokes, if any, and what that entry
/// made of its arguments. The entry travels with the command, so its name, access and usage are the
/// entry's own, never looked up again from the payload.
public enum ParsedLine: Sendable {
    /// A command of the registry (`post` for a post), with the payload its entry parsed, or the entry's
    /// error for bad arguments.
    case command(CommandSpec, Result<Command, WireError>)
    /// A line starting with `/` that names no command: its `unknown_command` error.
    case unknown(WireError)

    /// The payload, or the error the line is answered with.
    public var result: Result<Command, WireError> {
        switch self {
        case .command(_, let result): return result
        case .unknown(let error): return .failure(error)
        }
    }

    /// The entry the line invokes; nil when it names no command.
    public var spec: CommandSpec? {
        guard case .command(let spec, _) = self else { return nil }
        return spec
    }
}

/// Turns one decoded line of text into a `Command`. Pure and stateless.
///
/// Whitespace before the first character is ignored. A line starting with `//` is a post
/// of the text after the first slash; any other line starting with `/` is a command, named in any case;
/// every other line is a post. A blank line is no command at all (`nil`).
public enum CommandParser {
    /// The line read against the registry: which entry it invokes and that entry's parse of its arguments.
    public static func read(_ line: String) -> ParsedLine? {
        // Any leading whitespace, as posts trim it: "\u{0C}/msg ..." is a command, never a post.
        let trimmed = line.drop(while: \.isWhitespace)
        guard trimmed.contains(where: { !$0.isWhitespace }) else { return nil }
        guard trimmed.hasPrefix("/") else { return .command(CommandTable.post, .success(.post(String(trimmed)))) }
        if trimmed.hasPrefix("//") { return .command(CommandTable.post, .success(.post(String(trimmed.dropFirst())))) }

        let afterSlash = trimmed.dropFirst()
        let name = afterSlash.prefix(while: { !Arguments.isBlank($0) })
        guard let spec = CommandTable.spec(named: String(name)) else {
            let shown = name.isEmpty ? "/" : "/" + TextSafety.printable(name.prefix(32))
            let hint = CommandSuggestion.sentence(for: String(name)).map { $0 + " (/help lists them all)" }
            return .unknown(
                WireError(.unknownCommand, "unknown command \(shown); " + (hint ?? "type /help for the list")))
        }
        let text = afterSlash[name.endIndex...].drop(while: Arguments.isBlank)
        return .command(spec, spec.parse(Arguments(spec: spec, text: text)))
    }

    /// The command `line` makes, or the error it is answered with; nil for a blank line.
    public static func parse(_ line: String) -> Result<Command, WireError>? {
        read(line)?.result
    }

    /// The name of the command `line` invokes (`post` for a post), or nil when the line is blank or names
    /// no command. Errors carry it, so a bot knows which command failed.
    public static func commandName(of line: String) -> String? {
        read(line)?.spec?.name
    }
}
