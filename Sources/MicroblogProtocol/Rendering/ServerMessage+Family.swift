import MicroblogModel
import MicroblogSupport

extension ServerMessage {
    /// The message as one of its families, each rendered by an encoder of its own in either mode
    /// (`TextRenderer+Posts.swift`, `JSONRenderer+Posts.swift`, ...). No switch here or there has a
    /// `default:` arm, so a new case is a compile error until it has a family and both renderings.
    var family: Family {
        switch self {
        case .ok(let ack): return .reply(.ok(ack))
        case .error(let error, let command): return .reply(.error(error, command: command))
        case .notice(let text): return .reply(.notice(text))
        case .prompt(let field, let text): return .reply(.prompt(field: field, text: text))
        case .bye(let reason, let message): return .reply(.bye(reason: reason, message: message))
        case .help(let name, let usage, let summary, let details):
            return .reply(.help(name: name, usage: usage, summary: summary, details: details))
        case .helpTopic(let topic, let summary, let commands):
            return .reply(.helpTopic(topic: topic, summary: summary, commands: commands))
        case .post(let post, let live): return .posts(.post(post, live: live))
        case .threadPost(let post, let depth, let deleted):
            return .posts(.threadPost(post, depth: depth, deleted: deleted))
        case .deleted(let ids): return .posts(.deleted(ids: ids))
        case .missed(let count, let since): return .posts(.missed(count: count, since: since))
        case .tag(let name, let posts): return .posts(.tag(name: name, posts: posts))
        case .message(let message, let live): return .people(.message(message, live: live))
        case .conversation(let entry): return .people(.conversation(entry))
        case .profile(let profile, let online, let away): return .people(.profile(profile, online: online, away: away))
        case .user(let name, let sessions, let away, let listing):
            return .people(.user(name: name, sessions: sessions, away: away, listing: listing))
        case .catchUp(let summary): return .people(.catchUp(summary))
        case .notification(let notification, let live): return .notifications(.notification(notification, live: live))
        case .notifySettings(let settings): return .notifications(.notifySettings(settings))
        case .sshKey(let key, let fingerprint): return .accountData(.sshKey(key, fingerprint: fingerprint))
        case .exportRecord(let record): return .accountData(.exportRecord(record))
        case .exportEnd(let name, let counts): return .accountData(.exportEnd(name: name, counts: counts))
        case .announcement(let from, let text): return .community(.announcement(from: from, text: text))
        case .report(let report): return .community(.report(report))
        case .inviteCode(let code): return .community(.inviteCode(code))
        case .stats(let fields): return .community(.stats(fields))
        }
    }

    /// The families of messages; each case below is the `ServerMessage` case of the same name.
    enum Family {
        case reply(Reply)
        case posts(Posts)
        case people(People)
        case notifications(Notifications)
        case accountData(AccountData)
        case community(Community)
    }

    /// What answers a command or speaks for the server: success, failure, notices, prompts, goodbyes, help.
    enum Reply {
        case ok(Ack)
        case error(WireError, command: String?)
        case notice(String)
        case prompt(field: String, text: String)
        case bye(reason: String, message: String)
        case help(name: String, usage: [String], summary: String, details: [String])
        case helpTopic(topic: String, summary: String, commands: [String])
    }

    /// Posts, live and listed, and what is said about them: deletions, missed posts, trending tags.
    enum Posts {
        case post(Post, live: Bool)
        case threadPost(Post, depth: Int, deleted: Bool)
        case deleted(ids: [Int64])
        case missed(count: Int, since: Int64)
        case tag(name: String, posts: Int)
    }

    /// Other people: direct messages, the inbox, profiles, people listings and the catch-up on login.
    enum People {
        case message(DirectMessage, live: Bool)
        case conversation(InboxEntry)
        case profile(Profile, online: Int, away: String?)
        case user(name: String, sessions: Int, away: String?, listing: UserListing)
        case catchUp(CatchUp)
    }

    /// Notifications, and which of them are on (`/notify`).
    enum Notifications {
        case notification(AccountNotification, live: Bool)
        case notifySettings(NotificationSettings)
    }

    /// What belongs to one account: its SSH keys and its `/export`.
    enum AccountData {
        case sshKey(StoredSSHKey, fingerprint: String)
        case exportRecord(ExportRecord)
        case exportEnd(name: String, counts: [String: Int])
    }

    /// The community and its administration: announcements, reports, invite codes, the server's figures.
    enum Community {
        case announcement(from: String, text: String)
        case report(PostReport)
        case inviteCode(String)
        case stats([StatsField])
    }
}
