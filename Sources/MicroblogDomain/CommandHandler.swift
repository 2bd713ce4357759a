import MicroblogModel
import MicroblogProtocol

/// A command's handler, the domain's half of its registry entry (`CommandSpec` is the pure half).
/// Not Sendable: made and run on `Microblog`'s queue in one turn, never kept.
enum CommandHandler {
    /// Runs for anyone, a guest or an account: given the service and the session.
    case anyone((Microblog, Session) -> Void)
    /// Runs for a logged-in account (its entry's access is `.account` or `.administrator`): given the
    /// service, the session and the account.
    case account((Microblog, Session, User) -> Void)

    /// True when it runs only for a logged-in account.
    var needsAccount: Bool {
        if case .account = self { return true }
        return false
    }

    /// The registry's dispatch table: every command's handler. One arm per `Command` case and no `default`,
    /// so a payload an entry can parse without a handler to run it does not compile. A test checks that
    /// each arm asks for an account exactly when its entry's access does.
    static func of(_ command: Command) -> CommandHandler {
        switch command {
        // The session and the public feed: anyone.
        case .register(let name, let password):
            return .anyone { $0.accounts.register(name: name, password: password, for: $1) }
        case .login(let name, let password):
            return .anyone { $0.accounts.login(name: name, password: password, for: $1) }
        case .feed(let query): return .anyone { $0.posting.list(.everyone, query, command: "feed", for: $1) }
        case .who: return .anyone { $0.who($1) }
        case .watch(let change): return .anyone { $0.watch(change, for: $1) }
        case .mode(let mode): return .anyone { $0.setMode(mode, for: $1) }
        case .color(let on): return .anyone { $0.setColor(on, for: $1) }
        case .term(let characters): return .anyone { $0.setTerminal(characters: characters, for: $1) }
        case .help(let topic): return .anyone { $0.help(topic, for: $1) }
        case .quit: return .anyone { $0.quit($1) }
        // Reading and people: anyone.
        case .following(let name): return .anyone { $0.people.listFollows(of: name, followers: false, for: $1) }
        case .followers(let name): return .anyone { $0.people.listFollows(of: name, followers: true, for: $1) }
        case .posts(let name, let query): return .anyone { $0.people.listPosts(by: name, query, for: $1) }
        case .tag(let tag, let query):
            return .anyone { $0.posting.list(.tagged(tag), query, command: "tag", pager: "/tag \(tag)", for: $1) }
        case .trending: return .anyone { $0.people.trending($1) }
        case .search(let words): return .anyone { $0.posting.search(words, for: $1) }
        case .profile(let name): return .anyone { $0.people.profile(name, for: $1) }
        case .thread(let id): return .anyone { $0.posting.thread(id, for: $1) }
        // Posting and the social layer: an account.
        case .post(let text): return .account { $0.posting.post(text, by: $2, for: $1) }
        case .logout: return .account { $0.accounts.logout($2, for: $1) }
        case .follow(let name): return .account { $0.people.change(.follow, true, name, by: $2, for: $1) }
        case .unfollow(let name): return .account { $0.people.change(.follow, false, name, by: $2, for: $1) }
        case .mute(let name): return .account { $0.people.change(.mute, true, name, by: $2, for: $1) }
        case .unmute(let name): return .account { $0.people.change(.mute, false, name, by: $2, for: $1) }
        case .timeline(let query):
            return .account { $0.posting.list(.home($2.id), query, command: "timeline", for: $1) }
        case .mentions(let query):
            return .account { $0.posting.list(.mentioning($2.id), query, command: "mentions", for: $1) }
        case .reply(let id, let text): return .account { $0.posting.reply(to: id, text, by: $2, for: $1) }
        case .like(let id): return .account { $0.posting.like(id, true, by: $2, for: $1) }
        case .unlike(let id): return .account { $0.posting.like(id, false, by: $2, for: $1) }
        case .repost(let id): return .account { $0.posting.repost(id, by: $2, for: $1) }
        case .delete(let id): return .account { $0.posting.delete(id, by: $2, for: $1) }
        case .report(let id, let reason): return .account { $0.community.report(id, reason: reason, by: $2, for: $1) }
        // People, messages and notifications: an account.
        case .bio(let text): return .account { $0.people.setBio(text, by: $2, for: $1) }
        case .away(let message): return .account { $0.people.setAway(message ?? AwayMessage.standard, by: $2, for: $1) }
        case .back: return .account { $0.people.setAway(nil, by: $2, for: $1) }
        case .message(let name, let text): return .account { $0.people.sendMessage(to: name, text, by: $2, for: $1) }
        case .inbox(let name, let count): return .account { $0.people.inbox(with: name, count, by: $2, for: $1) }
        case .catchUp: return .account { $0.notifications.catchUp($2, for: $1) }
        case .notify(let kind, let on): return .account { $0.notifications.notify(kind, on, by: $2, for: $1) }
        case .notifications(let query): return .account { $0.notifications.listNotifications(query, by: $2, for: $1) }
        case .bell(let on): return .account { $0.notifications.bell(on, by: $2, for: $1) }
        // The account itself: an account.
        case .key(let action): return .account { $0.accountSettings.key(action, by: $2, for: $1) }
        case .passwd(let others): return .account { $0.accounts.changePassword(logoutOthers: others, by: $2, for: $1) }
        case .timeZone(let name): return .account { $0.accountSettings.setTimeZone(name, by: $2, for: $1) }
        case .web(let on): return .account { $0.accountSettings.setWeb(on, by: $2, for: $1) }
        case .export: return .account { $0.exports.export($2, for: $1) }
        case .deleteAccount: return .account { $0.accounts.deleteAccount($2, for: $1) }
        case .invite: return .account { $0.community.invite(by: $2, for: $1) }
        case .invites(let action): return .account { $0.community.invites(action, by: $2, for: $1) }
        // Administrators.
        case .ban(let name, let reason): return .account { $0.community.ban(name, reason: reason, by: $2, for: $1) }
        case .unban(let name): return .account { $0.community.ban(name, reason: nil, by: $2, for: $1) }
        case .kick(let name): return .account { $0.community.kick(name, by: $2, for: $1) }
        case .announce(let text): return .account { $0.community.announce(text, by: $2, for: $1) }
        case .reports(let action): return .account { $0.community.reports(action, by: $2, for: $1) }
        case .stats: return .account { service, session, _ in service.stats(for: session) }
        }
    }
}
