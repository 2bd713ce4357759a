import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/report` (anyone with an account) and `/reports` (administrators).
extension Community {
    /// `/report ID REASON`: flags a post for the administrators.
    func report(_ id: Int64, reason raw: String, by user: User, for session: Session) {
        queue.checkConfined()
        let reason: String
        switch PostRules.validate(raw, maxCharacters: Self.maxReasonCharacters, what: "a reason") {
        case .success(let valid): reason = valid
        case .failure(let error): return session.send(.error(error, command: "report"))
        }
        desk.withPost(id, command: "report", for: session) { [self] post, reply in
            let now = Timestamp.now()
            storage.perform({ store in
                try store.addReport(postID: post.id, reporterID: user.id, reason: reason, at: now)
            }) {
                [self] result in
                switch result {
                case .success(let (number, true)):
                    log.info("report", ["user": user.name, "post": id, "report": number])
                    session.send(
                        .ok(
                            Ack(
                                command: "report",
                                message: "thank you: report \(number) on #\(id) goes to the administrators",
                                fields: [.int("id", number), .int("post", id), .bool("already", false)])))
                case .success(let (number, false)):
                    // One open report per reporter and post: nothing was added.
                    session.send(
                        .ok(
                            Ack(
                                command: "report",
                                message:
                                    "you already reported #\(id): report \(number) is open until an administrator closes it",
                                fields: [.int("id", number), .int("post", id), .bool("already", true)])))
                case .failure(let error):
                    desk.storageFailed(error, command: "report", for: session)
                }
                reply.finish()
            }
        }
    }

    /// `/reports` and `/reports close N [NOTE]`, for administrators.
    func reports(_ action: ReportsAction, by admin: User, for session: Session) {
        queue.checkConfined()
        let reply = desk.waiting(session, command: "reports")
        switch action {
        case .list:
            storage.perform({ store in try store.openReports(limit: CommandTable.maxReportsListed) }) {
                [self] result in
                switch result {
                case .success(let open):
                    let now = Timestamp.now()
                    for report in open { session.send(.report(report), now: now) }
                    let message =
                        open.isEmpty
                        ? "no open reports" : "\(open.count) open report\(open.count == 1 ? "" : "s"); /reports close N"
                    session.send(
                        .ok(Ack(command: "reports", message: message, fields: [.int("count", Int64(open.count))])))
                case .failure(let error):
                    desk.storageFailed(error, command: "reports", for: session)
                }
                reply.finish()
            }
        case .close(let number, let rawNote):
            var note = ""
            if let rawNote {
                switch PostRules.validate(rawNote, maxCharacters: Self.maxReasonCharacters, what: "a note") {
                case .success(let valid): note = valid
                case .failure(let error):
                    session.send(.error(error, command: "reports"))
                    return reply.finish()
                }
            }
            let now = Timestamp.now()
            storage.perform({ [note] store in try store.closeReport(number, by: admin.id, note: note, at: now) }) {
                [self] result in
                switch result {
                case .success(let post?):
                    log.info(
                        "moderation", ["admin": admin.name, "action": "close_report", "report": number, "post": post])
                    session.send(
                        .ok(
                            Ack(
                                command: "reports", message: "report \(number) on #\(post) closed",
                                fields: [.int("id", number), .int("post", post)])))
                case .success(nil):
                    session.send(
                        .error(
                            WireError(.noSuchReport, "there is no open report \(number); /reports lists them"),
                            command: "reports"))
                case .failure(let error):
                    desk.storageFailed(error, command: "reports", for: session)
                }
                reply.finish()
            }
        }
    }
}
