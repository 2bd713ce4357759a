import Foundation
import Testing

@testable import MicroblogModel
@testable import MicroblogProtocol

/// Every `ServerMessage` case, rendered in text at 80 and 40 columns, in text with colours and a time
/// zone, and in JSON, compared byte for byte with a transcript recorded from the renderers
/// (`RendererGoldenTranscript.swift`). It guards the wire format against a refactoring that means to
/// change nothing. After a deliberate change to the output, record the transcript again:
/// `MICROBLOG_RECORD_GOLDEN=/tmp/golden.txt swift test --skip-build --filter RendererGoldenTests`,
/// then paste that file into `RendererGoldenTranscript.swift`.
@Suite struct RendererGoldenTests {
    /// One name per `ServerMessage` case. `of` has no `default:` arm, so a new case does not compile
    /// until it is named here, and `everyCaseHasASample` fails until a sample shows it.
    enum MessageCase: CaseIterable {
        case ok, error, post, threadPost, deleted, message, conversation, notification, notifySettings, catchUp
        case profile, notice, user, tag, help, helpTopic, prompt, bye, missed, stats, sshKey, announcement
        case report, exportRecord, exportEnd, inviteCode

        static func of(_ message: ServerMessage) -> MessageCase {
            switch message {
            case .ok: return .ok
            case .error: return .error
            case .post: return .post
            case .threadPost: return .threadPost
            case .deleted: return .deleted
            case .message: return .message
            case .conversation: return .conversation
            case .notification: return .notification
            case .notifySettings: return .notifySettings
            case .catchUp: return .catchUp
            case .profile: return .profile
            case .notice: return .notice
            case .user: return .user
            case .tag: return .tag
            case .help: return .help
            case .helpTopic: return .helpTopic
            case .prompt: return .prompt
            case .bye: return .bye
            case .missed: return .missed
            case .stats: return .stats
            case .sshKey: return .sshKey
            case .announcement: return .announcement
            case .report: return .report
            case .exportRecord: return .exportRecord
            case .exportEnd: return .exportEnd
            case .inviteCode: return .inviteCode
            }
        }
    }

    /// 2026-11-26T11:20:05.123Z, a Thursday; the reader's clock says two hours later.
    static let postTime = Timestamp(milliseconds: 1_795_692_005_123)
    static let now = Timestamp(milliseconds: postTime.milliseconds + 2 * hour)
    static let hour: Int64 = 3_600_000
    static let yesterday = Timestamp(milliseconds: postTime.milliseconds - 20 * hour)
    static let lastWeek = Timestamp(milliseconds: postTime.milliseconds - 4 * 24 * hour)
    static let lastMonth = Timestamp(milliseconds: postTime.milliseconds - 40 * 24 * hour)
    static let lastYear = Timestamp(milliseconds: postTime.milliseconds - 400 * 24 * hour)

    @Test func everyCaseHasASample() {
        let shown = Set(Self.samples.map { MessageCase.of($0.message) })
        for missing in MessageCase.allCases where !shown.contains(missing) {
            Issue.record("no golden sample of ServerMessage.\(missing)")
        }
        #expect(Set(Self.samples.map(\.name)).count == Self.samples.count, "sample names are unique")
    }

    @Test func renderingsMatchTheRecordedTranscript() throws {
        let actual = try Self.transcript()
        if let path = ProcessInfo.processInfo.environment["MICROBLOG_RECORD_GOLDEN"] {
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = (Self.recorded + "\n").split(separator: "\n", omittingEmptySubsequences: false)
        let lines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var section = ""
        var differences = 0
        for index in 0..<max(lines.count, expected.count) where differences < 10 {
            let line = index < lines.count ? lines[index] : "(nothing)"
            if line.hasPrefix("## ") { section = String(line) }
            let want = index < expected.count ? expected[index] : "(nothing)"
            if line != want {
                differences += 1
                Issue.record("\(section), transcript line \(index + 1):\n  got:  \(line)\n  want: \(want)")
            }
        }
    }

    /// Each sample's renderings, one section each. A rendering shows its bytes with `\r`, `\n`,
    /// controls, U+2028/U+2029 and `\` escaped, and a new transcript line after each `\n`, so a line
    /// of output reads as one line, ended by `\r\n` (which the prompt alone lacks); a blank at the
    /// very end is written `\u{20}`, so the transcript has no trailing blanks.
    static func transcript() throws -> String {
        let zone = try #require(ReaderZone(named: "Asia/Kathmandu"))  // UTC+5:45 all year
        let colors = TextColors(reader: .init(id: 2, name: "bob"))
        var text = ""
        for sample in samples {
            let plain = TextRenderer.render(sample.message, now: now)
            let wide = Renderer.fitted(plain, of: sample.message, width: 80)
            let narrow = Renderer.fitted(plain, of: sample.message, width: 40)
            let styled = TextRenderer.render(sample.message, now: now, colors: colors, zone: zone)
            text += "## \(sample.name)\n"
            text += shown("text 80", wide)
            text += narrow == wide ? "text 40 | (as text 80)\n" : shown("text 40", narrow)
            text += styled == plain ? "colour  | (as text unwrapped)\n" : shown("colour", styled)
            text += shown("json", JSONRenderer.render(sample.message))
        }
        return text
    }

    private static func shown(_ label: String, _ bytes: [UInt8]) -> String {
        let continuation = "\n" + String(repeating: " ", count: 8) + "| "
        var text = label.padding(toLength: 8, withPad: " ", startingAt: 0) + "| "
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\\": text += "\\\\"
            case "\r": text += "\\r"
            case "\n": text += "\\n" + continuation
            case "\u{0}"..."\u{1F}", "\u{7F}", "\u{2028}", "\u{2029}":
                text += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        // Drop the empty continuation after a final line end; show a blank that ends a line (a prompt's).
        if text.hasSuffix(continuation) { text.removeLast(continuation.count) }
        if text.hasSuffix(" ") { text = text.dropLast() + "\\u{20}" }
        return text + "\n"
    }
}

/// The samples: every case, and each branch of its renderings (optional fields, singular and plural,
/// colours, wrapping).
extension RendererGoldenTests {
    struct Sample {
        let name: String
        let message: ServerMessage
        init(_ name: String, _ message: ServerMessage) {
            self.name = name
            self.message = message
        }
    }

    static func post(
        _ id: Int64, _ author: String, _ text: String, at time: Timestamp = postTime, mentions: [String] = [],
        tags: [String] = [], replyTo: PostReference? = nil, repostOf: PostReference? = nil, likes: Int = 0
    ) -> Post {
        Post(
            id: id, authorID: 7, author: author, text: text, createdAt: time, mentionIDs: mentions.map { _ in 2 },
            mentions: mentions, tags: tags, replyTo: replyTo, repostOf: repostOf, likes: likes)
    }

    static let longText =
        "a post long enough to wrap at forty columns and again at eighty, with @bob named in the middle of it"
        + " and #golden at its end"

    static func notification(_ id: Int64, _ kind: NotificationKind, post: Int64? = 45, replyTo: Int64? = nil)
        -> AccountNotification
    {
        AccountNotification(
            id: id, recipientID: 2, kind: kind, actorID: 3, actor: "carol", postID: post, createdAt: yesterday,
            replyTo: replyTo)
    }

    static func catchUp(
        homes: [Int64] = [], mentions: [Int64] = [], followers: [String] = [], messages: Int = 0, likes: Int = 0,
        reposts: Int = 0, replies: Int = 0
    ) -> CatchUp {
        var summary = CatchUp(
            since: lastWeek, homePostIDs: homes, mentionIDs: mentions, newFollowers: followers, unreadMessages: messages
        )
        summary.likes = likes
        summary.reposts = reposts
        summary.replies = replies
        return summary
    }

    static func profile(bio: String, lastSeen: Timestamp?) -> Profile {
        Profile(
            user: User(id: 2, name: "bob", createdAt: lastYear), bio: bio, posts: 1, followers: 12, following: 3,
            lastSeen: lastSeen)
    }

    static let key = StoredSSHKey(
        number: 2, type: "ssh-ed25519", base64: "AAAAC3NzaC1lZDI1NTE5", comment: "bob@laptop", addedAt: lastMonth)

    static let samples: [Sample] = replies + posts + people + notifications + accountData + community

    static let replies: [Sample] = [
        Sample("ok.plain", .ok(Ack(command: "logout", message: "goodbye, bob"))),
        Sample(
            "ok.fields",
            .ok(
                Ack(
                    command: "register", message: "welcome, bob",
                    fields: [.string("name", "bob"), .int("id", 12), .bool("watching", true)]))),
        Sample("error.usage", .error(WireError(.badUsage, "usage: /who"), command: "who")),
        Sample("error.noCommand", .error(WireError(.badUTF8, "that line was not UTF-8"), command: nil)),
        Sample("error.retry", .error(WireError(.rateLimited, "slow down", retryAfter: 2.25), command: "post")),
        Sample(
            "error.reason",
            .error(WireError(.storage, "the server's disk is full", reason: "full"), command: "post")),
        Sample("notice", .notice("welcome to microblogd: \"quotes\", back\\slash, tab\there, line\u{2028}sep")),
        Sample("prompt", .prompt(field: "password", text: "password: ")),
        Sample("bye", .bye(reason: "shutdown", message: "the server is going down")),
        Sample("help.short", .help(name: "who", usage: ["/who"], summary: "list who is online", details: [])),
        Sample(
            "help.long",
            .help(
                name: "feed", usage: ["/feed [N]", "/feed before ID [N]", "/feed since ID"],
                summary: "show the posts of the people you follow, newest last",
                details: ["N is at most 50", "before and since page through older and newer posts"])),
        Sample(
            "help.wideUsage",
            .help(
                name: "notify", usage: ["/notify KIND on|off", "/notify"], summary: "choose your notifications",
                details: [])),
        Sample(
            "helpTopic",
            .helpTopic(
                topic: "posts", summary: "writing and reading posts",
                commands: ["post", "reply", "repost", "delete", "feed", "thread", "like", "unlike", "search"])),
    ]

    static let posts: [Sample] = [
        Sample("post.live", .post(post(42, "alice", "hello \u{1F600}"), live: true)),
        Sample(
            "post.reply",
            .post(
                post(
                    45, "bob", "@alice agreed #swift", at: yesterday, mentions: ["alice"], tags: ["swift"],
                    replyTo: PostReference(id: 42, author: "alice"), likes: 3), live: false)),
        Sample(
            "post.repost",
            .post(
                post(46, "carol", "hello", at: lastWeek, repostOf: PostReference(id: 42, author: "alice"), likes: 1),
                live: true)),
        Sample(
            "post.long",
            .post(post(47, "alice", longText, at: lastMonth, mentions: ["bob"], tags: ["golden"]), live: false)),
        Sample("post.lastYear", .post(post(3, "dave", "old news, @bob", at: lastYear, mentions: ["bob"]), live: false)),
        Sample("threadPost.root", .threadPost(post(42, "alice", "hello", likes: 2), depth: 0, deleted: false)),
        Sample(
            "threadPost.reply",
            .threadPost(
                post(45, "bob", "@alice agreed", mentions: ["alice"], replyTo: PostReference(id: 42, author: "alice")),
                depth: 1, deleted: false)),
        Sample("threadPost.deleted", .threadPost(post(48, "carol", ""), depth: 2, deleted: true)),
        Sample("deleted", .deleted(ids: [46, 49])),
        Sample("missed.one", .missed(count: 1, since: 41)),
        Sample("missed.many", .missed(count: 7, since: 41)),
        Sample("tag.one", .tag(name: "golden", posts: 1)),
        Sample("tag.many", .tag(name: "swift", posts: 12)),
    ]

    static let people: [Sample] = [
        Sample(
            "message.live",
            .message(
                DirectMessage(
                    id: 9, senderID: 3, sender: "carol", recipientID: 2, recipient: "bob", text: "lunch?",
                    createdAt: postTime), live: true)),
        Sample(
            "message.listed",
            .message(
                DirectMessage(
                    id: 8, senderID: 2, sender: "bob", recipientID: 3, recipient: "carol", text: longText,
                    createdAt: lastWeek), live: false)),
        Sample(
            "conversation.unread",
            .conversation(InboxEntry(withID: 3, with: "carol", latest: "lunch?", at: postTime, unread: 2, messages: 5))),
        Sample(
            "conversation.read",
            .conversation(InboxEntry(withID: 4, with: "dave", latest: "ok", at: lastMonth, unread: 0, messages: 1))),
        Sample(
            "conversation.mine",
            .conversation(
                InboxEntry(
                    withID: 4, with: "dave", latest: "see you", latestIsMine: true, at: lastMonth, unread: 0,
                    messages: 2
                ))),
        Sample("profile.away", .profile(profile(bio: "tests things", lastSeen: nil), online: 2, away: "at lunch")),
        Sample("profile.awayPlain", .profile(profile(bio: "", lastSeen: nil), online: 1, away: AwayMessage.standard)),
        Sample("profile.seen", .profile(profile(bio: "tests things", lastSeen: yesterday), online: 0, away: nil)),
        Sample("profile.neverSeen", .profile(profile(bio: "", lastSeen: nil), online: 0, away: nil)),
        Sample("user.who", .user(name: "carol", sessions: 1)),
        Sample("user.whoAway", .user(name: "carol", sessions: 3, away: "at lunch")),
        Sample("user.peopleOnline", .user(name: "dave", sessions: 1, away: AwayMessage.standard, listing: .people)),
        Sample("user.peopleOffline", .user(name: "erin", sessions: 0, listing: .people)),
        Sample("user.newFollower", .user(name: "frank", sessions: 0, listing: .newFollower)),
        Sample(
            "catchUp.everything",
            .catchUp(
                catchUp(
                    homes: [50, 51, 52], mentions: [53], followers: ["carol", "dave"], messages: 2, likes: 4,
                    reposts: 1, replies: 2))),
        Sample("catchUp.oneOfEach", .catchUp(catchUp(homes: [50], mentions: [53, 54], messages: 1, replies: 1))),
        Sample("catchUp.oneMessage", .catchUp(catchUp(messages: 1))),
        Sample("catchUp.messages", .catchUp(catchUp(messages: 3))),
        Sample("catchUp.reactions", .catchUp(catchUp(likes: 1, reposts: 2))),
    ]

    static let notifications: [Sample] = [
        Sample("notification.follow", .notification(notification(1, .follow, post: nil), live: true)),
        Sample("notification.like", .notification(notification(2, .like), live: false)),
        Sample("notification.repost", .notification(notification(3, .repost), live: true)),
        Sample("notification.reply", .notification(notification(4, .reply, post: 47, replyTo: 45), live: false)),
        Sample("notification.replyGone", .notification(notification(5, .reply, post: 47), live: false)),
        Sample("notification.mention", .notification(notification(6, .mention, replyTo: 44), live: true)),
        Sample("notifySettings.default", .notifySettings(NotificationSettings())),
        Sample("notifySettings.some", .notifySettings(NotificationSettings(off: [.like, .repost], bell: true))),
    ]

    static let accountData: [Sample] = [
        Sample("sshKey.comment", .sshKey(key, fingerprint: "SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")),
        Sample(
            "sshKey.noComment",
            .sshKey(
                StoredSSHKey(number: 1, type: "ssh-rsa", base64: "AAAAB3NzaC1yc2E=", comment: "", addedAt: postTime),
                fingerprint: "SHA256:0123")),
        Sample(
            "exportRecord.post",
            .exportRecord(.post(id: 45, at: yesterday, text: "@alice agreed", replyTo: 42, repostOf: nil))),
        Sample("exportRecord.repost", .exportRecord(.post(id: 46, at: lastWeek, text: "", replyTo: nil, repostOf: 42))),
        Sample("exportRecord.like", .exportRecord(.like(postID: 42, at: postTime))),
        Sample("exportRecord.follow", .exportRecord(.follow(name: "alice", at: lastYear))),
        Sample(
            "exportRecord.message",
            .exportRecord(.message(id: 8, at: lastWeek, from: "bob", to: "carol", text: "see you \"soon\""))),
        Sample("exportEnd", .exportEnd(name: "bob", counts: ["posts": 2, "likes": 1, "messages": 1])),
    ]

    static let community: [Sample] = [
        Sample("announcement", .announcement(from: "admin", text: "maintenance at 22:00 UTC, back in ten minutes")),
        Sample(
            "report.open",
            .report(
                PostReport(
                    id: 3, postID: 45, author: "bob", text: "@alice agreed", reporter: "carol", reason: "spam",
                    createdAt: yesterday))),
        Sample(
            "report.deleted",
            .report(
                PostReport(
                    id: 4, postID: 48, author: "carol", text: "", reporter: "dave", reason: "rude", createdAt: postTime)
            )),
        Sample("inviteCode", .inviteCode("ABCD-EFGH")),
        Sample(
            "stats",
            .stats([
                StatsField("uptime_seconds", .int(3_725)), StatsField("posts_per_second", .double(1.23456)),
                StatsField("load", .double(12)), StatsField("db", .text("sqlite")),
                StatsField("nan", .double(.nan)),
            ])),
    ]
}
