import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// Both renderings of every message: text lines for people, JSON objects for bots.
@Suite struct RendererTests {
    /// 2026-11-26T11:20:05.123Z
    private let postTime = Timestamp(milliseconds: 1_795_692_005_123)
    private let hour: Int64 = 3_600_000

    private func post(_ text: String = "hello", id: Int64 = 42, author: String = "alice") -> Post {
        Post(id: id, authorID: 7, author: author, text: text, createdAt: postTime)
    }

    private func text(_ message: ServerMessage, now: Timestamp? = nil) -> String {
        String(decoding: TextRenderer.render(message, now: now ?? postTime), as: UTF8.self)
    }

    private func json(_ message: ServerMessage) -> String {
        String(decoding: JSONRenderer.render(message), as: UTF8.self)
    }

    /// The rendered object parsed back by Foundation.
    private func parsedJSON(_ message: ServerMessage) throws -> [String: JSONValue] {
        let bytes = JSONRenderer.render(message)
        let object = try JSONSerialization.jsonObject(with: Data(bytes))
        guard case .object(let fields) = try #require(JSONValue(object)) else {
            Issue.record("not an object: \(object)")
            return [:]
        }
        return fields
    }

    private func expectJSON(
        _ message: ServerMessage, _ expected: [String: JSONValue], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(try parsedJSON(message) == expected, sourceLocation: sourceLocation)
    }

    private static let allMessages: [ServerMessage] = [
        .ok(Ack(command: "post", message: "posted #7", fields: [.int("id", 7)])),
        .error(WireError(.badUsage, "usage: /who"), command: "who"),
        .error(WireError(.badUTF8, "not UTF-8"), command: nil),
        .post(
            Post(id: 1, authorID: 1, author: "bob", text: "hi \u{1F600}", createdAt: Timestamp(milliseconds: 0)),
            live: true),
        .notice("welcome"),
        .user(name: "carol", sessions: 1),
        .user(name: "carol", sessions: 3),
        .help(name: "who", usage: ["/who"], summary: "list who is online", details: []),
        .help(name: "feed", usage: ["/feed [N]", "/feed before ID [N]"], summary: "show posts", details: ["a", "b"]),
        .prompt(field: "password", text: "password: "),
        .bye(reason: "quit", message: "bye"),
    ]

    // MARK: - Text

    @Test func textPostOnTheSameUTCDayShowsTheClock() {
        let laterThatDay = Timestamp(milliseconds: postTime.milliseconds + 12 * hour)  // 23:20:05
        #expect(text(.post(post(), live: true), now: laterThatDay) == "#42 11:20 alice: hello\r\n")
        #expect(text(.post(post(), live: false), now: postTime) == "#42 11:20 alice: hello\r\n")
    }

    @Test func textPostOnAnotherDayShowsAHumanDate() {
        let day = 24 * hour
        func shown(after offset: Int64) -> String {
            text(.post(post(), live: false), now: Timestamp(milliseconds: postTime.milliseconds + offset))
        }
        // 2026-11-26 is a Thursday.
        #expect(shown(after: 13 * hour) == "#42 yesterday 11:20 alice: hello\r\n")  // 2026-11-27 00:20
        #expect(shown(after: 3 * day) == "#42 Thu 11:20 alice: hello\r\n")
        #expect(shown(after: 6 * day) == "#42 Thu 11:20 alice: hello\r\n")
        #expect(shown(after: 7 * day) == "#42 Nov 26 11:20 alice: hello\r\n")
        #expect(shown(after: 365 * day) == "#42 2026-11-26 11:20 alice: hello\r\n")  // 2027-11-26
        let dayBefore = Timestamp(milliseconds: postTime.milliseconds - 12 * hour)  // 2026-11-25 23:20
        #expect(text(.post(post(), live: false), now: dayBefore) == "#42 2026-11-26 11:20 alice: hello\r\n")
    }

    @Test func textPostPadsSmallTimes() {
        let early = Post(id: 3, authorID: 1, author: "bob", text: "x", createdAt: Timestamp(milliseconds: 0))
        let now = Timestamp(milliseconds: 60_000)
        #expect(text(.post(early, live: true), now: now) == "#3 00:00 bob: x\r\n")
        let sameDayFiveOhNine = Timestamp(milliseconds: (5 * 60 + 9) * 60_000)
        let later = Post(id: 4, authorID: 1, author: "bob", text: "y", createdAt: sameDayFiveOhNine)
        #expect(text(.post(later, live: true), now: sameDayFiveOhNine) == "#4 05:09 bob: y\r\n")
        #expect(text(.post(later, live: true), now: postTime) == "#4 1970-01-01 05:09 bob: y\r\n")
    }

    @Test func textErrorShowsMessageAndCode() {
        let rendered = text(.error(WireError(.tooLong, "a post holds at most 280 characters"), command: "post"))
        #expect(rendered == "! a post holds at most 280 characters (too_long)\r\n")
    }

    @Test func textServerLines() {
        #expect(text(.ok(Ack(command: "login", message: "welcome back, alice"))) == "* welcome back, alice\r\n")
        #expect(text(.notice("hello there")) == "* hello there\r\n")
        #expect(text(.bye(reason: "quit", message: "goodbye")) == "* goodbye\r\n")
        #expect(text(.user(name: "carol", sessions: 1)) == "  carol\r\n")
        #expect(text(.user(name: "carol", sessions: 2)) == "  carol (2 sessions)\r\n")
    }

    @Test func textHelp() {
        let short = text(.help(name: "who", usage: ["/who"], summary: "list who is online", details: []))
        #expect(short == "  /who" + String(repeating: " ", count: 24) + "list who is online\r\n")
        let long = text(
            .help(name: "feed", usage: ["/feed [N]", "/feed before ID [N]"], summary: "show posts", details: ["more"]))
        #expect(long == "  /feed [N]\r\n  /feed before ID [N]\r\n      show posts\r\n      more\r\n")
    }

    @Test func textPromptStaysOnItsLine() {
        // The cursor waits after the prompt, so it has no line end.
        #expect(
            TextRenderer.render(.prompt(field: "password", text: "password: "), now: postTime)
                == Array("password: ".utf8))
    }

    @Test func everyTextLineEndsWithCRLF() {
        for message in Self.allMessages {
            if case .prompt = message { continue }
            let bytes = TextRenderer.render(message, now: postTime)
            #expect(bytes.suffix(2) == [13, 10], "\(message)")
            for (index, byte) in bytes.enumerated() {
                if byte == 10 { #expect(index > 0 && bytes[index - 1] == 13, "\(message)") }
                if byte == 13 { #expect(index + 1 < bytes.count && bytes[index + 1] == 10, "\(message)") }
            }
        }
    }

    @Test func rendererChoosesByMode() {
        let message = ServerMessage.notice("hi")
        #expect(Renderer.render(message, mode: .text, now: postTime) == TextRenderer.render(message, now: postTime))
        #expect(Renderer.render(message, mode: .json, now: postTime) == JSONRenderer.render(message))
    }

    // MARK: - JSON

    @Test func jsonOk() throws {
        let ack = Ack(
            command: "register", message: "welcome",
            fields: [.string("name", "alice"), .int("id", 12), .bool("watching", true)])
        #expect(
            json(.ok(ack)) == #"{"type":"ok","command":"register","name":"alice","id":12,"watching":true}"# + "\r\n")
        try expectJSON(.ok(ack), ["type": "ok", "command": "register", "name": "alice", "id": 12, "watching": true])
        try expectJSON(.ok(Ack(command: "logout", message: "bye")), ["type": "ok", "command": "logout"])
    }

    @Test func jsonError() throws {
        let error = WireError(.badPassword, "a password needs at least 8 characters")
        #expect(
            json(.error(error, command: "register"))
                == #"{"type":"error","command":"register","code":"bad_password","message":"a password needs at least 8 characters"}"#
                + "\r\n")
        try expectJSON(
            .error(error, command: "register"),
            ["type": "error", "command": "register", "code": "bad_password", "message": .string(error.message)])
        try expectJSON(
            .error(WireError(.lineTooLong, "line too long"), command: nil),
            ["type": "error", "code": "line_too_long", "message": "line too long"])
    }

    @Test func jsonPost() throws {
        #expect(
            json(.post(post(), live: true))
                == #"{"type":"post","id":42,"author":"alice","text":"hello","at":"2026-11-26T11:20:05.123Z","live":true,"mentions":[],"tags":[],"likes":0}"#
                + "\r\n")
        try expectJSON(
            .post(post(), live: false),
            [
                "type": "post", "id": 42, "author": "alice", "text": "hello", "at": "2026-11-26T11:20:05.123Z",
                "live": false, "mentions": .array([]), "tags": .array([]), "likes": 0,
            ])
        #expect(json(.post(post(), live: false)).contains(#""live":false"#))
    }

    @Test func jsonOtherMessages() throws {
        try expectJSON(.notice("welcome"), ["type": "notice", "message": "welcome"])
        try expectJSON(.user(name: "carol", sessions: 3), ["type": "user", "name": "carol", "sessions": 3])
        try expectJSON(
            .help(name: "feed", usage: ["/feed [N]", "/feed before ID [N]"], summary: "show posts", details: []),
            [
                "type": "help", "command": "feed", "usage": ["/feed [N]", "/feed before ID [N]"],
                "summary": "show posts",
                "details": [],
            ])
        try expectJSON(
            .prompt(field: "password", text: "password:"),
            ["type": "prompt", "field": "password", "message": "password:"])
        try expectJSON(
            .bye(reason: "shutdown", message: "server going down"),
            ["type": "bye", "reason": "shutdown", "message": "server going down"])
    }

    @Test func everyJSONObjectIsOneLineEndedByCRLF() throws {
        for message in Self.allMessages {
            let bytes = JSONRenderer.render(message)
            #expect(bytes.first == UInt8(ascii: "{"), "\(message)")
            #expect(bytes.suffix(3) == [UInt8(ascii: "}"), 13, 10], "\(message)")
            #expect(!bytes.dropLast(2).contains(13) && !bytes.dropLast(2).contains(10), "\(message)")
            let parsed = try parsedJSON(message)
            guard case .string = parsed["type"] else {
                Issue.record("no type in \(message)")
                continue
            }
        }
    }

    @Test func jsonEscapesQuotesBackslashesAndControls() throws {
        let hostile = "say \"hi\" C:\\dir\u{0}\u{1}\u{8}\u{C}\u{1B}[2J\u{1F}\n\r\t end"
        let rendered = json(.notice(hostile))
        #expect(
            rendered
                == #"{"type":"notice","message":"say \"hi\" C:\\dir\u0000\u0001\u0008\u000c\u001b[2J\u001f\n\r\t end"}"#
                + "\r\n")
        #expect(try parsedJSON(.notice(hostile))["message"] == .string(hostile))
    }

    @Test func jsonEscapesLineAndParagraphSeparators() throws {
        let text = "a\u{2028}b\u{2029}c\u{2027}\u{202A}"
        let rendered = json(.notice(text))
        #expect(rendered.contains(#"a\u2028b\u2029c"#))
        // Neighbouring scalars that share the first two UTF-8 bytes are left alone.
        #expect(rendered.contains("c\u{2027}\u{202A}\""))
        #expect(!rendered.unicodeScalars.contains("\u{2028}") && !rendered.unicodeScalars.contains("\u{2029}"))
        #expect(try parsedJSON(.notice(text))["message"] == .string(text))
        // At the very end of a string, too.
        #expect(json(.notice("x\u{2028}")).contains(#""x\u2028""#))
    }

    @Test func jsonKeepsNonASCIIAsUTF8() throws {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"
        let text = "caf\u{E9} \u{1F600} \u{1F1EB}\u{1F1F7} \u{4E2D}\u{6587} \(family) \u{7F}"
        let rendered = json(.notice(text))
        #expect(rendered.contains(text))
        #expect(try parsedJSON(.notice(text))["message"] == .string(text))
    }

    @Test func jsonEscapesFieldNamesAndArrays() throws {
        let ack = Ack(command: "x\"y", message: "", fields: [.string("we\"ird\\", "v\u{1}")])
        #expect(json(.ok(ack)) == #"{"type":"ok","command":"x\"y","we\"ird\\":"v\u0001"}"# + "\r\n")
        try expectJSON(.ok(ack), ["type": "ok", "command": "x\"y", "we\"ird\\": "v\u{1}"])
        let help = ServerMessage.help(name: "h", usage: ["\"q\""], summary: "s", details: ["\u{2028}"])
        try expectJSON(
            help, ["type": "help", "command": "h", "usage": ["\"q\""], "summary": "s", "details": ["\u{2028}"]])
    }

    @Test func jsonNumbersKeepTheirFullRange() throws {
        let ack = Ack(command: "c", message: "", fields: [.int("big", Int64.max), .int("negative", -5)])
        #expect(json(.ok(ack)).contains(#""big":9223372036854775807,"negative":-5"#))
    }

    @Test func jsonTimeIsISO8601WithMillisecondsInUTC() {
        func at(_ milliseconds: Int64) -> String {
            let message = ServerMessage.post(
                Post(id: 1, authorID: 1, author: "a", text: "t", createdAt: Timestamp(milliseconds: milliseconds)),
                live: false)
            let rendered = json(message)
            guard let start = rendered.range(of: #""at":""#)?.upperBound,
                let end = rendered[start...].firstIndex(of: "\"")
            else { return "" }
            return String(rendered[start..<end])
        }
        #expect(at(postTime.milliseconds) == "2026-11-26T11:20:05.123Z")
        #expect(at(0) == "1970-01-01T00:00:00.000Z")
        #expect(at(1_000_000_000_007) == "2001-09-09T01:46:40.007Z")
        #expect(at(951_782_400_050) == "2000-02-29T00:00:00.050Z")
        #expect(at(-1_500) == "1969-12-31T23:59:58.500Z")
    }

    // MARK: - Both renderings

    @Test func outputNeverContainsIAC() {
        let hostile = "\u{FF}\u{FFFD}\u{10FFFF}\u{7FF}\u{1F600}"
        let messages =
            Self.allMessages + [
                .notice(hostile), .post(post(hostile), live: true),
                .error(WireError(.badText, hostile), command: hostile),
            ]
        for message in messages {
            for mode in [OutputMode.text, .json] {
                let bytes = Renderer.render(message, mode: mode, now: postTime)
                #expect(!bytes.contains(0xFF), "\(mode) \(message)")
                #expect(String(validating: bytes, as: UTF8.self) != nil, "\(mode) \(message)")
            }
        }
    }
}

/// A parsed JSON value that keeps booleans and numbers apart (Foundation gives both as NSNumber).
private enum JSONValue: Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral
{
    case string(String)
    case int(Int64)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    init?(_ object: Any) {
        switch object {
        case let string as String:
            self = .string(string)
        case let number as NSNumber:
            // Foundation marks booleans with the C type `c` (char).
            self = String(cString: number.objCType) == "c" ? .bool(number.boolValue) : .int(number.int64Value)
        case let array as [Any]:
            var values: [JSONValue] = []
            for element in array {
                guard let value = JSONValue(element) else { return nil }
                values.append(value)
            }
            self = .array(values)
        case let dictionary as [String: Any]:
            var fields: [String: JSONValue] = [:]
            for (key, element) in dictionary {
                guard let value = JSONValue(element) else { return nil }
                fields[key] = value
            }
            self = .object(fields)
        default:
            return nil
        }
    }
}

@Suite struct ColorTests {
    @Test func namesKeepTheirColourAndTheViewersMentionsStandOut() {
        #expect(TextColors.name("alice") == TextColors.name("ALICE").replacingOccurrences(of: "ALICE", with: "alice"))
        #expect(TextColors.palette.contains { TextColors.name("alice").hasPrefix("\u{1B}[\($0)m") })
        let colors = TextColors(reader: .init(id: 2, name: "bob"))
        #expect(
            colors.highlightMentions("hi @Bob and @carol", resolved: ["bob", "carol"])
                == "hi \u{1B}[1;7m@Bob\u{1B}[0m and @carol")
        // A look-alike that led to bob (no account of its exact name) means bob.
        #expect(colors.highlightMentions("hi @b0b", resolved: ["bob"]) == "hi \u{1B}[1;7m@b0b\u{1B}[0m")
        #expect(colors.highlightMentions("no mention", resolved: []) == "no mention")
        #expect(TextColors().highlightMentions("hi @bob", resolved: ["bob"]) == "hi @bob")
    }

    /// `sam` and `5am` both existed before the name fold changed, so they are kept apart (the later one
    /// under `=5am`): each is two people's colour and mention, never the other's.
    @Test func lookAlikesKeptApartAreTwoPeople() {
        #expect(TextColors.name("sam").prefix(5) != TextColors.name("5am").prefix(5))
        let sam = TextColors(reader: .init(id: 1, name: "sam"))
        let fiveAm = TextColors(reader: .init(id: 2, name: "5am", keptApart: true))
        let both = ["sam", "5am"]
        #expect(sam.highlightMentions("@5am hi", resolved: both) == "@5am hi")
        #expect(sam.highlightMentions("@SAM hi", resolved: both) == "\u{1B}[1;7m@SAM\u{1B}[0m hi")
        #expect(fiveAm.highlightMentions("@5am @sam", resolved: both) == "\u{1B}[1;7m@5am\u{1B}[0m @sam")
        // `s4m` has no account of its own, so it led to the older `sam`, not to the one kept apart.
        #expect(fiveAm.highlightMentions("@s4m @5am", resolved: both) == "@s4m \u{1B}[1;7m@5am\u{1B}[0m")
        #expect(sam.highlightMentions("@s4m @5am", resolved: both) == "\u{1B}[1;7m@s4m\u{1B}[0m @5am")
        // A post that mentions only the other one highlights nothing for this reader.
        #expect(sam.highlightMentions("@5am", resolved: ["5am"]) == "@5am")
    }

    @Test func colouredPostsAndErrors() {
        let post = Post(
            id: 7, authorID: 1, author: "alice", text: "hi @bob", createdAt: Timestamp(milliseconds: 0),
            mentionIDs: [2],
            mentions: ["bob"])
        let plain = String(
            decoding: TextRenderer.render(.post(post, live: true), now: Timestamp(milliseconds: 0)), as: UTF8.self)
        #expect(!plain.contains("\u{1B}"))
        let colored = String(
            decoding: TextRenderer.render(
                .post(post, live: true), now: Timestamp(milliseconds: 0),
                colors: TextColors(reader: .init(id: 2, name: "bob"))),
            as: UTF8.self)
        #expect(colored.contains(TextColors.name("alice")) && colored.contains("\u{1B}[1;7m@bob"))
        let error = String(
            decoding: TextRenderer.render(
                .error(WireError(.badUsage, "no"), command: nil), now: .now(), colors: TextColors()),
            as: UTF8.self)
        #expect(error.hasPrefix("\u{1B}[31m! no"))
    }
}

/// `/key list`'s items.
extension RendererTests {
    private var key: StoredSSHKey {
        StoredSSHKey(
            number: 2, type: "ssh-ed25519", base64: "AAAAC3NzaC1lZDI1NTE5", comment: "alice@laptop", addedAt: postTime)
    }

    @Test func textSSHKeyShowsNumberTypeFingerprintCommentAndDate() {
        #expect(
            text(.sshKey(key, fingerprint: "SHA256:abc"))
                == "  2 ssh-ed25519 SHA256:abc alice@laptop (added 11:20)\r\n")
        var bare = key
        bare.comment = ""
        #expect(
            text(
                .sshKey(bare, fingerprint: "SHA256:abc"),
                now: Timestamp(milliseconds: postTime.milliseconds + 400 * 24 * hour))
                == "  2 ssh-ed25519 SHA256:abc (added 2026-11-26 11:20)\r\n")
    }

    @Test func jsonSSHKeyIsAnObject() throws {
        try expectJSON(
            .sshKey(key, fingerprint: "SHA256:abc"),
            [
                "type": "key", "number": 2, "key_type": "ssh-ed25519", "fingerprint": "SHA256:abc",
                "comment": "alice@laptop", "added": "2026-11-26T11:20:05.123Z", "key": "AAAAC3NzaC1lZDI1NTE5",
            ])
    }
}
