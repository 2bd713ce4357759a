import Foundation
import Testing

@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogModel
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogServer
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport

/// Every line the server writes in text mode fits the reader's screen (issue 25): wrapped at words to
/// the window's width when the terminal said it, else to 80 columns, on every door and in either
/// terminal mode, each kind of line with its hanging indent.
@Suite("End to end: every line fits the reader's screen")
struct WrappingTests {
    /// The rows a terminal shows for `bytes`: without telnet commands (the client keeps them), colour and
    /// erase sequences, split at CR LF and at a bare CR (the input line redrawn over itself in character
    /// mode).
    static func rows(_ bytes: [UInt8]) -> [String] {
        var shown: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == 255, index + 1 < bytes.count else {
                shown.append(bytes[index])
                index += 1
                continue
            }
            switch bytes[index + 1] {
            case 251...254: index += 3
            case 250: index = (bytes[index...].firstIndex(of: 240) ?? bytes.count - 1) + 1
            default: index += 2
            }
        }
        let text = String(decoding: shown, as: UTF8.self).replacing(/\x1B\[[0-9;]*[A-Za-z]/, with: "")
        return text.split(separator: "\r\n", omittingEmptySubsequences: false).flatMap {
            $0.split(separator: "\r", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// Rows of `rows` wider than `width` columns (JSON lines apart: `/export` stays one object a line).
    static func tooWide(_ rows: [String], width: Int) -> [String] {
        rows.filter { !$0.hasPrefix("{") && TextWrapper.columns(Array($0)[...]) > width }
    }

    /// alice, away, followed by bob, mentioned and sent a message, with a key whose row is wider than 80
    /// columns: her `/key list` and the summary at her next `/login` are long.
    static func aliceWithALongKeyAndNews(_ server: TestServer) throws {
        let alice = try server.registeredClient("alice")
        let key = SSHKeyTests.keyLine(3, comment: "alice@a-laptop-with-a-long-name")
        #expect(try alice.run("/key add " + key).hasPrefix("* key 1 added"))
        alice.send("/quit")
        _ = try alice.readUntilClosed()
        let bob = try server.registeredClient("bob")
        for line in ["/follow alice", "hello @alice", "/msg alice are you there?"] { try bob.run(line) }
    }

    @Test func termCharKeyListAndTheLoginSummaryFit80ColumnsWhenTheWidthIsUnknown() throws {
        // A telnet client left in line mode (it never reports its window): /term char's long answer.
        let server = try TestServer(lineModeTelnet: true)
        try Self.aliceWithALongKeyAndNews(server)
        let telnet = try server.greetedClient()
        telnet.send("/term char", ending: "\r\n")
        let term = Self.rows(try telnet.readUntilBytes(Array("it refuses\r\n".utf8)))
        #expect(
            TestClient.joined(term).contains(
                "* asked your telnet client to let the server edit your line; you will be told if it refuses"),
            "\(term)")
        #expect(Self.tooWide(term, width: 80).isEmpty, "\(term)")

        // nc: the summary after /login, and /key list.
        let nc = try server.greetedClient()
        nc.send("/login alice password1")
        nc.send("/key list")
        nc.send("/quit")
        let rows = Self.rows(try nc.readBytesUntilClosed())
        #expect(Self.tooWide(rows, width: 80).isEmpty, "\(rows)")
        // The summary goes on two columns in, under its text; the key's row four in, under its own.
        let summary = try #require(rows.firstIndex { $0.hasPrefix("* while you were away") })
        let summaryEnd = try #require(rows[summary...].firstIndex { $0.hasSuffix("(/inbox)") })
        try #require(summaryEnd > summary, "\(rows)")
        #expect(rows[(summary + 1)...summaryEnd].allSatisfy { $0.hasPrefix("  ") && !$0.hasPrefix("   ") })
        let key = try #require(rows.firstIndex { $0.hasPrefix("  1 ssh-ed25519 SHA256:") })
        #expect(
            rows.dropFirst(key + 1).first?.hasPrefix("    alice@a-laptop-with-a-long-name (added ") == true, "\(rows)")
    }

    @Test func theyFitANarrowerWindowReportedByNAWSInCharacterMode() throws {
        let server = try TestServer()
        try Self.aliceWithALongKeyAndNews(server)
        let telnet = try NewcomerTests.characterModeClient(server, width: 50)
        telnet.sendBytes(Array("/term char\r".utf8))
        var shown = try telnet.readUntilBytes(Array("gives it back)".utf8))
        telnet.sendBytes(Array("/login alice password1\r".utf8))
        shown += try telnet.readUntilBytes(Array("(/inbox)".utf8))
        telnet.sendBytes(Array("/key list\r".utf8))
        shown += try telnet.readUntilBytes(Array("removes one".utf8))
        let rows = Self.rows(shown)
        #expect(Self.tooWide(rows, width: 50).isEmpty, "\(rows)")
        let lines = TestClient.joined(rows)
        #expect(
            lines.contains {
                $0 == "* character mode is on: the server edits your line (/term line gives it back)"
            }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("* while you were away") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("  1 ssh-ed25519 SHA256:") }, "\(lines)")
    }

    /// Every command of the registry, with arguments that make its longest answers (errors included),
    /// by an administrator and by a guest over nc: no row is wider than 80 columns.
    @Test func everyCommandsRepliesFit80Columns() throws {
        let server = try TestServer { $0.settings.admins = ["root"] }
        let bob = try server.registeredClient("bob")
        let long = (1...30).map { "word\($0)" }.joined(separator: " ")
        for text in ["\(long) #wrapping @root", "/reply 1 \(long)", "/msg root \(long)"] { try bob.run(text) }
        let root = try server.registeredClient("root")
        let guest = try server.greetedClient()
        let extra = [
            "/search \(String(repeating: "x", count: 60))", "/tz Mars/Olympus", "/follow nobody-by-this-name",
            "/key add ssh-dss AAAAB3NzaC1kc3MAAACBAP", "/feed before 1 500", "/thread 1", "/profile bob",
            "/report 1 \(long)", "/reports", "/notifications", "/inbox", "/inbox bob", "/who", "/help",
            "/help posting", "/help feed", "/posts bob", "/trending", "/tag #wrapping", "/stats", "/followers bob",
            "/announce \(long)", "/bio \(long)", "/away \(long)", "/profile root", "/back", "/notify",
            "\(long) \(long)", "/no-such-command \(long)",
        ]
        let skipped: Set = ["quit", "mode", "logout", "delete-account", "ban", "kick"]
        let lines = CommandTable.all.map(\.name).filter { !skipped.contains($0) }.compactMap {
            CommandSamples.lines[$0]
        }
        #expect(lines.count == CommandTable.all.count - skipped.count)
        for client in [root, guest] {
            // An empty line after each: it cancels a password prompt, and is ignored anywhere else.
            for line in lines + extra { client.send(line + "\n") }
            client.send("/quit")
            let rows = Self.rows(try client.readBytesUntilClosed(timeout: 30))
            #expect(rows.count > lines.count)
            #expect(Self.tooWide(rows, width: 80).isEmpty, "\(Self.tooWide(rows, width: 80))")
        }
    }
}
