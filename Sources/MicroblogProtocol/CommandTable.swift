import MicroblogModel
import MicroblogSupport

/// One command's entry in the registry, its pure half: its name, how it is written, what it does, who may
/// run it, and how its arguments parse into a `Command`. The domain pairs each entry's payload with its
/// handler (`CommandHandler`); `/help`, Tab and Protocol.md §5 (checked by a test) come from these facts.
public struct CommandSpec: Sendable {
    public var name: String
    /// One line per form, e.g. `/feed before ID [N]`.
    public var usage: [String]
    public var summary: String
    /// Longer help shown by `/help NAME`, one entry per line; a fact the server's options decide is
    /// written as its `HelpFacts` placeholder (`details(with:)` fills it in).
    public var details: [String]
    /// Who may run it: checked once, before its handler runs, like ssh-chat's operator flag.
    public var access: CommandAccess = .anyone
    /// Where `/help` lists it; nil files it under `other` (see `CommandTopic`).
    public var topic: CommandTopic? = nil
    /// The index of the argument that is an account's NAME, if any: Tab completes names there, and
    /// `@name` is accepted for it as well as `name`.
    public var nameArgument: Int? = nil
    /// What of a command anyone may run only administrators are shown (its administrators' sub-command).
    public var forAdministrators: AdministratorsHelp? = nil
    var parse: @Sendable (Arguments) -> Result<Command, WireError>

    /// `details` with the server's facts in place of their placeholders.
    public func details(with facts: HelpFacts) -> [String] {
        details.map { $0.replacingAll(HelpFacts.deletedNameHoldDays, with: String(facts.deletedNameHoldDays)) }
    }

    /// The usage forms, summary and details `/help` shows to an administrator or to anyone else.
    public func help(forAdministrator: Bool, facts: HelpFacts) -> (usage: [String], summary: String, details: [String])
    {
        guard let extra = forAdministrators else { return (usage, summary, details(with: facts)) }
        if forAdministrator { return (usage, extra.summary, details(with: facts) + extra.details) }
        return (usage.filter { !extra.usage.contains($0) }, summary, details(with: facts))
    }

    /// The `bad_usage` error for this command: the forms anyone may use.
    public var usageError: WireError {
        let forms = usage.filter { !(forAdministrators?.usage.contains($0) ?? false) }
        return WireError(.badUsage, "usage: " + forms.joined(separator: " | "))
    }
}

/// A sub-command only administrators may use, of a command anyone may run: its usage forms (also in the
/// command's `usage`), the summary administrators see instead, and the detail lines they see added.
public struct AdministratorsHelp: Sendable {
    public var usage: [String]
    public var summary: String
    public var details: [String]
}

/// What help text says that the server's options decide, as the server runs.
public struct HelpFacts: Sendable, Equatable {
    /// Days a deleted account's name stays held (`deletedNameHold`).
    public var deletedNameHoldDays: Int

    public init(deletedNameHoldDays: Int) { self.deletedNameHoldDays = deletedNameHoldDays }

    /// The placeholder for `deletedNameHoldDays` in a command's details.
    static let deletedNameHoldDays = "{deleted-name-hold-days}"
}

/// Who may run a command. A guest asking for a command that needs an account gets `not_logged_in`;
/// someone not an administrator asking for an administrator's command gets `forbidden`.
public enum CommandAccess: Sendable, Equatable {
    case anyone
    /// A logged-in account; a guest gets `notLoggedIn` as the error's sentence.
    case account(notLoggedIn: String)
    /// An administrator (`microblogd --admin NAME`); a guest gets `notLoggedIn`, anyone else `forbidden`.
    case administrator(notLoggedIn: String, forbidden: String)

    /// A logged-in account, a guest being told to log in to do `action`.
    static func account(toDo action: String) -> CommandAccess {
        .account(notLoggedIn: loginSentence(toDo: action))
    }

    /// An administrator, a guest being told to log in to do `action`.
    static func administrator(toDo action: String, forbidden: String) -> CommandAccess {
        .administrator(notLoggedIn: loginSentence(toDo: action), forbidden: forbidden)
    }

    /// The usual `not_logged_in` sentence (as an open server's registration has it; see `adapted`).
    public static func loginSentence(toDo action: String) -> String {
        "log in to \(action): /login NAME, or " + joinHint(.open)
    }

    /// How a guest joins under `registration` (`--registration`), as the greeting and `not_logged_in` say.
    public static func joinHint(_ registration: Registration) -> String {
        switch registration {
        case .open: return "/register NAME to join"
        case .invite: return "/register NAME CODE to join with an invitation"
        case .closed: return "ask the operator for an account"
        }
    }

    /// A `not_logged_in` sentence with its way to join as `registration` has it.
    public static func adapted(_ sentence: String, to registration: Registration) -> String {
        guard registration != .open else { return sentence }
        return sentence.replacingAll(joinHint(.open), with: joinHint(registration))
    }
}

/// The limits the parser enforces on listings.
public enum ListingLimits {
    public static let defaultFeed = 20
    public static let maxFeed = 200
}

/// Every command the server understands, grouped by family in files of their own.
public enum CommandTable {
    /// Every command, in the order `/help` lists them.
    public static let all: [CommandSpec] =
        core.filter { $0.name != "quit" } + postActions + social + conversation + people + notifications + keys
        + account + moderation + community + core.filter { $0.name == "quit" }

    /// The core's commands: accounts, posting, the public feed, the session.
    static let core: [CommandSpec] = [
        CommandSpec(
            name: "register", usage: ["/register NAME [PASSWORD]"],
            summary: "create an account and log in",
            details: [
                "NAME: 3 to 20 letters, digits or _, with a letter; unique ignoring case and look-alikes (5am is sam).",
                "PASSWORD: at least 8 characters; without it you are asked for it (hidden in telnet).",
            ],
            topic: .start,
            parse: { args in
                guard let name = args.word(0) else { return .failure(args.spec.usageError) }
                return .success(.register(name: name, password: args.rest(after: 1)))
            }),
        CommandSpec(
            name: "login", usage: ["/login NAME [PASSWORD]"],
            summary: "log in to your account",
            details: ["Without PASSWORD you are asked for it (hidden in telnet)."],
            topic: .start, nameArgument: 0,
            parse: { args in
                guard let name = args.word(0) else { return .failure(args.spec.usageError) }
                return .success(.login(name: name, password: args.rest(after: 1)))
            }),
        CommandSpec(
            name: "logout", usage: ["/logout"], summary: "log out, staying connected",
            details: [], access: .account(notLoggedIn: "you are not logged in"), topic: .start,
            parse: { args in args.none(.logout) }),
        post,
        CommandSpec(
            name: "feed", usage: ["/feed [N]", "/feed before ID [N]", "/feed since ID [N]"],
            summary: "show posts, oldest first",
            details: [
                "/feed [N]: the latest N posts (default \(ListingLimits.defaultFeed), at most \(ListingLimits.maxFeed)).",
                "/feed before ID [N]: the N posts just before post ID, to page back.",
                "/feed since ID [N]: the first N posts after post ID, to catch up without a gap.",
            ],
            topic: .reading, parse: { args in parseListing(args.words[...], args.spec).map(Command.feed) }),
        CommandSpec(
            name: "who", usage: ["/who"], summary: "list who is online",
            details: [], topic: .social, parse: { args in args.none(.who) }),
        CommandSpec(
            name: "watch", usage: ["/watch [all|following|off|#TAG|-#TAG]"],
            summary: "choose what arrives live (alone: say what you watch)",
            details: [
                "all (or on): every post, the default. following: your posts and those of people you follow.",
                "off: nothing. #TAG: posts with that hashtag too, whatever else you chose; -#TAG: not any more.",
                "Mentions of you always arrive. A logged-in account's choice is remembered.",
            ],
            topic: .settings,
            parse: { args in
                guard args.words.count <= 1 else { return .failure(args.spec.usageError) }
                guard let word = args.word(0)?.lowercased() else { return .success(.watch(nil)) }
                switch word {
                case "on", "all": return .success(.watch(.all))
                case "following": return .success(.watch(.following))
                case "off": return .success(.watch(.off))
                default:
                    let removing = word.hasPrefix("-")
                    let typed = removing ? String(word.dropFirst()) : word
                    guard typed.hasPrefix("#"), let tag = PostEntities.normalizedTag(typed) else {
                        return .failure(args.spec.usageError)
                    }
                    return .success(.watch(removing ? .removeTag(tag) : .addTag(tag)))
                }
            }),
        CommandSpec(
            name: "mode", usage: ["/mode text|json"], summary: "switch replies to readable text or JSON lines",
            details: ["json: every line the server sends is one JSON object; see Protocol.md."],
            topic: .settings,
            parse: { args in
                guard args.words.count == 1, let mode = OutputMode(rawValue: args.words[0].lowercased()) else {
                    return .failure(args.spec.usageError)
                }
                return .success(.mode(mode))
            }),
        CommandSpec(
            name: "color", usage: ["/color on|off"], summary: "ANSI colour in text mode (off at first)",
            details: ["Names in colours of their own, your own @name highlighted. Never in JSON mode."],
            topic: .settings,
            parse: { args in args.onOff(Command.color) }),
        CommandSpec(
            name: "term", usage: ["/term char|line"], summary: "telnet: the server edits your line, or not",
            details: [
                "char: what you type stays whole when posts arrive; Backspace, Ctrl-U, Ctrl-W, arrows, Home/End, Up/Down.",
                "line: your client edits the line (the default for now).",
            ],
            topic: .settings,
            parse: { args in
                guard args.words.count == 1 else { return .failure(args.spec.usageError) }
                switch args.words[0].lowercased() {
                case "char": return .success(.term(true))
                case "line": return .success(.term(false))
                default: return .failure(args.spec.usageError)
                }
            }),
        CommandSpec(
            name: "help", usage: ["/help [TOPIC|COMMAND]"], summary: "the topics, one topic, or one command",
            details: [
                "/help: the topics and their commands, then the most used commands.",
                "/help TOPIC: one topic's commands, e.g. /help social. /help COMMAND: one command in full.",
            ],
            topic: .start,
            parse: { args in
                guard args.words.count <= 1 else { return .failure(args.spec.usageError) }
                return .success(.help(topic: args.word(0).map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 }))
            }),
        CommandSpec(
            name: "quit", usage: ["/quit"], summary: "say goodbye and disconnect",
            details: [], topic: .start, parse: { args in args.none(.quit) }),
    ]

    /// `/post`, and every line that is not a command: the parser answers a plain line with this entry.
    static let post = CommandSpec(
        name: "post", usage: ["/post TEXT", "TEXT", "//TEXT"],
        summary: "post TEXT (1 to 280 characters) to everyone",
        details: [
            "When logged in, any line that does not start with / is a post.",
            "Start a line with // to post text that begins with /.",
        ],
        access: .account(toDo: "post"),
        topic: .posting,
        parse: { args in
            guard let text = args.rest(after: 0) else {
                return .failure(WireError(.emptyPost, "nothing to post: /post TEXT"))
            }
            return .success(.post(text))
        })

    private static let byName: [String: CommandSpec] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The command called `name` (without the slash, any case).
    public static func spec(named name: String) -> CommandSpec? {
        byName[name.lowercased()]
    }

    /// Parses a listing's arguments: `[N]`, `before ID [N]` or `since ID [N]`.
    static func parseListing(_ words: ArraySlice<Substring>, _ spec: CommandSpec) -> Result<FeedQuery, WireError> {
        let words = Array(words)
        func count(_ index: Int) -> Int? {
            guard index < words.count else { return ListingLimits.defaultFeed }
            guard let n = Int(words[index]), (1...ListingLimits.maxFeed).contains(n) else { return nil }
            return n
        }
        let badCount = WireError(.badUsage, "N must be a number from 1 to \(ListingLimits.maxFeed)")
        switch words.first?.lowercased() {
        case nil:
            return .success(.latest(limit: ListingLimits.defaultFeed))
        case "before", "since":
            guard words.count == 2 || words.count == 3 else { return .failure(spec.usageError) }
            let id: Int64
            switch postIDResult(words[1]) {
            case .success(let found): id = found
            case .failure(let error): return .failure(error)
            }
            guard let limit = count(2) else { return .failure(badCount) }
            return .success(
                words[0].lowercased() == "before" ? .before(id: id, limit: limit) : .since(id: id, limit: limit))
        default:
            guard words.count == 1 else { return .failure(spec.usageError) }
            guard words[0].first?.isNumber == true || words[0].hasPrefix("-") || words[0].hasPrefix("+") else {
                return .failure(spec.usageError)
            }
            guard let limit = count(0) else { return .failure(badCount) }
            return .success(.latest(limit: limit))
        }
    }

    /// A post id written `42` or `#42`.
    static func postID(_ word: Substring) -> Int64? {
        let digits = word.hasPrefix("#") ? word.dropFirst() : word
        guard let id = Int64(digits), id >= 0 else { return nil }
        return id
    }

    static let badPostID = WireError(.badUsage, "ID must be a post number, like 42")

    /// `word` as a post's ID, or the error that says what is wrong with it: a number too large to be
    /// any post's is `no_such_post`, as an ID no post has; anything else is not an ID at all.
    static func postIDResult(_ word: Substring) -> Result<Int64, WireError> {
        if let id = postID(word) { return .success(id) }
        let digits = word.hasPrefix("#") ? word.dropFirst() : word
        if !digits.isEmpty, digits.allSatisfy(\.isASCIIDigitForID) {
            return .failure(WireError(.noSuchPost, "there is no post #\(digits.prefix(32))"))
        }
        return .failure(badPostID)
    }
}

/// A command line's arguments: the words after the command name, and the raw rest of the line.
struct Arguments {
    let spec: CommandSpec
    /// Everything after the command name, with leading blanks removed.
    let text: Substring
    let words: [Substring]

    init(spec: CommandSpec, text: Substring) {
        self.spec = spec
        self.text = text
        var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        // `@alice` names alice, as Tab completes it and as posts mention her.
        if let index = spec.nameArgument, index < words.count, words[index].hasPrefix("@"), words[index].count > 1 {
            words[index] = words[index].dropFirst()
        }
        self.words = words
    }

    func word(_ index: Int) -> String? {
        index < words.count ? String(words[index]) : nil
    }

    /// The text after the first `count` words, without blanks at either end; nil if nothing is left.
    func rest(after count: Int) -> String? {
        var remainder = text[...]
        for _ in 0..<count {
            remainder = remainder.drop(while: Self.isBlank)
            remainder = remainder.drop(while: { !Self.isBlank($0) })
        }
        let trimmed = remainder.drop(while: Self.isBlank)
        guard let last = trimmed.lastIndex(where: { !Self.isBlank($0) }) else { return nil }
        return String(trimmed[...last])
    }

    func none(_ command: Command) -> Result<Command, WireError> {
        words.isEmpty ? .success(command) : .failure(spec.usageError)
    }

    /// `on` or `off` (any case) as the one word, made into a command; with `alone`, no word at all too
    /// (`/bell` shows the setting). Anything else is the usage error.
    func onOff(alone: Command? = nil, _ make: (Bool) -> Command) -> Result<Command, WireError> {
        if words.isEmpty, let alone { return .success(alone) }
        guard words.count == 1 else { return .failure(spec.usageError) }
        switch words[0].lowercased() {
        case "on": return .success(make(true))
        case "off": return .success(make(false))
        default: return .failure(spec.usageError)
        }
    }

    static func isBlank(_ character: Character) -> Bool { character == " " || character == "\t" }
}

extension Character {
    /// 0 to 9 (not other scripts' digits, which `Int64` does not read).
    fileprivate var isASCIIDigitForID: Bool { ("0"..."9").contains(self) }
}
