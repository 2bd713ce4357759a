import MicroblogModel
import MicroblogSupport

/// Text of what answers a command or speaks for the server: `* ` lines, `! ` errors, prompts, help.
extension TextRenderer {
    static func render(_ reply: ServerMessage.Reply, for reader: TextReader) -> [UInt8] {
        switch reply {
        case .ok(let ack):
            return line("* " + ack.message)
        case .error(let error, _):
            let text = "! \(error.messageWithWait) (\(error.code.rawValue))"
            return line(reader.colors == nil ? text : TextColors.red + text + TextColors.reset)
        case .notice(let text):
            return line("* " + text)
        case .prompt(_, let text):
            // The cursor waits after the prompt, so it has no line end.
            return Array(text.utf8)
        case .bye(_, let text):
            return line("* " + text)
        case .help(_, let usage, let summary, let details):
            return help(usage: usage, summary: summary, details: details)
        case .helpTopic(let topic, _, let commands):
            // What the topic covers is said by `/help TOPIC`; here, its commands.
            return line("  " + padded(topic, to: 10) + commands.map { "/" + $0 }.joined(separator: " "))
        }
    }

    /// A list's line when there are no details: every form, as `/help COMMAND` shows them, then the
    /// summary. With details, each form on a line of its own, then the summary and details below.
    private static func help(usage: [String], summary: String, details: [String]) -> [UInt8] {
        if details.isEmpty {
            return line("  " + padded(usage.joined(separator: " | "), to: 28) + summary)
        }
        var bytes: [UInt8] = []
        for form in usage { bytes += line("  " + form) }
        bytes += line("      " + summary)
        for detail in details { bytes += line("      " + detail) }
        return bytes
    }
}
