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

/// `/passwd`, `/kick`, `/announce`, `/report`, `/reports`, `/invite` and `/invites` as lines.
@Suite struct CommunityCommandParserTests {
    private func parsed(_ line: String) -> Command? {
        guard case .success(let command) = CommandParser.parse(line) else { return nil }
        return command
    }

    private func failure(_ line: String) -> WireError.Code? {
        guard case .failure(let error) = CommandParser.parse(line) else { return nil }
        return error.code
    }

    @Test func accountCommandsTakeNoArgumentsOrOneZone() {
        #expect(parsed("/export") == .export)
        #expect(failure("/export all") == .badUsage)
        #expect(parsed("/delete-account") == .deleteAccount)
        #expect(failure("/delete-account password1") == .badUsage)
        #expect(parsed("/tz") == .timeZone(nil))
        #expect(parsed("/tz Europe/Paris") == .timeZone("Europe/Paris"))
        #expect(failure("/tz Europe Paris") == .badUsage)
    }

    @Test func passwdTakesOnlyItsFlag() {
        #expect(parsed("/passwd") == .passwd(logoutOthers: false))
        #expect(parsed("/PASSWD --Logout-Others") == .passwd(logoutOthers: true))
        #expect(failure("/passwd secret") == .badUsage)
    }

    @Test func administratorsCommands() {
        #expect(parsed("/kick bob") == .kick("bob"))
        #expect(failure("/kick") == .badUsage)
        #expect(parsed("/announce  back in 5 minutes ") == .announce("back in 5 minutes"))
        #expect(failure("/announce") == .badUsage)
        #expect(parsed("/reports") == .reports(.list))
        #expect(parsed("/reports close #3 dealt with") == .reports(.close(3, note: "dealt with")))
        #expect(parsed("/reports close 3") == .reports(.close(3, note: nil)))
        #expect(failure("/reports close x") == .badUsage)
        #expect(failure("/reports close 0") == .badUsage)
        #expect(failure("/reports open") == .badUsage)
    }

    @Test func reportsAndInvites() {
        #expect(parsed("/report #42 spam, again") == .report(42, reason: "spam, again"))
        #expect(failure("/report 42") == .badUsage)
        #expect(failure("/report x spam") == .badUsage)
        #expect(parsed("/invite") == .invite)
        #expect(failure("/invite bob") == .badUsage)
        #expect(parsed("/invites") == .invites(.list))
        #expect(parsed("/invites allow bob 3") == .invites(.allow("bob", 3)))
        #expect(failure("/invites allow bob") == .badUsage)
        #expect(failure("/invites allow bob -1") == .badUsage)
        #expect(failure("/invites allow bob 1001") == .badUsage)
    }

    @Test func whoMayRunThem() {
        func access(_ line: String) -> CommandAccess? { CommandParser.read(line)?.spec?.access }
        #expect(access("/kick x") != .anyone)
        if case .administrator = access("/announce x") {} else { Issue.record("announce") }
        if case .administrator = access("/reports") {} else { Issue.record("reports") }
        if case .account = access("/report 1 x") {} else { Issue.record("report") }
        if case .account = access("/passwd") {} else { Issue.record("passwd") }
    }
}

@Suite struct InviteCodeTests {
    @Test func codesAreReadableAndTypedInAnyCase() {
        for _ in 0..<50 {
            let code = InviteCode.make()
            #expect(code.count == 9 && code.dropFirst(4).first == "-")
            #expect(InviteCode.normalized(code) == code)
            #expect(InviteCode.normalized(code.lowercased().replacing("-", with: "")) == code)
        }
        #expect(InviteCode.normalized("abcd-efgh") == "ABCD-EFGH")
        #expect(InviteCode.normalized("ABCD-EFG0") == nil)  // 0 looks like O: never in a code
        #expect(InviteCode.normalized("ABCD-EFG") == nil)
        #expect(InviteCode.normalized("password1") == nil)
    }

    @Test func kicksAndAnnouncementsTravelBetweenNodes() {
        for event in [
            ClusterEvent.kicked(userID: 7), .accountDeleted(userID: 8),
            .announcement(from: "mod", text: "back in 5 minutes"),
            .loginFailed(nameKey: "alice", host: "2001:db8::1"), .liked(42),
        ] {
            let payloads = event.payloads(from: "n1")
            #expect(payloads.count == 1)
            #expect(ClusterEvent.parse(payloads[0])?.event == event)
            #expect(ClusterEvent.parse(payloads[0])?.node == "n1")
        }
        #expect(ClusterEvent.parse("announce n1 mod") == nil)
        #expect(ClusterEvent.parse("kicked n1 x") == nil)
        #expect(ClusterEvent.parse("liked n1 4x") == nil)
    }
}

@Suite struct MotdTests {
    @Test func linesAreSafeAndFitEightyColumns() {
        let long = String(repeating: "word ", count: 40)
        let text =
            "\n\nRules:\r\n\t1. Be kind.\u{1B}[31m red\u{7}\n\n" + long + "\n" + String(repeating: "x", count: 100)
            + "\n\n"
        let lines = Motd.lines(from: text)
        #expect(lines[0] == "Rules:")
        #expect(lines[1] == " 1. Be kind.\u{FFFD}[31m red\u{FFFD}")
        #expect(lines[2] == "")
        #expect(lines.allSatisfy { $0.count + 2 <= Motd.width })
        #expect(lines.allSatisfy { !$0.hasSuffix(" ") })
        #expect(lines.last == String(repeating: "x", count: 22))
        #expect(lines.joined(separator: " ").contains(long.trimmingBlanks()))
        #expect(!lines.contains { $0.unicodeScalars.contains { $0.value < 0x20 } })
    }

    @Test func wideCharactersCountTwoColumnsAndLengthIsCapped() {
        let lines = Motd.lines(from: String(repeating: "日本語", count: 30))
        #expect(lines.map(\.count) == [39, 39, 12])
        #expect(Motd.lines(from: String(repeating: "a\n", count: 50)).count == Motd.maxLines)
        #expect(Motd.lines(from: "\n \n").isEmpty)
    }
}

@Suite struct MotdLoadTests {
    /// A path given by mistake (text instead of a file) is named in plain words, not a Foundation error.
    @Test func aMissingOrUnreadableFileIsSaidPlainly() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: MotdError("cannot read the --motd file \(directory.path)/Hello motd: there is no such file")) {
            try Motd.load(path: directory.path + "/Hello motd")
        }
        #expect(throws: MotdError("cannot read the --motd file \(directory.path): not a readable file")) {
            try Motd.load(path: directory.path)
        }
        let file = directory.path + "/motd.txt"
        try "be kind\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try Motd.load(path: file) == ["be kind"])
    }
}
