import MicroblogModel
import MicroblogSupport

/// Everything the server says to a client, before rendering. Values; rendered to bytes by
/// `TextRenderer` or `JSONRenderer` according to the session's `OutputMode`.
public enum ServerMessage: Sendable, Equatable {
    /// A command succeeded. Ends the command's reply.
    case ok(Ack)
    /// A command (or a line that was no command) failed. Ends the command's reply.
    case error(WireError, command: String?)
    /// A post, from a listing (`live == false`) or the live feed.
    case post(Post, live: Bool)
    /// A post of a `/thread`, `depth` replies below the root; `deleted` for a deleted post's place.
    case threadPost(Post, depth: Int, deleted: Bool)
    /// Live: posts were deleted (a post and its reposts).
    case deleted(ids: [Int64])
    /// A direct message, live or in `/inbox NAME`.
    case message(DirectMessage, live: Bool)
    /// One conversation of `/inbox`.
    case conversation(InboxEntry)
    /// A notification: live (`live`) or listed by `/notifications`.
    case notification(AccountNotification, live: Bool)
    /// `/notify`: which notifications are on, and the bell.
    case notifySettings(NotificationSettings)
    /// On login: what happened while the account was away.
    case catchUp(CatchUp)
    /// `/profile`: an account and how it is doing.
    case profile(Profile, online: Int, away: String?)
    /// One line of information for people (banner, hints).
    case notice(String)
    /// One account, an item of `/who` and of people listings, with its open sessions and away message.
    case user(name: String, sessions: Int, away: String? = nil, listing: UserListing = .who)
    /// One hashtag and how many posts used it, an item of `/trending`.
    case tag(name: String, posts: Int)
    /// One command's help, an item of `/help`.
    case help(name: String, usage: [String], summary: String, details: [String])
    /// One topic of `/help`: its name, what it covers, and its commands (those the session may run).
    case helpTopic(topic: String, summary: String, commands: [String])
    /// The server waits for a hidden value (`field` is `password` or `repeat_password`).
    case prompt(field: String, text: String)
    /// The server is closing the connection (`reason`: `shutdown`, `idle`).
    case bye(reason: String, message: String)
    /// Live posts were not delivered to this session; `/feed since ID` fetches them.
    case missed(count: Int, since: Int64)
    /// `/stats`: the server's figures, in order.
    case stats([StatsField])
    /// One SSH key of `/key list`, with its fingerprint (`SHA256:...`, as `ssh-keygen -l` prints it).
    case sshKey(StoredSSHKey, fingerprint: String)
    /// An administrator's notice to everyone online (`/announce`), live.
    case announcement(from: String, text: String)
    /// One open report of `/reports`.
    case report(PostReport)
    /// One record of `/export`; JSON in both modes.
    case exportRecord(ExportRecord)
    /// The last line of `/export`: who, and how many records of each kind. JSON in both modes.
    case exportEnd(name: String, counts: [String: Int])
    /// One unused invite code of `/invite` or `/invites`.
    case inviteCode(String)
}

extension ServerMessage {
    /// True when the text rendering shows a time, so it differs by the reader's time zone.
    public var showsTime: Bool {
        switch self {
        case .post, .threadPost, .message, .conversation, .profile, .catchUp, .sshKey, .report: return true
        default: return false
        }
    }
}

/// Which list a `ServerMessage.user` belongs to, for how text shows it.
public enum UserListing: Sendable, Equatable {
    /// `/who`: everyone listed is online.
    case who
    /// `/following`, `/followers`: each marked online or offline.
    case people
    /// `/catchup`: an account that followed you while you were away.
    case newFollower
}

/// A command's success: its name, a sentence for people, and the fields a bot needs.
public struct Ack: Sendable, Equatable {
    public var command: String
    public var message: String
    public var fields: [Field]

    public init(command: String, message: String, fields: [Field] = []) {
        self.command = command
        self.message = message
        self.fields = fields
    }

    /// A named value in a JSON `ok` object.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: Value

        public static func int(_ name: String, _ value: Int64) -> Field { Field(name: name, value: .int(value)) }
        public static func string(_ name: String, _ value: String) -> Field { Field(name: name, value: .string(value)) }
        public static func bool(_ name: String, _ value: Bool) -> Field { Field(name: name, value: .bool(value)) }
    }

    public enum Value: Sendable, Equatable {
        case int(Int64)
        case string(String)
        case bool(Bool)
    }
}

extension ServerMessage {
    /// How the text rendering's lines are wrapped to the reader's width: where continuation lines start.
    /// Nil for what is never wrapped: `/export`'s lines (each must stay one JSON object) and a prompt
    /// (the cursor waits after it). No `default:` arm, so a new case decides.
    public var hangingIndent: HangingIndent? {
        switch self {
        // Lines that carry someone's text: under the text, after `author: `.
        case .post, .threadPost, .message, .conversation, .profile, .announcement, .report, .notifySettings:
            return .underText
        // Lists: under the description column.
        case .help, .helpTopic, .stats, .user, .tag, .sshKey, .inviteCode:
            return .underColumn
        // The server's own sentences: under the text after `* `, `! ` or `~ `.
        case .ok, .error, .notice, .bye, .missed, .deleted, .catchUp, .notification:
            return .twoColumns
        case .prompt, .exportRecord, .exportEnd:
            return nil
        }
    }
}

/// Renders messages in either mode. Output is always valid UTF-8 (so it never holds a telnet IAC byte),
/// and every text line ends with CR LF.
public enum Renderer {
    /// `zone`: the reader's time zone for text mode (JSON always says UTC). `width`: the reader's
    /// terminal width, which text lines are wrapped to (see `ServerMessage.hangingIndent`); JSON is
    /// never wrapped.
    public static func render(
        _ message: ServerMessage, mode: OutputMode, now: Timestamp, colors: TextColors? = nil, zone: ReaderZone? = nil,
        width: Int? = nil
    ) -> [UInt8] {
        switch mode {
        case .text:
            let text = TextRenderer.render(message, now: now, colors: colors, zone: zone)
            return fitted(text, of: message, width: width)
        case .json: return JSONRenderer.render(message)
        }
    }

    /// `text`, the text rendering of `message`, wrapped to `width` columns as the message's kind asks
    /// (unless it is never wrapped, or `width` is nil).
    public static func fitted(_ text: [UInt8], of message: ServerMessage, width: Int?) -> [UInt8] {
        guard let width, let indent = message.hangingIndent else { return text }
        return TextWrapper.wrap(text, width: width, indent: indent)
    }
}
