import MicroblogModel
import MicroblogSupport

/// JSON of what answers a command or speaks for the server: `ok`, `error`, `notice`, `prompt`, `bye`,
/// `help`, `help_topic`.
extension JSONRenderer {
    static func write(_ reply: ServerMessage.Reply, into json: inout JSONWriter) {
        switch reply {
        case .ok(let ack):
            json.field("type", "ok")
            json.field("command", ack.command)
            for field in ack.fields {
                switch field.value {
                case .int(let value): json.field(field.name, value)
                case .string(let value): json.field(field.name, value)
                case .bool(let value): json.field(field.name, value)
                }
            }
        case .error(let error, let command):
            json.field("type", "error")
            if let command { json.field("command", command) }
            json.field("code", error.code.rawValue)
            if let reason = error.reason { json.field("reason", reason) }
            json.field("message", error.messageWithWait)
            if let retryAfter = error.retryAfter {
                json.field("retry_after_ms", Int64((retryAfter * 1000).rounded(.up)))
            }
        case .notice(let text):
            json.field("type", "notice")
            json.field("message", text)
        case .prompt(let field, let text):
            json.field("type", "prompt")
            json.field("field", field)
            json.field("message", text)
        case .bye(let reason, let text):
            json.field("type", "bye")
            json.field("reason", reason)
            json.field("message", text)
        case .help(let name, let usage, let summary, let details):
            json.field("type", "help")
            json.field("command", name)
            json.field("usage", usage)
            json.field("summary", summary)
            json.field("details", details)
        case .helpTopic(let topic, let summary, let commands):
            json.field("type", "help_topic")
            json.field("topic", topic)
            json.field("summary", summary)
            json.field("commands", commands)
        }
    }
}
