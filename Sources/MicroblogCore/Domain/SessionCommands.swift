/// The greeting and the commands about the session itself: `/who`, `/watch`, `/mode`, `/help`, `/quit`.
extension Microblog {
    /// Banner, the latest posts, then live posts. Lines the client sends meanwhile wait, and the session
    /// joins the live feed only once the latest posts are out, so no post is shown twice or missed.
    func greet(_ session: Session) {
        session.send(.notice("welcome to \(settings.serverName) \(settings.version), a microblog for telnet and nc"))
        session.send(.notice("/help lists commands; /register NAME to join, /login NAME to log in; times are UTC"))
        beginWaiting(session, command: nil)  // the greeting
        storage.perform({ [limit = settings.greetingPosts] store in try store.feed(.latest(limit: limit)) }) {
            [self] result in
            guard !session.closed else { return }
            switch result {
            case .success(let posts):
                if posts.isEmpty {
                    session.send(.notice("no posts yet"))
                } else {
                    session.send(.notice("latest posts:"))
                    let now = Timestamp.now()
                    for post in posts { session.send(.post(post, live: false), now: now) }
                    session.lastSeenID = max(session.lastSeenID, posts.last?.id ?? 0)
                    latestPostID = max(latestPostID, session.lastSeenID)
                }
            case .failure(let error):
                log.error("storage", ["conn": session.id, "command": "greeting", "error": error.description])
            }
            session.send(.notice("new posts appear below as they are made (/watch off to stop)"))
            session.greeted = true
            if session.watching { hub.add(session) }
            finishWaiting(session)
        }
    }

    func who(_ session: Session) {
        var byName: [String: (name: String, sessions: Int)] = [:]
        var guests = 0
        for other in sessions.values {
            if let user = other.user {
                byName[AccountRules.nameKey(user.name), default: (user.name, 0)].sessions += 1
            } else {
                guests += 1
            }
        }
        let users = byName.values.sorted { $0.name.lowercased() < $1.name.lowercased() }
        for user in users { session.send(.user(name: user.name, sessions: user.sessions)) }
        let people = users.count == 1 ? "1 user" : "\(users.count) users"
        let others = guests == 1 ? "1 guest" : "\(guests) guests"
        session.send(
            .ok(
                Ack(
                    command: "who", message: "\(people) online, \(others)",
                    fields: [.int("users", Int64(users.count)), .int("guests", Int64(guests))])))
    }

    func watch(_ on: Bool, for session: Session) {
        let wasWatching = session.watching
        session.watching = on
        if on && session.greeted { hub.add(session) } else { hub.remove(session) }
        var message = on ? "live feed on" : "live feed off; /watch on to resume"
        var fields: [Ack.Field] = [.bool("watching", on)]
        if on && !wasWatching && latestPostID > session.lastSeenID {
            message += "; posts made while it was off: /feed since \(session.lastSeenID)"
            fields.append(.int("since", session.lastSeenID))
        }
        session.send(.ok(Ack(command: "watch", message: message, fields: fields)))
    }

    func setMode(_ mode: OutputMode, for session: Session) {
        session.mode = mode
        session.send(
            .ok(Ack(command: "mode", message: "\(mode.rawValue) mode", fields: [.string("mode", mode.rawValue)])))
    }

    func help(_ topic: String?, for session: Session) {
        if let topic {
            guard let spec = CommandTable.spec(named: topic) else {
                return session.send(
                    .error(
                        WireError(
                            .unknownCommand, "no command /\(TextSafety.printable(topic.prefix(32))); /help lists them"),
                        command: "help"))
            }
            session.send(.help(name: spec.name, usage: spec.usage, summary: spec.summary, details: spec.details))
            return session.send(.ok(Ack(command: "help", message: "/help lists every command")))
        }
        for spec in CommandTable.all {
            session.send(.help(name: spec.name, usage: [spec.usage[0]], summary: spec.summary, details: []))
        }
        session.send(.ok(Ack(command: "help", message: "/help COMMAND explains one; any other line is a post")))
    }

    func quit(_ session: Session) {
        session.send(.ok(Ack(command: "quit", message: "goodbye")))
        // Lines sent after /quit are not run.
        session.quitting = true
        session.output.closeAfterFlush(reason: .quit)
    }
}
