import MicroblogModel
import MicroblogSupport

/// How a session wants server output rendered.
public enum OutputMode: String, Sendable, Equatable {
    /// Readable lines for people (the default).
    case text
    /// One JSON object per line, for bots.
    case json
}

/// A change to what a session watches live.
public enum WatchChange: Equatable, Sendable {
    case all, following, off
    case addTag(String)
    case removeTag(String)
}

/// What `/key` does. The key's words are passed on as typed; `SSHPublicKey.validate` checks them.
public enum KeyAction: Equatable, Sendable {
    /// `/key add TYPE BASE64 [COMMENT]`, a line of `~/.ssh/id_ed25519.pub`.
    case add(type: String, base64: String, comment: String?)
    case list
    /// `/key remove N`, N as `/key list` numbers the keys.
    case remove(Int)
}

/// What `/reports` does (administrators).
public enum ReportsAction: Equatable, Sendable {
    /// The open reports, oldest first.
    case list
    /// `/reports close N [NOTE]`: closes report N.
    case close(Int64, note: String?)
}

/// What `/invites` does: your own codes, or (administrators) who may invite.
public enum InvitesAction: Equatable, Sendable {
    /// Your unused codes and how many more you may make.
    case list
    /// `/invites allow NAME N`: NAME may hold N more codes (0 takes the right away).
    case allow(String, Int)
}

/// A parsed command's payload: what its registry entry (`CommandSpec`) made of the arguments. Each case is
/// produced by one entry's `parse` and run by one handler of the domain's table, which switches over every
/// case with no `default`. Its name, access and usage are its entry's, which `CommandParser.read` returns
/// with it (`ParsedLine`).
public enum Command: Equatable, Sendable {
    /// A post's raw text, not yet trimmed or checked (see `PostRules`).
    case post(String)
    /// `password` is nil when the client wants to be prompted for it.
    case register(name: String, password: String?)
    case login(name: String, password: String?)
    case logout
    case feed(FeedQuery)
    case who
    /// nil: report the current choice.
    case watch(WatchChange?)
    case mode(OutputMode)
    case help(topic: String?)
    case quit
    case follow(String)
    case unfollow(String)
    case mute(String)
    case unmute(String)
    case following(String?)
    case followers(String?)
    case timeline(FeedQuery)
    case posts(name: String, FeedQuery)
    case mentions(FeedQuery)
    case tag(String, FeedQuery)
    case trending
    case search([String])
    case profile(String?)
    case bio(String?)
    case away(String?)
    case back
    case message(to: String, String)
    case inbox(String?, Int)
    case catchUp
    case color(Bool)
    /// Character mode (`true`) or line mode.
    case term(Bool)
    case ban(String, reason: String)
    case unban(String)
    case stats
    case reply(to: Int64, String)
    case thread(Int64)
    case like(Int64)
    case unlike(Int64)
    case repost(Int64)
    case delete(Int64)
    /// `/key add|list|remove`: the account's SSH public keys.
    case key(KeyAction)
    /// `/passwd [--logout-others]`: old, new and repeated password are asked for at prompts.
    case passwd(logoutOthers: Bool)
    /// `/export`: the account's posts, likes, follows and messages as JSON Lines.
    case export
    /// `/delete-account`: asks for the password, then deletes the account for good.
    case deleteAccount
    /// `/tz [ZONE]`: nil says the current zone.
    case timeZone(String?)
    /// `/kick NAME`: ends NAME's sessions without a ban.
    case kick(String)
    /// `/announce TEXT`: a server notice to everyone online.
    case announce(String)
    /// `/report ID REASON`: flags a post for the administrators.
    case report(Int64, reason: String)
    case reports(ReportsAction)
    /// `/invite`: makes a one-time registration code.
    case invite
    case invites(InvitesAction)
    /// `/notify KIND on|off`, or `/notify` (no kind) to show the settings.
    case notify(NotificationKind?, on: Bool)
    /// `/notifications`: the account's notifications, paged.
    case notifications(FeedQuery)
    /// `/bell on|off`, or `/bell` to show it.
    case bell(Bool?)
    /// `/web on|off`: whether the web door shows the account's profile and posts; `/web` says which.
    case web(Bool?)
}
