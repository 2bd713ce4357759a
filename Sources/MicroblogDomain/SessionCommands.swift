import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// The greeting and the commands about the session itself: `/who`, `/watch`, `/mode`, `/color`, `/help`, `/quit`.
extension Microblog {
    /// Banner, the latest posts, then live posts. Lines the client sends meanwhile wait, and the session
    /// joins the live feed only once the latest posts are out, so no post is shown twice or missed.
    func greet(_ session: Session) {
        session.send(.notice("welcome to \(settings.serverName) \(settings.version), a microblog for telnet and nc"))
        if let user = session.user {
            // Logged in by its door (an SSH key or password) before the greeting.
            if let zone = session.zone {
                // Its own line: a zone's name is up to 30 characters, and every greeting line fits 80 columns.
                session.send(.notice("logged in as \(user.name); /help lists commands"))
                session.send(.notice("times are shown in \(zone.identifier) (/tz changes it)"))
            } else {
                session.send(.notice("logged in as \(user.name); /help lists commands; times are UTC"))
            }
        } else if let doors = accounts.passwordDoorsElsewhere(for: session) {
            // `--plaintext-passwords deny` on the plain port: say where passwords go before one is refused.
            session.send(.notice("reading and watching here; to log in or register, connect with"))
            session.send(.notice("\(doors); /help for more; times are UTC"))
        } else {
            // Each greeting line fits 80 columns: the window's width is not known yet.
            switch settings.registration {
            case .open:
                session.send(.notice("/register NAME to join, /login NAME to log in, /help for more; times are UTC"))
            case .invite:
                session.send(.notice("/register NAME CODE to join with an invitation, /login NAME to log in"))
                session.send(.notice("/help for more; times are UTC"))
            case .closed:
                session.send(.notice("/login NAME to log in, /help for more; times are UTC"))
                session.send(.notice("accounts are made by the operator: new registrations are closed"))
            }
        }
        for line in motd { session.send(.notice(line)) }
        let greeting = waiting(session, command: nil)
        // An account logged in before its greeting gets its absence summarized here, as after `/login`.
        let absence = session.user.flatMap { user in session.catchUpSince.map { (user, $0) } }
        // The hub remembers the newest posts it has walked: most greetings need no database read, so a
        // storm of connections (after a restart, say) costs no read each, nor the memory of thousands of
        // reads waiting at once.
        if absence == nil, let recent = hub.recentPosts {
            return finishGreeting(session, greeting, .success((Array(recent.suffix(settings.greetingPosts)), nil)))
        }
        let generation = hub.recentGeneration
        storage.perform({ [limit = settings.greetingPosts] store -> ([Post], CatchUp?) in
            let posts = try store.feed(.latest(limit: limit))
            let summary = try absence.map { user, since in
                try store.catchUp(of: user.id, since: since, limit: Notifications.catchUpPosts)
            }
            return (posts, summary)
        }) { [self] result in
            if case .success(let (posts, _)) = result { hub.seedRecent(posts, generation: generation) }
            finishGreeting(session, greeting, result)
        }
    }

    /// The rest of the greeting: the latest posts (or why there are none), the absence summary; then the
    /// session joins the live feed and its lines run, in this same turn, so no live post comes between.
    private func finishGreeting(
        _ session: Session, _ greeting: CommandReply, _ result: Result<([Post], CatchUp?), StoreError>
    ) {
        guard !session.closed else { return greeting.finish() }
        switch result {
        case .success(let (posts, summary)):
            if posts.isEmpty {
                session.send(.notice("no posts yet"))
            } else {
                session.send(.notice("latest posts:"))
                let now = Timestamp.now()
                for post in posts { session.send(.post(post, live: false), now: now) }
                session.live.noteShown(posts.last?.id ?? 0)
                posting.noteLatest(session.live.lastSeenID)
            }
            if let summary, !summary.isEmpty { session.send(.catchUp(summary)) }
        case .failure(let error):
            desk.logStorageFault(error, command: "greeting", conn: session.id)
        }
        session.send(.notice("new posts appear below as they are made (/watch off to stop)"))
        greeting.finish()
        directory.setWatch(session.watch, for: session)
    }

    func who(_ session: Session) {
        // Other nodes' presence is read from the database: the session waits for it like for any read.
        let reply = directory.presenceShared ? waiting(session, command: "who") : nil
        directory.withPresence { online, guests in
            let users = online.values.sorted { $0.name.lowercased() < $1.name.lowercased() }
            for user in users.prefix(self.settings.whoListLimit) {
                session.send(.user(name: user.name, sessions: user.sessions, away: user.away))
            }
            let people = users.count == 1 ? "1 user" : "\(users.count) users"
            let others = guests == 1 ? "1 guest" : "\(guests) guests"
            let listed =
                users.count > self.settings.whoListLimit
                ? "; the first \(self.settings.whoListLimit) by name are listed" : ""
            session.send(
                .ok(
                    Ack(
                        command: "who", message: "\(people) online, \(others)\(listed)",
                        fields: [.int("users", Int64(users.count)), .int("guests", Int64(guests))])))
            reply?.finish()
        }
    }

    /// `/watch`: changes or reports what arrives live; a logged-in account's choice is remembered.
    func watch(_ change: WatchChange?, for session: Session) {
        let before = session.watch
        var after = before
        switch change {
        case nil: break
        case .all: after.mode = .all
        case .off:
            after = WatchSetting(mode: .off)
        case .following:
            guard session.user != nil else {
                return session.send(.error(notLoggedIn("watch whom you follow"), command: "watch"))
            }
            after.mode = .following
        case .addTag(let tag):
            guard after.tags.count < WatchSetting.maxTags || after.tags.contains(tag) else {
                return session.send(
                    .error(
                        WireError(.badUsage, "you can watch at most \(WatchSetting.maxTags) hashtags"), command: "watch"
                    ))
            }
            after.tags.insert(tag)
        case .removeTag(let tag): after.tags.remove(tag)
        }
        directory.setWatch(after, for: session)
        var message: String
        switch change {
        case .all where after.tags.isEmpty: message = "live feed on"
        case .off: message = "live feed off; /watch on to resume"
        default: message = "live feed: \(after.description)"
        }
        var fields: [Ack.Field] = [.bool("watching", !after.isSilent), .string("watch", after.stored)]
        if before.mode == .all && after.mode != .all {
            session.feedNarrowedAt = posting.latestPostID
        } else if after.mode == .all, let since = session.feedNarrowedAt {
            session.feedNarrowedAt = nil
            if posting.latestPostID > since {
                message += "; posts made meanwhile: /feed since \(since)"
                fields.append(.int("since", since))
            }
        }
        if let user = session.user {
            let stored = after.stored
            storage.perform({ store in try store.setWatch(user.id, stored) }) { [self] result in
                if case .failure(let error) = result {
                    desk.logStorageFault(error, command: "watch", conn: session.id)
                }
            }
        }
        session.send(.ok(Ack(command: "watch", message: message, fields: fields)))
    }

    func setMode(_ mode: OutputMode, for session: Session) {
        if mode == .json { leaveCharacterMode(session) }  // JSON mode never edits lines
        session.mode = mode
        // An SSH terminal does not echo by itself: back in text mode, the server edits the line again.
        if mode == .text && session.view.ownsTerminal { session.sendRaw(session.terminal.enterCharacterMode()) }
        session.send(
            .ok(Ack(command: "mode", message: "\(mode.rawValue) mode", fields: [.string("mode", mode.rawValue)])))
    }

    /// `/color on|off`: ANSI colour in text mode, for this session.
    func setColor(_ on: Bool, for session: Session) {
        session.color = on
        session.send(.ok(Ack(command: "color", message: on ? "colour on" : "colour off", fields: [.bool("color", on)])))
    }

    /// `/help`: the topics and the most used commands; `/help TOPIC`: one topic's commands; `/help COMMAND`:
    /// one command in full. Lists hold only the commands the session may run (administrators' commands
    /// only for administrators; a guest sees those that need an account, which logging in opens), with
    /// every usage form, as `/help COMMAND` shows them; lines are wrapped to the window (see `Session.send`).
    func help(_ topic: String?, for session: Session) {
        let isAdministrator = session.user.map(settings.isAdmin) ?? false
        let facts = HelpFacts(deletedNameHoldDays: Int((settings.deletedNameHold / 86_400).rounded()))
        let visible = { (spec: CommandSpec) in
            guard case .administrator = spec.access else { return true }
            return isAdministrator
        }
        let item = { (spec: CommandSpec) in
            let shown = spec.help(forAdministrator: isAdministrator, facts: facts)
            return ServerMessage.help(name: spec.name, usage: shown.usage, summary: shown.summary, details: [])
        }
        guard let topic else {
            session.send(.notice("topics (/help TOPIC lists one):"))
            for topic in CommandTopic.allCases {
                let names = CommandTable.commands(of: topic).filter(visible).map(\.name)
                guard !names.isEmpty else { continue }
                session.send(.helpTopic(topic: topic.rawValue, summary: topic.summary, commands: names))
            }
            session.send(.notice("most used:"))
            for name in CommandTable.mostUsed {
                if let spec = CommandTable.spec(named: name), visible(spec) { session.send(item(spec)) }
            }
            return session.send(
                .ok(Ack(command: "help", message: "/help COMMAND explains one; any other line is a post")))
        }
        let word = topic.lowercased()
        if let chosen = CommandTopic(rawValue: word) {
            let specs = CommandTable.commands(of: chosen).filter(visible)
            if !specs.isEmpty {
                session.send(.notice("\(chosen.rawValue): \(chosen.summary)"))
                for spec in specs { session.send(item(spec)) }
                return session.send(
                    .ok(
                        Ack(
                            command: "help", message: "/help COMMAND explains one; /help lists the topics",
                            fields: [.string("topic", chosen.rawValue)])))
            }
        }
        guard let spec = CommandTable.spec(named: word) else {
            return session.send(
                .error(
                    WireError(
                        .unknownCommand,
                        "no command or topic \(TextSafety.printable(topic.prefix(32))); "
                            + (CommandSuggestion.sentence(for: word).map { $0 + " (/help lists them all)" }
                                ?? "/help lists them")),
                    command: "help"))
        }
        let shown = spec.help(forAdministrator: isAdministrator, facts: facts)
        session.send(.help(name: spec.name, usage: shown.usage, summary: shown.summary, details: shown.details))
        session.send(.ok(Ack(command: "help", message: "/help lists the topics")))
    }

    func quit(_ session: Session) {
        // Lines sent after /quit are not run, and the goodbye is the last line shown (no prompt after it).
        session.startLeaving()
        session.send(.ok(Ack(command: "quit", message: "goodbye")))
        session.output.closeAfterFlush(reason: .quit)
    }

    /// The `not_logged_in` error for what a guest tried (e.g. "watch whom you follow").
    func notLoggedIn(_ action: String) -> WireError {
        WireError(
            .notLoggedIn, CommandAccess.adapted(CommandAccess.loginSentence(toDo: action), to: settings.registration))
    }
}
