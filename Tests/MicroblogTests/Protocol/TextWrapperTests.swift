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

@Suite struct TextWrapperTests {
    @Test func wrapsAtWordsUnderThePostsText() {
        let wrapped = TextWrapper.wrap("#7 12:04 al: aaa bbb ccc ddd eee fff\r\n", width: 30, indent: .underText)
        #expect(wrapped == "#7 12:04 al: aaa bbb ccc ddd\r\n             eee fff\r\n")
        // A prefix wider than half the window would leave too little room: indent by two instead.
        #expect(
            TextWrapper.wrap("#7 12:04 al: aaa bbb ccc ddd eee\r\n", width: 24, indent: .underText)
                == "#7 12:04 al: aaa bbb ccc\r\n  ddd eee\r\n")
    }

    @Test func shortLinesAndColourEscapesAreLeftAlone() {
        #expect(TextWrapper.wrap("* short\r\n", width: 40, indent: .twoColumns) == "* short\r\n")
        let colored = "\u{1B}[2m#7 12:04\u{1B}[0m \u{1B}[32mal\u{1B}[0m: aaa bbb\r\n"
        #expect(TextWrapper.wrap(colored, width: 24, indent: .underText) == colored)
        // Bytes that fit are handed back as they are, the same array.
        let short = Array("* short\r\n".utf8)
        let same = TextWrapper.wrap(short, width: 40, indent: .twoColumns)
        #expect(same.withUnsafeBufferPointer { $0.baseAddress } == short.withUnsafeBufferPointer { $0.baseAddress })
    }

    @Test func aWordLongerThanALineIsCut() {
        let wrapped = TextWrapper.wrap("* " + String(repeating: "x", count: 50), width: 20, indent: .twoColumns)
        #expect(wrapped.split(separator: "\r\n").allSatisfy { $0.count <= 20 })
        #expect(wrapped.filter { $0 == "x" }.count == 50)
    }

    /// Each kind of line at 80 columns, as the server renders it: its continuation lines start where its
    /// kind says (`ServerMessage.hangingIndent`).
    @Test func eachKindOfLineHasItsHangingIndent() {
        let now = Timestamp(milliseconds: 1_795_692_005_123)
        func rows(_ message: ServerMessage, width: Int = 80) -> [String] {
            let text = String(decoding: Renderer.render(message, mode: .text, now: now, width: width), as: UTF8.self)
            let rows = text.split(separator: "\r\n").map(String.init)
            #expect(rows.allSatisfy { TextWrapper.columns(Array($0)[...]) <= width }, "\(rows)")
            return rows
        }
        // The server's own sentence (`/term char`'s answer in line mode): two columns in, under its text.
        let term = rows(
            .ok(
                Ack(
                    command: "term",
                    message: "asked your telnet client to let the server edit your line; you will be told if it refuses"
                )))
        #expect(
            term == [
                "* asked your telnet client to let the server edit your line; you will be told if",
                "  it refuses",
            ])
        // An error: the same.
        let error = rows(
            .error(
                WireError(
                    .tooManyKeys, "you have 10 keys, the most an account may hold; /key remove N first, then add it"),
                command: "key"))
        #expect(error.dropFirst() == ["  it (too_many_keys)"], "\(error)")
        // The summary after /login: two columns in, however far its first `: ` is.
        var summary = CatchUp(
            since: Timestamp(milliseconds: now.milliseconds - 3_600_000), homePostIDs: [1, 2, 3], mentionIDs: [4],
            newFollowers: ["carol", "dave"], unreadMessages: 2)
        summary.likes = 4
        let catchUp = rows(.catchUp(summary))
        #expect(
            catchUp.count == 3 && catchUp.dropFirst().allSatisfy { $0.hasPrefix("  ") && $0.dropFirst(2).first != " " })
        // A /key list row: its own indentation and two more.
        let key = StoredSSHKey(
            number: 2, type: "ssh-ed25519", base64: "AAAA", comment: "alice@a-rather-long-laptop-name.example.org",
            addedAt: now)
        let keyRows = rows(.sshKey(key, fingerprint: "SHA256:" + String(repeating: "k", count: 43)))
        #expect(keyRows.count == 2 && keyRows[0].hasPrefix("  2 ssh-ed25519 SHA256:kkk"), "\(keyRows)")
        #expect(keyRows.dropFirst().allSatisfy { $0.hasPrefix("    ") && $0.dropFirst(4).first != " " }, "\(keyRows)")
        // A post: under its text, after `author: `.
        let post = Post(
            id: 45, authorID: 7, author: "bob", text: (1...30).map { "word\($0)" }.joined(separator: " "),
            createdAt: now)
        let postRows = rows(.post(post, live: true))
        #expect(postRows.count == 4 && postRows[0].hasPrefix("#45 11:20 bob: word1 "), "\(postRows)")
        #expect(postRows.dropFirst().allSatisfy { $0.hasPrefix(String(repeating: " ", count: 15)) })
        // A /help item: under its summary.
        let help = rows(
            .help(
                name: "feed", usage: ["/feed [N]"],
                summary: "show the posts of the people you follow, newest last, and more words past the edge",
                details: []),
            width: 60)
        #expect(help.count == 3 && help.dropFirst().allSatisfy { $0.hasPrefix(String(repeating: " ", count: 30)) })
        // JSON and /export lines are never wrapped.
        let record = ServerMessage.exportRecord(.post(id: 1, at: now, text: post.text, replyTo: nil, repostOf: nil))
        #expect(
            !String(decoding: Renderer.render(record, mode: .text, now: now, width: 40), as: UTF8.self).dropLast(2)
                .contains("\r\n"))
        #expect(
            !String(decoding: Renderer.render(.post(post, live: true), mode: .json, now: now, width: 40), as: UTF8.self)
                .dropLast(2).contains("\r\n"))
    }
}
