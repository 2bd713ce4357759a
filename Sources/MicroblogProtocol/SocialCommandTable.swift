import MicroblogModel
import MicroblogSupport

/// The social layer's commands: following, timelines, people.
extension CommandTable {
    static let social: [CommandSpec] = [
        CommandSpec(
            name: "follow", usage: ["/follow NAME"], summary: "follow NAME: their posts join your /timeline",
            details: [], access: .account(toDo: "follow"), topic: .social, nameArgument: 0,
            parse: { args in args.oneName(Command.follow) }),
        CommandSpec(
            name: "unfollow", usage: ["/unfollow NAME"], summary: "stop following NAME",
            details: [], access: .account(toDo: "unfollow"), topic: .social, nameArgument: 0,
            parse: { args in args.oneName(Command.unfollow) }),
        CommandSpec(
            name: "mute", usage: ["/mute NAME"], summary: "hide NAME's posts from you, live and in listings",
            details: [], access: .account(toDo: "mute"), topic: .social, nameArgument: 0,
            parse: { args in args.oneName(Command.mute) }),
        CommandSpec(
            name: "unmute", usage: ["/unmute NAME"], summary: "see NAME's posts again",
            details: [], access: .account(toDo: "unmute"), topic: .social, nameArgument: 0,
            parse: { args in args.oneName(Command.unmute) }),
        CommandSpec(
            name: "following", usage: ["/following [NAME]"], summary: "who you (or NAME) follow",
            details: [], topic: .social, nameArgument: 0, parse: { args in args.optionalName(Command.following) }),
        CommandSpec(
            name: "followers", usage: ["/followers [NAME]"], summary: "who follows you (or NAME)",
            details: [], topic: .social, nameArgument: 0, parse: { args in args.optionalName(Command.followers) }),
        CommandSpec(
            name: "timeline", usage: ["/timeline [N]", "/timeline before ID [N]", "/timeline since ID [N]"],
            summary: "your home timeline: your posts and those of people you follow",
            details: ["Pages like /feed: before ID goes back, since ID catches up."],
            access: .account(toDo: "see your timeline"),
            topic: .reading, parse: { args in parseListing(args.words[...], args.spec).map(Command.timeline) }),
        CommandSpec(
            name: "posts", usage: ["/posts NAME [N]", "/posts NAME before ID [N]", "/posts NAME since ID [N]"],
            summary: "one person's posts", details: ["Pages like /feed."],
            topic: .reading, nameArgument: 0,
            parse: { args in
                guard let name = args.word(0) else { return .failure(args.spec.usageError) }
                return parseListing(args.words.dropFirst(), args.spec).map { Command.posts(name: name, $0) }
            }),
    ]
}

extension Arguments {
    /// Exactly one word, a name.
    func oneName(_ make: (String) -> Command) -> Result<Command, WireError> {
        guard words.count == 1 else { return .failure(spec.usageError) }
        return .success(make(String(words[0])))
    }

    /// No word, or one name.
    func optionalName(_ make: (String?) -> Command) -> Result<Command, WireError> {
        guard words.count <= 1 else { return .failure(spec.usageError) }
        return .success(make(word(0)))
    }
}

/// Mentions, hashtags and search.
extension CommandTable {
    static let conversation: [CommandSpec] = [
        CommandSpec(
            name: "mentions", usage: ["/mentions [N]", "/mentions before ID [N]", "/mentions since ID [N]"],
            summary: "posts that mention you", details: ["Pages like /feed."],
            access: .account(toDo: "see your mentions"),
            topic: .reading, parse: { args in parseListing(args.words[...], args.spec).map(Command.mentions) }),
        CommandSpec(
            name: "tag", usage: ["/tag TAG [N]", "/tag TAG before ID [N]", "/tag TAG since ID [N]"],
            summary: "posts with hashtag TAG (with or without #)", details: ["Pages like /feed."],
            topic: .reading,
            parse: { args in
                guard let typed = args.word(0) else { return .failure(args.spec.usageError) }
                guard let tag = PostEntities.normalizedTag(typed) else {
                    return .failure(WireError(.badUsage, "a tag is 1 to 50 letters, digits or _, with a letter"))
                }
                return parseListing(args.words.dropFirst(), args.spec).map { Command.tag(tag, $0) }
            }),
        CommandSpec(
            name: "search", usage: ["/search WORDS"], summary: "posts with all of WORDS, best matches first",
            details: [
                "Words are only words: quotes, *, NEAR, AND, OR or parentheses have no special meaning.",
                "At most \(SearchQuery.maxTerms) words of at most \(SearchQuery.maxTermLength) characters.",
            ],
            topic: .reading,
            parse: { args in
                guard !args.words.isEmpty else { return .failure(args.spec.usageError) }
                return SearchQuery.parse(args.words.map(String.init)).map { Command.search($0.terms) }
            }),
        CommandSpec(
            name: "trending", usage: ["/trending"], summary: "the most used hashtags of the last 24 hours",
            details: [], topic: .reading, parse: { args in args.none(.trending) }),
    ]
}

/// Replies, threads, likes, reposts and deletion.
extension CommandTable {
    static let postActions: [CommandSpec] = [
        CommandSpec(
            name: "reply", usage: ["/reply ID TEXT"], summary: "answer post ID", details: [],
            access: .account(toDo: "reply"),
            topic: .posting,
            parse: { args in
                guard let word = args.words.first else { return .failure(args.spec.usageError) }
                let id: Int64
                switch postIDResult(word) {
                case .success(let found): id = found
                case .failure(let error): return .failure(error)
                }
                guard let text = args.rest(after: 1) else {
                    return .failure(WireError(.emptyPost, "nothing to post: /reply ID TEXT"))
                }
                return .success(.reply(to: id, text))
            }),
        CommandSpec(
            name: "thread", usage: ["/thread ID"], summary: "the whole conversation post ID belongs to",
            details: ["Replies are indented under what they answer."],
            topic: .reading, parse: { args in args.onePostID(Command.thread) }),
        CommandSpec(
            name: "like", usage: ["/like ID"], summary: "like post ID", details: [], access: .account(toDo: "like"),
            topic: .posting, parse: { args in args.onePostID(Command.like) }),
        CommandSpec(
            name: "unlike", usage: ["/unlike ID"], summary: "take your like back", details: [],
            access: .account(toDo: "unlike"),
            topic: .posting, parse: { args in args.onePostID(Command.unlike) }),
        CommandSpec(
            name: "repost", usage: ["/repost ID"], summary: "share post ID with your followers", details: [],
            access: .account(toDo: "repost"),
            topic: .posting, parse: { args in args.onePostID(Command.repost) }),
        CommandSpec(
            name: "delete", usage: ["/delete ID"], summary: "delete your post ID (and its reposts)", details: [],
            access: .account(toDo: "delete"),
            topic: .posting, parse: { args in args.onePostID(Command.delete) }),
    ]
}

extension Arguments {
    /// Exactly one word, a post id.
    func onePostID(_ make: (Int64) -> Command) -> Result<Command, WireError> {
        guard words.count == 1 else { return .failure(spec.usageError) }
        return CommandTable.postIDResult(words[0]).map(make)
    }
}

/// Moderation, for administrators (`microblogd --admin NAME`).
extension CommandTable {
    static let moderation: [CommandSpec] = [
        CommandSpec(
            name: "ban", usage: ["/ban NAME REASON"], summary: "administrators: ban NAME (disconnects them)",
            details: ["A banned account cannot log in; it is told the reason. /delete ID removes any post."],
            access: .administrator(toDo: "ban", forbidden: "only administrators can ban"),
            topic: .admin, nameArgument: 0,
            parse: { args in
                guard let name = args.word(0), let reason = args.rest(after: 1) else {
                    return .failure(args.spec.usageError)
                }
                return .success(.ban(name, reason: reason))
            }),
        CommandSpec(
            name: "unban", usage: ["/unban NAME"], summary: "administrators: lift a ban", details: [],
            access: .administrator(toDo: "unban", forbidden: "only administrators can unban"),
            topic: .admin, nameArgument: 0, parse: { args in args.oneName(Command.unban) }),
        CommandSpec(
            name: "stats", usage: ["/stats"], summary: "administrators: how the server is doing",
            details: [
                "Uptime, connections, posts and live deliveries of the last minute, commit times, memory, files.",
                "One `name value` line each; in JSON mode one stats object.",
            ],
            access: .administrator(toDo: "stats", forbidden: "only administrators can see /stats"),
            topic: .admin, parse: { args in args.none(.stats) }),
    ]
}

/// People: profiles, presence and direct messages.
extension CommandTable {
    static let maxInbox = 50

    static let people: [CommandSpec] = [
        CommandSpec(
            name: "catchup", usage: ["/catchup"], summary: "what happened while you were away",
            details: ["New followers, then new posts of people you follow and mentions of you, since your last visit."],
            access: .account(toDo: "catch up"),
            topic: .reading, parse: { args in args.none(.catchUp) }),
        CommandSpec(
            name: "profile", usage: ["/profile [NAME]"], summary: "who NAME (or you) is: bio, counts, presence",
            details: [], topic: .social, nameArgument: 0, parse: { args in args.optionalName(Command.profile) }),
        CommandSpec(
            name: "bio", usage: ["/bio [TEXT]"], summary: "set your bio (at most 160 characters; none clears it)",
            details: [], access: .account(toDo: "set a bio"), topic: .settings,
            parse: { args in .success(.bio(args.rest(after: 0))) }),
        CommandSpec(
            name: "away", usage: ["/away [MESSAGE]"], summary: "say you are away (shown in /who and /profile)",
            details: ["/back when you are back."], access: .account(toDo: "say you are away"),
            topic: .settings, parse: { args in .success(.away(args.rest(after: 0))) }),
        CommandSpec(
            name: "back", usage: ["/back"], summary: "you are back", details: [],
            access: .account(toDo: "say you are away"),
            topic: .settings, parse: { args in args.none(.back) }),
        CommandSpec(
            name: "msg", usage: ["/msg NAME TEXT"], summary: "a direct message, seen only by NAME and you",
            details: ["Delivered live if NAME is online, kept in their /inbox otherwise."],
            access: .account(toDo: "send messages"),
            topic: .messages, nameArgument: 0,
            parse: { args in
                guard let name = args.word(0) else { return .failure(args.spec.usageError) }
                guard let text = args.rest(after: 1) else {
                    // Not a post: nothing was typed after the name, which is a usage error.
                    let shown = TextSafety.printable(name.prefix(32))
                    return .failure(WireError(.badUsage, "nothing to send to \(shown): /msg \(shown) TEXT"))
                }
                return .success(.message(to: name, text))
            }),
        CommandSpec(
            name: "inbox", usage: ["/inbox [N]", "/inbox NAME [N]"],
            summary: "your conversations, or the last N messages with NAME",
            details: ["N: 1 to \(maxInbox), default 20. Reading a conversation marks it read."],
            access: .account(toDo: "read messages"),
            topic: .messages, nameArgument: 0,
            parse: { args in
                var words = args.words[...]
                var name: String?
                if let first = words.first, Int(first) == nil {
                    name = String(first)
                    words = words.dropFirst()
                }
                guard words.count <= 1 else { return .failure(args.spec.usageError) }
                guard let word = words.first else { return .success(.inbox(name, ListingLimits.defaultFeed)) }
                guard let count = Int(word), (1...maxInbox).contains(count) else {
                    return .failure(WireError(.badUsage, "N must be a number from 1 to \(maxInbox)"))
                }
                return .success(.inbox(name, count))
            }),
    ]
}
