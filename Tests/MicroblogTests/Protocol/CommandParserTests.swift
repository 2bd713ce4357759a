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

/// Lines to commands: posts, every command in the table, and the errors for bad arguments.
@Suite struct CommandParserTests {
    private func parsed(_ line: String) -> Command? {
        guard case .success(let command) = CommandParser.parse(line) else { return nil }
        return command
    }

    private func failure(_ line: String) -> WireError? {
        guard case .failure(let error) = CommandParser.parse(line) else { return nil }
        return error
    }

    // MARK: - Posts and blank lines

    @Test(arguments: ["", " ", "   ", "\t", " \t  \t"])
    func blankLineIsNoCommand(line: String) {
        #expect(CommandParser.parse(line) == nil)
    }

    @Test func plainTextIsARawPost() {
        #expect(parsed("hello world") == .post("hello world"))
        #expect(parsed("trailing blanks stay  ") == .post("trailing blanks stay  "))
        #expect(parsed("a/b is not a command") == .post("a/b is not a command"))
        #expect(parsed("caf\u{E9} \u{1F44B}") == .post("caf\u{E9} \u{1F44B}"))
    }

    @Test func leadingBlanksAreIgnored() {
        #expect(parsed("   hello") == .post("hello"))
        #expect(parsed("\t \thello") == .post("hello"))
        #expect(parsed("  /who") == .who)
        #expect(parsed("\t/quit") == .quit)
        #expect(parsed("  //x") == .post("/x"))
    }

    @Test func doubleSlashIsAPostOfTheRest() {
        #expect(parsed("//x") == .post("/x"))
        #expect(parsed("//who") == .post("/who"))
        #expect(parsed("///") == .post("//"))
        #expect(parsed("//") == .post("/"))
    }

    @Test func slashPostIsAPostTrimmedAtBothEnds() {
        #expect(parsed("/post hello there") == .post("hello there"))
        #expect(parsed("/post   two  spaces  \t") == .post("two  spaces"))
        #expect(parsed("/POST /not a command") == .post("/not a command"))
    }

    @Test(arguments: ["/post", "/post ", "/post \t  "])
    func slashPostWithNothingIsEmptyPost(line: String) {
        #expect(failure(line)?.code == .emptyPost)
    }

    // MARK: - Names and case

    @Test func commandNamesAreCaseInsensitive() {
        #expect(parsed("/WHO") == .who)
        #expect(parsed("/Quit") == .quit)
        #expect(parsed("/LoGoUt") == .logout)
        #expect(parsed("/FEED 5") == .feed(.latest(limit: 5)))
        #expect(parsed("/Register Bob") == .register(name: "Bob", password: nil))
    }

    @Test func everyCommandInTheTableParsesByItsName() {
        let valid = CommandSamples.lines
        #expect(Set(CommandTable.all.map(\.name)) == Set(valid.keys))
        for spec in CommandTable.all {
            let line = valid[spec.name] ?? ""
            #expect(parsed(line) != nil, "\(line)")
            #expect(CommandParser.read(line)?.spec?.name == spec.name, "\(line)")
            #expect(CommandTable.spec(named: spec.name.uppercased())?.name == spec.name)
        }
    }

    // MARK: - register and login

    @Test func registerWithAndWithoutPassword() {
        #expect(parsed("/register alice") == .register(name: "alice", password: nil))
        #expect(parsed("/register alice   ") == .register(name: "alice", password: nil))
        #expect(parsed("/register alice s3cretpass") == .register(name: "alice", password: "s3cretpass"))
    }

    @Test func passwordKeepsInnerBlanksAndIsTrimmedAtTheEnds() {
        #expect(
            parsed("/register alice   correct horse  battery\tstaple \t ")
                == .register(name: "alice", password: "correct horse  battery\tstaple"))
        #expect(parsed("/login\talice\tpass word\t") == .login(name: "alice", password: "pass word"))
    }

    @Test func loginWithAndWithoutPassword() {
        #expect(parsed("/login bob") == .login(name: "bob", password: nil))
        #expect(parsed("/login bob hunter22") == .login(name: "bob", password: "hunter22"))
    }

    @Test(arguments: ["/register", "/register  ", "/login", "/login \t"])
    func registerAndLoginNeedAName(line: String) {
        #expect(failure(line)?.code == .badUsage)
    }

    // MARK: - feed

    @Test func feedForms() {
        #expect(parsed("/feed") == .feed(.latest(limit: ListingLimits.defaultFeed)))
        #expect(parsed("/feed 5") == .feed(.latest(limit: 5)))
        #expect(parsed("/feed 1") == .feed(.latest(limit: 1)))
        #expect(parsed("/feed 200") == .feed(.latest(limit: 200)))
        #expect(parsed("/feed before 10") == .feed(.before(id: 10, limit: ListingLimits.defaultFeed)))
        #expect(parsed("/feed before #10 5") == .feed(.before(id: 10, limit: 5)))
        #expect(parsed("/feed since 3 7") == .feed(.since(id: 3, limit: 7)))
        #expect(parsed("/feed since #0") == .feed(.since(id: 0, limit: ListingLimits.defaultFeed)))
        #expect(parsed("/feed SINCE 3") == .feed(.since(id: 3, limit: ListingLimits.defaultFeed)))
        #expect(parsed("/feed  before\t10  5 ") == .feed(.before(id: 10, limit: 5)))
    }

    @Test(arguments: [
        "/feed 0", "/feed 201", "/feed -1", "/feed sideways", "/feed 5 6", "/feed before", "/feed before x",
        "/feed before -3", "/feed before #-3", "/feed before ##3", "/feed before 10 0", "/feed since 3 201",
        "/feed since 3 7 9", "/feed since 3 seven", "/feed before 1.5",
    ])
    func badFeedArgumentsAreBadUsage(line: String) {
        #expect(failure(line)?.code == .badUsage)
    }

    @Test func feedCountErrorNamesTheRange() {
        #expect(failure("/feed 201")?.message.contains("200") == true)
        #expect(failure("/feed 0")?.message.contains("1 to 200") == true)
    }

    // MARK: - watch, mode, help

    @Test func watchModesAndTags() {
        #expect(parsed("/watch") == .watch(nil))
        #expect(parsed("/watch on") == .watch(.all))
        #expect(parsed("/watch ON") == .watch(.all))
        #expect(parsed("/watch all") == .watch(.all))
        #expect(parsed("/watch off") == .watch(.off))
        #expect(parsed("/watch Off ") == .watch(.off))
        #expect(parsed("/watch following") == .watch(.following))
        #expect(parsed("/watch #Swift") == .watch(.addTag("swift")))
        #expect(parsed("/watch -#swift") == .watch(.removeTag("swift")))
    }

    @Test(arguments: ["/watch maybe", "/watch on off", "/watch 1", "/watch swift", "/watch #42", "/watch -off"])
    func badWatchIsBadUsage(line: String) {
        #expect(failure(line)?.code == .badUsage)
    }

    @Test func modeTextOrJSON() {
        #expect(parsed("/mode text") == .mode(.text))
        #expect(parsed("/mode json") == .mode(.json))
        #expect(parsed("/mode JSON") == .mode(.json))
    }

    @Test(arguments: ["/mode", "/mode xml", "/mode json text"])
    func badModeIsBadUsage(line: String) {
        #expect(failure(line)?.code == .badUsage)
    }

    @Test func helpWithAndWithoutTopic() {
        #expect(parsed("/help") == .help(topic: nil))
        #expect(parsed("/help feed") == .help(topic: "feed"))
        #expect(parsed("/help /feed") == .help(topic: "feed"))
        #expect(parsed("/HELP  login ") == .help(topic: "login"))
        #expect(failure("/help feed login")?.code == .badUsage)
    }

    // MARK: - Commands without arguments

    @Test(arguments: ["/quit now", "/logout please", "/who is there", "/who  x"])
    func extraWordsAreBadUsage(line: String) {
        let error = failure(line)
        #expect(error?.code == .badUsage)
        #expect(error?.message.hasPrefix("usage: /") == true)
    }

    @Test func trailingBlanksAfterAnArgumentlessCommandAreFine() {
        #expect(parsed("/quit   ") == .quit)
        #expect(parsed("/logout\t") == .logout)
        #expect(parsed("/who ") == .who)
    }

    // MARK: - Unknown commands

    @Test(arguments: ["/frobnicate", "/", "/ who", "/whoami", "/feeds 5", "/\u{1F600}"])
    func unknownCommand(line: String) {
        let error = failure(line)
        #expect(error?.code == .unknownCommand)
        #expect(error?.message.contains("/help") == true)
    }

    @Test func unknownCommandNameIsShown() {
        #expect(failure("/frobnicate now")?.message.contains("/frobnicate") == true)
    }

    @Test(arguments: [
        "/\u{1B}[2J", "/x\u{1B}]0;pwned\u{07}", "/\u{9B}31m", "/\u{202E}olleh", "/a\u{7F}b", "/\u{0}",
        "/\u{1B}\u{301}", "/\u{85}", "/\u{2028}x", "/x\u{E0041}",
    ])
    func unknownCommandMessageHasNoControlOrFormatCharacters(line: String) {
        let error = failure(line)
        #expect(error?.code == .unknownCommand)
        let message = error?.message ?? ""
        #expect(TextSafety.firstForbiddenScalar(in: message) == nil, "\(message.unicodeScalars.map(\.value))")
        #expect(!message.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
    }

    @Test func unknownCommandNameIsCut() {
        let name = String(repeating: "x", count: 500)
        let message = failure("/" + name)?.message ?? ""
        #expect(message.count < 100)
        #expect(!message.contains(String(repeating: "x", count: 33)))
    }

    // MARK: - The social layer

    @Test func followCommandsTakeExactlyOneName() {
        #expect(parsed("/follow Bob") == .follow("Bob"))
        #expect(parsed("/unfollow bob") == .unfollow("bob"))
        #expect(failure("/follow")?.code == .badUsage)
        #expect(failure("/follow bob carol")?.code == .badUsage)
        #expect(parsed("/following") == .following(nil))
        #expect(parsed("/followers carol") == .followers("carol"))
        #expect(failure("/followers a b")?.code == .badUsage)
    }

    @Test func timelineAndPostsPageLikeTheFeed() {
        #expect(parsed("/timeline") == .timeline(.latest(limit: ListingLimits.defaultFeed)))
        #expect(parsed("/timeline before #9 3") == .timeline(.before(id: 9, limit: 3)))
        #expect(parsed("/posts bob") == .posts(name: "bob", .latest(limit: ListingLimits.defaultFeed)))
        #expect(parsed("/posts bob 7") == .posts(name: "bob", .latest(limit: 7)))
        #expect(parsed("/posts bob since 4 2") == .posts(name: "bob", .since(id: 4, limit: 2)))
        #expect(failure("/posts")?.code == .badUsage)
        #expect(failure("/posts bob 0")?.code == .badUsage)
        #expect(failure("/timeline sideways")?.code == .badUsage)
    }

    @Test func tagsAreNormalisedAndChecked() {
        #expect(parsed("/tag #Swift") == .tag("swift", .latest(limit: ListingLimits.defaultFeed)))
        #expect(parsed("/tag Café before 9") == .tag("café", .before(id: 9, limit: ListingLimits.defaultFeed)))
        #expect(failure("/tag #42")?.code == .badUsage)
        #expect(failure("/tag")?.code == .badUsage)
        #expect(failure("/tag a-b")?.code == .badUsage)
        #expect(failure("/trending now")?.code == .badUsage)
    }

    @Test func peopleCommands() {
        #expect(parsed("/profile") == .profile(nil))
        #expect(parsed("/bio") == .bio(nil))
        #expect(parsed("/bio  I write Swift  ") == .bio("I write Swift"))
        #expect(parsed("/away at lunch") == .away("at lunch"))
        #expect(parsed("/msg bob see you at 5") == .message(to: "bob", "see you at 5"))
        #expect(failure("/msg bob") == WireError(.badUsage, "nothing to send to bob: /msg bob TEXT"))
        #expect(parsed("/inbox") == .inbox(nil, ListingLimits.defaultFeed))
        #expect(parsed("/inbox 5") == .inbox(nil, 5))
        #expect(parsed("/inbox bob") == .inbox("bob", ListingLimits.defaultFeed))
        #expect(parsed("/inbox bob 3") == .inbox("bob", 3))
        #expect(failure("/inbox bob 99")?.code == .badUsage)
        #expect(failure("/back now")?.code == .badUsage)
    }

    @Test func keyAddTakesALineOfAPublicKeyFile() {
        #expect(
            parsed("/key add ssh-ed25519 AAAAC3Nz alice@laptop")
                == .key(.add(type: "ssh-ed25519", base64: "AAAAC3Nz", comment: "alice@laptop")))
        #expect(parsed("/KEY ADD ssh-rsa AAAAB3") == .key(.add(type: "ssh-rsa", base64: "AAAAB3", comment: nil)))
        // The comment is the rest of the line, blanks inside kept, blanks around dropped.
        #expect(
            parsed("/key add ssh-ed25519\tAAAA  my  work key  ")
                == .key(.add(type: "ssh-ed25519", base64: "AAAA", comment: "my  work key")))
        // The type and key are passed on as typed: SSHPublicKey.validate judges them.
        #expect(parsed("/key add SSH-ED25519 !!") == .key(.add(type: "SSH-ED25519", base64: "!!", comment: nil)))
    }

    @Test func keyListAndRemove() {
        #expect(parsed("/key list") == .key(.list))
        #expect(parsed("/key LIST") == .key(.list))
        #expect(parsed("/key remove 3") == .key(.remove(3)))
        #expect(parsed("/key remove #3") == .key(.remove(3)))
        #expect(failure("/key remove 0") == CommandTable.badKeyNumber)
        #expect(failure("/key remove -1") == CommandTable.badKeyNumber)
        #expect(failure("/key remove x") == CommandTable.badKeyNumber)
        #expect(failure("/key remove 99999999999999999999") == CommandTable.badKeyNumber)
    }

    @Test(arguments: [
        "/key", "/key   ", "/key show", "/key add", "/key add ssh-ed25519", "/key list all", "/key remove",
        "/key remove 1 2",
    ])
    func keyWithoutASubcommandOrItsWordsIsAUsageError(line: String) throws {
        let error = try #require(failure(line))
        #expect(error.code == .badUsage)
        #expect(error.message.hasPrefix("usage: /key add TYPE KEY [COMMENT] | /key list | /key remove N"))
        #expect(CommandParser.commandName(of: line) == "key")
    }
}

@Suite("Notification commands")
struct NotificationCommandParserTests {
    private func parsed(_ line: String) -> Command? {
        if case .success(let command) = CommandParser.parse(line) { return command }
        return nil
    }

    @Test func notifyBellAndNotificationsParse() {
        #expect(parsed("/notify") == .notify(nil, on: true))
        #expect(parsed("/notify Mention OFF") == .notify(.mention, on: false))
        #expect(parsed("/notify mention") == nil)
        #expect(parsed("/notify dm off") == nil)
        #expect(parsed("/bell") == .bell(nil))
        #expect(parsed("/bell on") == .bell(true))
        #expect(parsed("/bell loud") == nil)
        #expect(parsed("/notifications") == .notifications(.latest(limit: ListingLimits.defaultFeed)))
        #expect(parsed("/notifications before n12 5") == .notifications(.before(id: 12, limit: 5)))
        #expect(parsed("/notifications since 3") == .notifications(.since(id: 3, limit: ListingLimits.defaultFeed)))
    }
}

/// `did you mean`: the commands a mistyped name was likely meant to be (issue 25).
@Suite struct CommandSuggestionTests {
    @Test func typosAndBeginningsFindTheNearestCommands() {
        #expect(CommandSuggestion.nearest(to: "folow") == ["follow"])
        #expect(CommandSuggestion.nearest(to: "FOLOW") == ["follow"])
        #expect(CommandSuggestion.nearest(to: "flolow") == ["follow"])  // two swapped letters and one more
        #expect(CommandSuggestion.nearest(to: "tiemline") == ["timeline"])  // a swap is one edit
        #expect(CommandSuggestion.nearest(to: "notif") == ["notify", "notifications"])
        #expect(CommandSuggestion.nearest(to: "xyzzy") == [])
        #expect(CommandSuggestion.nearest(to: "") == [])
        // Short names allow one edit only: `/fed` is `/feed`, but `/fd` is not everything two away.
        #expect(CommandSuggestion.nearest(to: "fed") == ["feed"])
        #expect(CommandSuggestion.nearest(to: "zq") == [])
    }

    @Test func administratorsCommandsAreNeverSuggested() {
        #expect(!CommandSuggestion.suggestable.contains("ban"))
        #expect(!CommandSuggestion.suggestable.contains("stats"))
        #expect(CommandSuggestion.nearest(to: "bna") == [])
    }

    @Test func theSentenceListsAtMostThree() {
        #expect(CommandSuggestion.sentence(for: "folow") == "did you mean /follow?")
        #expect(CommandSuggestion.sentence(for: "notif") == "did you mean /notify or /notifications?")
        #expect(CommandSuggestion.sentence(for: "xyzzy") == nil)
        #expect(CommandSuggestion.nearest(to: "f").count <= 3)
    }

    @Test func theParserSuggests() {
        #expect(
            CommandParser.parse("/folow carol")
                == .failure(
                    WireError(.unknownCommand, "unknown command /folow; did you mean /follow? (/help lists them all)")))
    }
}
