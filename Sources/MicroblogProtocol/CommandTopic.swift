import MicroblogModel
import MicroblogSupport

/// The topics `/help` groups commands by: `/help` lists them, `/help TOPIC` shows one.
///
/// A command without a topic (`CommandSpec.topic` nil) is listed under `other`, so a new command is
/// never left out of `/help`; a test checks that every command of the table has one.
public enum CommandTopic: String, Sendable, CaseIterable {
    case start, posting, reading, social, messages, settings, admin, other

    /// What the topic covers, for its line in `/help`.
    public var summary: String {
        switch self {
        case .start: return "joining, logging in and out, help"
        case .posting: return "posting, replying, liking, reposting, deleting"
        case .reading: return "feeds, timelines, threads, tags, search, catch-up"
        case .social: return "following, muting, who is who and who is here"
        case .messages: return "direct messages"
        case .settings: return "your bio, presence, live feed, terminal and keys"
        case .admin: return "administrators only"
        case .other: return "commands not filed under a topic yet"
        }
    }
}

extension CommandTable {
    /// The commands `/help` shows first, the ones a newcomer needs most, in this order.
    public static let mostUsed = ["register", "login", "post", "feed", "follow", "timeline", "msg", "quit"]

    /// The commands of `topic` (commands with no topic are `other`), in table order.
    public static func commands(of topic: CommandTopic) -> [CommandSpec] {
        all.filter { ($0.topic ?? .other) == topic }
    }
}

extension CommandAccess {
    /// True when a session with this account (nil: a guest), an administrator or not, may run the command.
    public func allows(loggedIn: Bool, administrator: Bool) -> Bool {
        switch self {
        case .anyone: return true
        case .account: return loggedIn
        case .administrator: return loggedIn && administrator
        }
    }
}
