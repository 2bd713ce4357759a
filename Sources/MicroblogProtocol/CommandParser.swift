import MicroblogModel
import MicroblogSupport

/// Turns one decoded line of text into a `Command`. Pure and stateless.
///
/// Whitespace before the first character is ignored. A line starting with `//` is a post
/// of the text after the first slash; any other line starting with `/` is a command, named in any case;
/// every other line is a post. A blank line is no command at all (`nil`).
package enum CommandParser {
    package static func parse(_ line: String) -> Result<Command, WireError>? {
        // Any leading whitespace, as posts trim it: "\u{0C}/msg ..." is a command, never a post.
        let trimmed = line.drop(while: \.isWhitespace)
        guard trimmed.contains(where: { !$0.isWhitespace }) else { return nil }
        guard trimmed.hasPrefix("/") else { return .success(.post(String(trimmed))) }
        if trimmed.hasPrefix("//") { return .success(.post(String(trimmed.dropFirst()))) }

        let afterSlash = trimmed.dropFirst()
        let name = afterSlash.prefix(while: { !Arguments.isBlank($0) })
        guard let spec = CommandTable.spec(named: String(name)) else {
            let shown = name.isEmpty ? "/" : "/" + TextSafety.printable(name.prefix(32))
            return .failure(WireError(.unknownCommand, "unknown command \(shown); type /help for the list"))
        }
        let text = afterSlash[name.endIndex...].drop(while: Arguments.isBlank)
        return spec.parse(Arguments(spec: spec, text: text))
    }

    /// The name of the command `line` invokes (`post` for a post), or nil when the line is blank or names
    /// no command. Errors carry it, so a bot knows which command failed.
    package static func commandName(of line: String) -> String? {
        // Any leading whitespace, as posts trim it: "\u{0C}/msg ..." is a command, never a post.
        let trimmed = line.drop(while: \.isWhitespace)
        guard trimmed.contains(where: { !$0.isWhitespace }) else { return nil }
        guard trimmed.hasPrefix("/"), !trimmed.hasPrefix("//") else { return "post" }
        let name = trimmed.dropFirst().prefix(while: { !Arguments.isBlank($0) })
        return CommandTable.spec(named: String(name))?.name
    }
}
