import MicroblogModel
import MicroblogSupport

/// Text of the community and its administration: announcements, reports, invite codes, `/stats`.
extension TextRenderer {
    static func render(_ community: ServerMessage.Community, for reader: TextReader) -> [UInt8] {
        switch community {
        case .announcement(let from, let text):
            return line("*** announcement from \(from): \(text)")
        case .report(let report):
            let time = reader.time(report.createdAt)
            let post =
                report.text.isEmpty
                ? "#\(report.postID) \(report.author) [deleted]" : "#\(report.postID) \(report.author): \(report.text)"
            return line("  report \(report.id) \(time) by \(report.reporter) (\(report.reason)) on \(post)")
        case .inviteCode(let code):
            return line("  invite code \(code)")
        case .stats(let fields):
            return statsLines(fields)
        }
    }

    /// `  name   value`, values aligned, as Redis's INFO and `column -t` would show them.
    private static func statsLines(_ fields: [StatsField]) -> [UInt8] {
        let width = (fields.map(\.name.count).max() ?? 0) + 2
        var bytes: [UInt8] = []
        for field in fields {
            let padding = String(repeating: " ", count: width - field.name.count)
            bytes += line("  " + field.name + padding + field.formatted)
        }
        return bytes
    }
}
