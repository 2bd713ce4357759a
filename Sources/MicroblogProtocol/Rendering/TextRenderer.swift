import MicroblogModel
import MicroblogSupport

/// Renders messages as readable lines for people. Posts start with `#ID`, server lines with `* `,
/// errors with `! ` and end with their code in parentheses. Times are UTC, or in the reader's `zone`.
/// Each family of messages has its own encoder (`TextRenderer+Posts.swift`, ...).
public enum TextRenderer {
    public static func render(
        _ message: ServerMessage, now: Timestamp, colors: TextColors? = nil, zone: ReaderZone? = nil
    ) -> [UInt8] {
        let reader = TextReader(now: now, colors: colors, zone: zone)
        switch message.family {
        case .reply(let reply): return render(reply, for: reader)
        case .posts(let posts): return render(posts, for: reader)
        case .people(let people): return render(people, for: reader)
        case .notifications(let notifications): return render(notifications, for: reader)
        case .accountData(let data): return render(data, for: reader)
        case .community(let community): return render(community, for: reader)
        }
    }

    /// `away: at lunch`, or just `away` for `/away` without a message (whose message is `away`).
    static func awayNote(_ message: String) -> String {
        message == AwayMessage.standard ? "away" : "away: \(message)"
    }

    /// `1 post`, `2 posts`.
    static func plural(_ count: Int, _ noun: String) -> String {
        count == 1 ? "1 \(noun)" : "\(count) \(noun)s"
    }

    /// One line of text, ended by CR LF.
    static func line(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        bytes.append(13)
        bytes.append(10)
        return bytes
    }

    /// `text` and blanks to `width` columns, or two blanks after it when it is that wide already.
    static func padded(_ text: String, to width: Int) -> String {
        text.count >= width ? text + "  " : text + String(repeating: " ", count: width - text.count)
    }
}

/// Who text is rendered for: the reader's clock now, colours (`/color on`) and time zone (`/tz`).
struct TextReader {
    let now: Timestamp
    let colors: TextColors?
    let zone: ReaderZone?

    /// `instant` as the reader's clock shows it, next to now: `11:20`, `yesterday 11:20`, `Thu 11:20`...
    func time(_ instant: Timestamp) -> String {
        local(instant).short(relativeTo: local(now))
    }

    private func local(_ instant: Timestamp) -> UTCTime { UTCTime(zone?.wallClock(instant) ?? instant) }
}
