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

@Suite("Command table: topics and names")
struct CommandTopicTests {
    /// Commands added without a topic land in `other` in /help; this fails until each has one.
    @Test func everyCommandHasATopic() {
        let missing = CommandTable.all.filter { $0.topic == nil }.map(\.name)
        #expect(missing.isEmpty, "commands without a topic (listed under other in /help): \(missing)")
    }

    @Test func aCommandWithoutATopicIsListedUnderOther() {
        #expect(
            CommandTable.commands(of: .other).map(\.name) == CommandTable.all.filter { $0.topic == nil }.map(\.name))
        let filed = CommandTopic.allCases.flatMap { CommandTable.commands(of: $0) }
        #expect(filed.count == CommandTable.all.count)
    }

    @Test func topicsAndCommandsHaveDifferentNames() {
        for topic in CommandTopic.allCases { #expect(CommandTable.spec(named: topic.rawValue) == nil) }
        for name in CommandTable.mostUsed { #expect(CommandTable.spec(named: name) != nil, "\(name)") }
    }

    /// The table says which argument is a NAME exactly where the usage writes one.
    @Test func theNameArgumentIsWhereTheUsageSaysNAME() {
        for spec in CommandTable.all where spec.name != "register" {
            let takesName = spec.usage.contains { $0.split(separator: " ").dropFirst().first?.contains("NAME") == true }
            #expect((spec.nameArgument == 0) == takesName, "\(spec.name)")
        }
    }

    @Test func atNameIsAcceptedWhereverANameIs() {
        func parsed(_ line: String) -> Command? { try? CommandParser.parse(line)?.get() }
        #expect(parsed("/follow @alice") == .follow("alice"))
        #expect(parsed("/unfollow @alice") == .unfollow("alice"))
        #expect(parsed("/mute @alice") == .mute("alice"))
        #expect(parsed("/unmute @alice") == .unmute("alice"))
        #expect(parsed("/following @alice") == .following("alice"))
        #expect(parsed("/followers @alice") == .followers("alice"))
        #expect(parsed("/profile @alice") == .profile("alice"))
        #expect(parsed("/msg @alice hi @bob") == .message(to: "alice", "hi @bob"))
        #expect(parsed("/inbox @alice 5") == .inbox("alice", 5))
        #expect(parsed("/unban @alice") == .unban("alice"))
        #expect(parsed("/ban @alice spam") == .ban("alice", reason: "spam"))
        #expect(parsed("/login @alice pw") == .login(name: "alice", password: "pw"))
        if case .posts(let name, _)? = parsed("/posts @alice 3") { #expect(name == "alice") } else { Issue.record() }
        // A lone @ is no name, and a post's text keeps its mentions.
        #expect(parsed("/follow @") == .follow("@"))
        #expect(parsed("/post @alice hi") == .post("@alice hi"))
    }
}
