import CSQLite
import Dispatch
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// SIGKILL and SIGTERM while clients post: what was acknowledged must be on disk, nothing else may be
/// invented, and a graceful stop answers every line it read.
@Suite("Faults: the process is killed or stopped while clients post")
struct CrashTests {
    static let posters = 4

    @Test func everyAcknowledgedPostSurvivesRepeatedSIGKILL() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/crash.db"
        // Every post line ever sent (text → author) and every acknowledged one (id → post).
        var sent: [String: String] = [:]
        var acknowledged: [Int64: StoredPost] = [:]
        var highestBeforeRound: Int64 = 0

        for round in 1...3 {
            let server = try MicroblogdProcess(database: database, logPath: directory.path + "/round\(round).log")
            if round > 1 {
                highestBeforeRound = try verifyRestart(
                    server, database: database, sent: sent, acknowledged: acknowledged, round: round)
            }
            let run = PosterRun(
                port: server.port,
                posters: (0..<Self.posters).map { index in
                    PosterPlan(
                        name: "crash_w\(index)", register: round == 1, json: index % 2 == 1,
                        textPrefix: "round \(round) writer \(index) post", linesPerWrite: 8, window: 48)
                })
            let reached = run.waitForAcknowledgements(total: 1500, each: 100, timeout: 15)
            #expect(reached, "round \(round): the posters did not get 1500 acknowledgements in time")
            let stillPosting = run.runningCount
            let status = server.stop(with: SIGKILL)
            #expect(
                status?.reason == .signal && status?.code == SIGKILL, "round \(round): \(String(describing: status))")
            let reports = run.finish(timeout: 15)
            var reused: [Int64] = []
            #expect(
                stillPosting == Self.posters,
                "round \(round): only \(stillPosting) posters were still posting at the kill")
            #expect(reports.count == Self.posters, "round \(round): a poster thread did not finish")
            for report in reports {
                #expect(report.setupFailure == nil, "round \(round) \(report.name): \(report.setupFailure ?? "")")
                #expect(
                    report.refused.isEmpty, "round \(round) \(report.name): refused \(report.refused.prefix(3))")
                for text in report.sent { sent[text] = report.name }
                for ack in report.acknowledged {
                    if acknowledged[ack.id] != nil || ack.id <= highestBeforeRound { reused.append(ack.id) }
                    acknowledged[ack.id] = StoredPost(author: report.name, text: ack.text)
                }
            }
            // Ids are never reused: every post acknowledged after a restart is newer than everything the
            // file held when it restarted, acknowledged or not.
            #expect(reused.isEmpty, "round \(round): \(reused.count) acknowledged ids reused, e.g. \(reused.prefix(5))")
        }
        let last = try MicroblogdProcess(database: database, logPath: directory.path + "/final.log")
        _ = try verifyRestart(last, database: database, sent: sent, acknowledged: acknowledged, round: 4)
        #expect(last.stop(with: SIGTERM)?.code == 0)
        #expect(acknowledged.count >= 4500)
    }

    @Test func sigtermAnswersEveryLineItReadAndKeepsEveryAcknowledgedPost() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/graceful.db"
        let server = try MicroblogdProcess(database: database, logPath: directory.path + "/server.log")
        var plans = (0..<Self.posters).map { index in
            PosterPlan(
                name: "term_w\(index)", register: true, json: index % 2 == 0,
                textPrefix: "graceful writer \(index) post", linesPerWrite: 16, window: 96)
        }
        // Commands that wait for storage or password hashing when the signal comes.
        plans.append(
            PosterPlan(
                name: "term_reader", register: true, json: true, textPrefix: "", linesPerWrite: 4, window: 16,
                cycle: ["/feed 50", "/feed since 1 20", "/who", "/feed before 1000 5"]))
        plans.append(
            PosterPlan(
                name: "term_login", register: true, json: true, textPrefix: "", linesPerWrite: 2, window: 8,
                cycle: ["/logout", "/login term_login password1"]))
        let run = PosterRun(port: server.port, posters: plans)
        #expect(run.waitForAcknowledgements(total: 1000, each: 20, timeout: 15))
        // A client that asks for megabytes and never reads: the goodbye cannot reach it, and it must not
        // hold the stop up for longer than the shutdown's flush deadline (2 s).
        let silent = try TestClient(port: server.port)
        DescriptorTests.setReceiveBuffer(silent.fd, bytes: 64 * 1024)
        silent.sendBytes(Array(String(repeating: "/feed 200\n", count: 100).utf8))
        #expect(run.runningCount == plans.count, "every client should still be busy at SIGTERM")
        let signalled = Date()
        let status = server.stop(with: SIGTERM)
        let stopping = Date().timeIntervalSince(signalled)
        #expect(
            status?.reason == .exit && status?.code == 0,
            "SIGTERM must end in exit status 0: \(String(describing: status))")
        #expect(stopping < 6, "the stop took \(stopping) s with a client that does not read")
        let reports = run.finish(timeout: 15)
        #expect(reports.count == plans.count, "a client thread did not finish")
        withExtendedLifetime(silent) {}

        for report in reports {
            #expect(report.setupFailure == nil, "\(report.name): \(report.setupFailure ?? "")")
            #expect(report.sawGoodbye, "\(report.name) got no goodbye; it ended with: \(report.ending)")
            #expect(
                report.linesAfterGoodbye.isEmpty,
                "\(report.name) got lines after the goodbye: \(report.linesAfterGoodbye.prefix(3))")
            let codes = Set(report.refused.map(\.code))
            #expect(codes.isSubset(of: ["shutting_down"]), "\(report.name): unexpected refusals \(codes)")
        }
        let posters = reports.filter { $0.name.hasPrefix("term_w") }

        let restarted = try MicroblogdProcess(database: database, logPath: directory.path + "/restart.log")
        let posts = try allPosts(port: restarted.port)
        var presentByText: [String: Int64] = [:]
        for (id, post) in posts { presentByText[post.text] = id }
        for report in posters {
            let missing = report.acknowledged.filter { posts[$0.id] != StoredPost(author: report.name, text: $0.text) }
            #expect(
                missing.isEmpty,
                "\(report.name): \(missing.count) acknowledged posts missing or wrong, e.g. \(missing.prefix(3))")
            let savedAnyway = report.refused.filter { presentByText[$0.text] != nil }
            #expect(
                savedAnyway.isEmpty, "\(report.name): posts answered with an error were saved: \(savedAnyway.prefix(3))"
            )
            // A graceful stop acknowledges everything it commits, so a line with no answer was never run.
            let answered = report.acknowledged.count + report.refused.count
            let unanswered = report.sent[answered...].filter { presentByText[$0] != nil }
            #expect(unanswered.isEmpty, "\(report.name): posts saved without an answer: \(unanswered.prefix(3))")
        }
        let acknowledgedCount = posters.reduce(0) { $0 + $1.acknowledged.count }
        #expect(
            posts.count == acknowledgedCount,
            "the file holds \(posts.count) posts, \(acknowledgedCount) were acknowledged")
        #expect(try SQLiteFile.integrityCheck(database) == ["ok"])
        #expect(restarted.stop(with: SIGTERM)?.code == 0)
    }

    /// A supervisor (or a test) may stop the server as soon as it says where it listens.
    @Test func signalRightAfterTheListeningLineIsNotLost() throws {
        let directory = try TemporaryDirectory()
        for (attempt, signal) in [SIGTERM, SIGINT, SIGTERM, SIGINT, SIGTERM].enumerated() {
            let server = try MicroblogdProcess(
                database: directory.path + "/early.db", logPath: directory.path + "/early\(attempt).log")
            let status = server.stop(with: signal, timeout: 10)
            #expect(
                status == MicroblogdProcess.Exit(reason: .exit, code: 0),
                "attempt \(attempt): signal \(signal) right after start gave \(status.map { "\($0)" } ?? "no exit within 10 s")"
            )
        }
    }

    @Test func goodbyeIsTheLastLineForAClientBehindOnItsReplies() throws {
        let server = try TestServer { $0.settings = .unlimited }
        let poster = try server.registeredClient("behind_poster")
        for start in stride(from: 0, to: 400, by: 50) {
            let lines = (start..<start + 50).map { "post number \($0) " + String(repeating: "=", count: 100) + "\n" }
            poster.sendBytes(Array(lines.joined().utf8))
            try poster.readUntil { $0 == "* posted #\(start + 50)" }
        }
        // A client that asks for a lot and is slow to read: when the stop comes, replies are waiting in
        // the server and a listing is being read from the database.
        let slow = try TestClient(port: server.port)
        DescriptorTests.setReceiveBuffer(slow.fd, bytes: 64 * 1024)
        try slow.switchToJSON()
        slow.sendBytes(Array(String(repeating: "/feed 200\n", count: 250).utf8))
        try server.waitFor("output waiting for the slow client") { $0.largestPendingOutput > 1_000_000 }
        let waiting = server.server.stats().pendingOutputBytes
        let stopping = Thread.detach(UncheckedBox(server)) { try? $0.value.stop() }
        // Give the server a moment (bounded) to write what it still writes, then read it all.
        waitUntil(timeout: 1) {
            !stopping.isRunning || server.server.stats().pendingOutputBytes >= waiting + 30_000
        }
        let lines = try slow.readUntilClosed(timeout: 10)
        #expect(stopping.wait(timeout: 10), "the server did not stop")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let bye = objects.firstIndex { $0["type"] as? String == "bye" }
        #expect(bye != nil, "no goodbye; last lines: \(lines.suffix(2))")
        if let bye {
            let after = objects[(bye + 1)...].map { "\($0["type"] ?? "?") \($0["command"] ?? "")" }
            #expect(after.isEmpty, "\(after.count) lines after the goodbye, e.g. \(after.prefix(3))")
            // The 250 lines came in one write and were all read before the stop: each got exactly one ok
            // or error (`shutting_down` for those not run), before the goodbye.
            let replies = objects[..<bye].filter { ["ok", "error"].contains($0["type"] as? String) }
            #expect(replies.count == 250, "\(replies.count) replies to 250 lines")
        }
    }

    /// After a restart: every acknowledged post is there with its author and text, every post there was
    /// sent by that author (at most once; sent but unacknowledged posts may or may not be there), and the
    /// file passes `integrity_check`. Returns the highest id in the file.
    private func verifyRestart(
        _ server: MicroblogdProcess, database: String, sent: [String: String], acknowledged: [Int64: StoredPost],
        round: Int
    ) throws -> Int64 {
        let posts = try allPosts(port: server.port)
        let missing = acknowledged.filter { posts[$0.key] != $0.value }.keys.sorted()
        #expect(
            missing.isEmpty,
            "restart \(round): \(missing.count) of \(acknowledged.count) acknowledged posts missing or changed, e.g. \(missing.prefix(5).map { "#\($0): \(posts[$0].map { "\($0)" } ?? "absent")" })"
        )
        // Sent but unacknowledged posts may or may not be there; nothing else may.
        let invented = posts.filter { sent[$0.value.text] != $0.value.author }.keys.sorted()
        #expect(
            invented.isEmpty,
            "restart \(round): posts never sent by their author: \(invented.prefix(5).compactMap { posts[$0] })")
        let texts = posts.values.map(\.text)
        #expect(Set(texts).count == texts.count, "restart \(round): a post is stored twice")
        #expect(try SQLiteFile.integrityCheck(database) == ["ok"], "restart \(round)")
        return posts.keys.max() ?? 0
    }
}

// MARK: - Helpers shared by the fault suites

/// Carries a value that is not `Sendable` to one other thread, which alone uses it from then on.
/// `@unchecked Sendable`: the test hands the value over and does not touch it until the thread ends.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A thread running one body, and a way to wait for it with a deadline.
final class DetachedThread: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let finished = Mutex(false)

    var isRunning: Bool { !finished.withLock { $0 } }

    /// Waits up to `timeout` seconds; false if the body is still running.
    func wait(timeout: Double) -> Bool {
        if !isRunning { return true }
        guard done.wait(timeout: .now() + timeout) == .success else { return false }
        done.signal()
        return true
    }

    fileprivate func finish() {
        finished.withLock { $0 = true }
        done.signal()
    }
}

extension Thread {
    /// Runs `body` with `box` on a new thread.
    static func detach<Value>(_ box: UncheckedBox<Value>, _ body: @escaping @Sendable (UncheckedBox<Value>) -> Void)
        -> DetachedThread
    {
        let handle = DetachedThread()
        Thread {
            body(box)
            handle.finish()
        }.start()
        return handle
    }
}

/// A post as a reader sees it.
struct StoredPost: Equatable, Sendable, CustomStringConvertible {
    var author: String
    var text: String
    var description: String { "\(author): \(text.debugDescription)" }
}

/// A JSON number as Int64, whatever Foundation bridged it to.
func jsonInt(_ value: Any?) -> Int64? {
    switch value {
    case let number as Int: return Int64(number)
    case let number as Int64: return number
    case let number as NSNumber: return number.int64Value
    default: return nil
    }
}

/// Every post on the server, paged with `/feed since ID 200` as a reconnecting bot would.
func allPosts(port: UInt16) throws -> [Int64: StoredPost] {
    let reader = try TestClient(port: port)
    try reader.switchToJSON()
    reader.send("/watch off")
    try reader.readJSONUntil { $0["type"] as? String == "ok" && $0["command"] as? String == "watch" }
    var posts: [Int64: StoredPost] = [:]
    var last: Int64 = 0
    for _ in 0..<1000 {
        reader.send("/feed since \(last) 200")
        let objects = try reader.readJSONUntil { ["ok", "error"].contains($0["type"] as? String) }
        guard let end = objects.last, end["type"] as? String == "ok", let count = jsonInt(end["count"]) else {
            throw TestFailure("/feed since \(last) failed: \(objects.last ?? [:])")
        }
        for object in objects where object["type"] as? String == "post" {
            guard let id = jsonInt(object["id"]), let author = object["author"] as? String,
                let text = object["text"] as? String
            else { throw TestFailure("malformed post: \(object)") }
            if posts[id] != nil { throw TestFailure("post #\(id) listed twice") }
            posts[id] = StoredPost(author: author, text: text)
            last = max(last, id)
        }
        if count < 200 { return posts }
    }
    throw TestFailure("more than 200,000 posts: paging did not end")
}

/// Direct access to a database file with the SQLite C API, beside the server's own connection.
final class SQLiteFile {
    private var handle: OpaquePointer?

    init(_ path: String, readOnly: Bool) throws {
        let flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        let result = sqlite3_open_v2(path, &handle, flags, nil)
        guard result == SQLITE_OK else {
            sqlite3_close_v2(handle)
            throw TestFailure("cannot open \(path): SQLite result \(result)")
        }
    }

    deinit { close() }

    func close() {
        sqlite3_close_v2(handle)
        handle = nil
    }

    func execute(_ sql: String) throws {
        let result = sqlite3_exec(handle, sql, nil, nil, nil)
        guard result == SQLITE_OK else {
            throw TestFailure("\(sql): \(String(cString: sqlite3_errmsg(handle)))")
        }
    }

    /// The first column of every row, as text.
    func strings(_ sql: String) throws -> [String] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else {
            throw TestFailure("\(sql): \(String(cString: sqlite3_errmsg(handle)))")
        }
        defer { sqlite3_finalize(statement) }
        var rows: [String] = []
        while true {
            let result = sqlite3_step(statement)
            if result == SQLITE_DONE { return rows }
            guard result == SQLITE_ROW else {
                throw TestFailure("\(sql): \(String(cString: sqlite3_errmsg(handle)))")
            }
            rows.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "NULL")
        }
    }

    /// `PRAGMA integrity_check` on a read-only connection: `["ok"]` for a sound file.
    static func integrityCheck(_ path: String) throws -> [String] {
        try SQLiteFile(path, readOnly: true).strings("PRAGMA integrity_check")
    }
}

/// What one posting client is told to do.
struct PosterPlan: Sendable {
    var name: String
    var password = "password1"
    /// Register the account (else log in to it).
    var register: Bool
    /// Post in JSON mode (else text mode).
    var json: Bool
    var textPrefix: String
    /// Post lines sent with one `send`.
    var linesPerWrite: Int
    /// Most post lines sent and not yet answered.
    var window: Int
    /// Bounds: at most this many posts, for at most this long.
    var maxPosts = 50_000
    var seconds = 20.0
    /// Command lines to send over and over instead of posts (JSON mode only); every one ends with one
    /// `ok` or `error`.
    var cycle: [String] = []
}

/// What one posting client saw. `sent` is in order; replies come in the order lines were sent, so the
/// first `acknowledged.count + refused.count` lines are the answered ones.
struct PosterReport: Sendable {
    struct Acknowledged: Sendable, CustomStringConvertible {
        var id: Int64
        var text: String
        var description: String { "#\(id) \(text.debugDescription)" }
    }
    struct Refused: Sendable, CustomStringConvertible {
        var text: String
        var code: String
        var description: String { "\(text.debugDescription) (\(code))" }
    }

    var name: String
    var sent: [String] = []
    var acknowledged: [Acknowledged] = []
    var refused: [Refused] = []
    /// Commands of a `cycle` that succeeded.
    var completed = 0
    var sawGoodbye = false
    var linesAfterGoodbye: [String] = []
    /// Set when the client could not even log in and start posting.
    var setupFailure: String?
    /// How the posting loop ended.
    var ending = ""
}

/// Several clients posting continuously on their own threads (blocking sockets must not sit on Swift's
/// cooperative pool), pipelining `linesPerWrite` lines per write, each matching replies to its lines.
final class PosterRun: Sendable {
    private let acknowledgements: Mutex<[Int]>
    private let reports = Mutex<[PosterReport]>([])
    private let running: Mutex<Int>
    private let group = DispatchGroup()

    init(port: UInt16, posters: [PosterPlan]) {
        acknowledgements = Mutex([Int](repeating: 0, count: posters.count))
        running = Mutex(posters.count)
        for (index, plan) in posters.enumerated() {
            group.enter()
            let thread = Thread { [self] in
                let report = Self.post(plan, port: port) { acknowledgements.withLock { $0[index] += 1 } }
                reports.withLock { $0.append(report) }
                running.withLock { $0 -= 1 }
                group.leave()
            }
            thread.start()
        }
    }

    /// Posters that have not finished yet.
    var runningCount: Int { running.withLock { $0 } }

    /// Waits until `total` posts are acknowledged, at least `each` per poster; false at the deadline.
    func waitForAcknowledgements(total: Int, each: Int, timeout: Double) -> Bool {
        func reached() -> Bool {
            let counts = acknowledgements.withLock { $0 }
            return counts.reduce(0, +) >= total && counts.allSatisfy { $0 >= each }
        }
        // Acknowledgements only grow, and a poster counts its last one before it stops running.
        waitUntil(timeout: timeout) { reached() || runningCount == 0 }
        return reached()
    }

    /// Waits for every poster to end (they end when the server closes); returns their reports.
    func finish(timeout: Double) -> [PosterReport] {
        _ = group.wait(timeout: .now() + timeout)
        return reports.withLock { $0 }
    }

    private static func post(_ plan: PosterPlan, port: UInt16, acknowledged: () -> Void) -> PosterReport {
        var report = PosterReport(name: plan.name)
        let client: TestClient
        do {
            client = try TestClient(port: port)
            try client.readUntil { $0.contains("new posts appear below") }
            client.send("/\(plan.register ? "register" : "login") \(plan.name) \(plan.password)")
            let reply = try client.readUntil { $0.hasPrefix("* welcome") || $0.hasPrefix("! ") }.last ?? ""
            guard reply.hasPrefix("* welcome") else { throw TestFailure("login refused: \(reply)") }
            if plan.json { try client.switchToJSON() }
        } catch {
            report.setupFailure = "\(error)"
            return report
        }
        let deadline = Date().addingTimeInterval(plan.seconds)
        var answered = 0
        while true {
            if !report.sawGoodbye && report.sent.count - answered <= plan.window - plan.linesPerWrite
                && report.sent.count < plan.maxPosts && Date() < deadline
            {
                var bytes: [UInt8] = []
                for _ in 0..<plan.linesPerWrite {
                    let number = report.sent.count
                    let text =
                        plan.cycle.isEmpty ? "\(plan.textPrefix) \(number)" : plan.cycle[number % plan.cycle.count]
                    report.sent.append(text)
                    bytes += Array((text + "\n").utf8)
                }
                client.sendBytes(bytes)
            }
            if answered == report.sent.count && (report.sawGoodbye || Date() >= deadline) {
                report.ending = "done"
                break
            }
            let line: String
            do { line = try client.readLine(timeout: 5) } catch {
                report.ending = "\(error)"
                break
            }
            if report.sawGoodbye {
                report.linesAfterGoodbye.append(line)
                continue
            }
            switch classify(line, json: plan.json, commands: !plan.cycle.isEmpty) {
            case .completed:
                guard answered < report.sent.count else {
                    report.linesAfterGoodbye.append("unexpected reply: " + line)
                    continue
                }
                report.completed += 1
                answered += 1
                acknowledged()
            case .acknowledged(let id):
                guard answered < report.sent.count else {
                    report.linesAfterGoodbye.append("unexpected reply: " + line)
                    continue
                }
                report.acknowledged.append(.init(id: id, text: report.sent[answered]))
                answered += 1
                acknowledged()
            case .refused(let code):
                guard answered < report.sent.count else {
                    report.linesAfterGoodbye.append("unexpected reply: " + line)
                    continue
                }
                report.refused.append(.init(text: report.sent[answered], code: code))
                answered += 1
            case .goodbye:
                report.sawGoodbye = true
            case .other:
                break
            }
        }
        return report
    }

    private enum Reply {
        case completed
        case acknowledged(Int64)
        case refused(String)
        case goodbye
        case other
    }

    /// Replies to post lines (or commands), the goodbye, and everything else (live posts, notices, items).
    private static func classify(_ line: String, json: Bool, commands: Bool) -> Reply {
        if json {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                return .refused("not JSON: \(line)")
            }
            switch object["type"] as? String {
            case "ok":
                if commands { return .completed }
                if object["command"] as? String == "post", let id = jsonInt(object["id"]) { return .acknowledged(id) }
                return .refused("unexpected ok: \(line)")
            case "error": return .refused(object["code"] as? String ?? line)
            case "bye": return .goodbye
            default: return .other
            }
        }
        if line.hasPrefix("* posted #"), let id = Int64(line.dropFirst("* posted #".count)) { return .acknowledged(id) }
        if line.hasPrefix("! ") {
            if let match = line.firstMatch(of: /\(([a-z_]+)\)$/) { return .refused(String(match.1)) }
            return .refused(line)
        }
        if line == "* the server is shutting down; goodbye" { return .goodbye }
        return .other
    }
}
