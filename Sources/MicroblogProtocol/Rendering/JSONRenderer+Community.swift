import MicroblogModel
import MicroblogSupport

/// JSON of the community and its administration: `announcement`, `report`, `invite`, `stats`.
extension JSONRenderer {
    static func write(_ community: ServerMessage.Community, into json: inout JSONWriter) {
        switch community {
        case .announcement(let from, let text):
            json.field("type", "announcement")
            json.field("from", from)
            json.field("message", text)
        case .report(let report):
            json.field("type", "report")
            json.field("id", report.id)
            json.field("post", report.postID)
            json.field("author", report.author)
            json.field("text", report.text)
            json.field("deleted", report.text.isEmpty)
            json.field("reporter", report.reporter)
            json.field("reason", report.reason)
            json.field("at", UTCTime(report.createdAt).iso8601)
        case .inviteCode(let code):
            json.field("type", "invite")
            json.field("code", code)
        case .stats(let fields):
            json.field("type", "stats")
            for field in fields {
                switch field.value {
                case .int(let number): json.field(field.name, Int64(number))
                case .double: json.number(field.name, field.formatted)
                case .text(let text): json.field(field.name, text)
                }
            }
        }
    }
}
