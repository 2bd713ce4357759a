import Foundation
import MicroblogTestSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The soak: `clients` threads, each connecting, registering or logging in, doing random commands
/// (good and bad), and leaving in a random way (quit, close, close mid-line, half-close, reset, at a
/// prompt), over and over until `duration` has passed. Then it checks that the server's descriptors and
/// memory came back, and reports what went wrong.
struct SoakScenario {
    let server: ServerUnderTest
    let clients: Int
    let duration: Double
    let seed: UInt64

    struct Counters {
        var sessions = 0
        var commands = 0
        var posts = 0
        var unexpected: [String: Int] = [:]
        var samples: [String] = []

        mutating func fail(_ kind: String, _ detail: String) {
            unexpected[kind, default: 0] += 1
            if samples.count < 10 { samples.append("\(kind): \(detail)") }
        }
    }

    struct Report {
        var seconds: Double
        var counters: Counters
        var descriptorsBefore: Int?
        var descriptorsAfter: Int?
        var residentKiBBefore: Int?
        var residentKiBPeak: Int?
        var residentKiBAfter: Int?
        var serverExit: Int32?
    }

    func run() -> Report {
        let counters = SharedCounters()
        warmUp()
        let started = Date().timeIntervalSince1970
        let deadline = started + duration
        let descriptorsBefore = server.openDescriptors
        let residentBefore = server.residentKiB
        var peak = residentBefore ?? 0

        let done = DispatchGroup()
        for worker in 0..<clients {
            done.enter()
            // Names must not collide with those of an earlier run against the same server.
            let run = Int(Date().timeIntervalSince1970) % 100_000
            let thread = Thread { [host = server.host, port = server.port, seed] in
                var random = SplitMix64(seed: seed &+ UInt64(worker) &* 0x9E37_79B9)
                SoakWorker(host: host, port: port, run: run, worker: worker, deadline: deadline, counters: counters)
                    .run(random: &random)
                done.leave()
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        var lastReport = started
        while done.wait(timeout: .now() + 1) == .timedOut {
            peak = max(peak, server.residentKiB ?? 0)
            let now = Date().timeIntervalSince1970
            if now - lastReport >= 10 {
                lastReport = now
                let snapshot = counters.withLock { $0 }
                let problems = snapshot.unexpected.values.reduce(0, +)
                Progress.say(
                    "soak \(Int(now - started))/\(Int(duration)) s: \(snapshot.sessions) sessions, "
                        + "\(snapshot.commands) commands, \(snapshot.posts) posts, \(problems) unexpected; "
                        + "server \(server.openDescriptors.map(String.init) ?? "?") fds, "
                        + "\(server.residentKiB.map(String.init) ?? "?") KiB")
            }
        }
        // Every client has gone: the server's descriptors should come back to where they were.
        let settle = Date().timeIntervalSince1970 + 15
        while let before = descriptorsBefore, let now = server.openDescriptors, now > before,
            Date().timeIntervalSince1970 < settle
        {
            usleep(50_000)
        }
        var report = Report(
            seconds: Date().timeIntervalSince1970 - started, counters: counters.withLock { $0 },
            descriptorsBefore: descriptorsBefore, descriptorsAfter: server.openDescriptors,
            residentKiBBefore: residentBefore, residentKiBPeak: max(peak, server.residentKiB ?? 0),
            residentKiBAfter: server.residentKiB, serverExit: nil)
        if !server.isRunning { report.counters.fail("server", "the server process died") }
        return report
    }
}

extension SoakScenario {
    /// One short session before the baseline is taken, so descriptors that the server's libraries open
    /// once, on first use (Dispatch's timer and event descriptors), are not counted as leaks.
    fileprivate func warmUp() {
        guard let client = try? BlockingClient(port: server.port, host: server.host) else { return }
        let deadline = Date().timeIntervalSince1970 + 10
        _ = try? client.readUntil(deadline: deadline) { $0.contains("new posts appear below") }
        client.send("/quit")
        while (try? client.readLine(deadline: deadline)) != nil {}
        usleep(200_000)
    }
}

/// One soak client thread.
/// The counters every soak thread adds to. Thread-safe through its mutex.
final class SharedCounters: Sendable {
    private let mutex = Mutex(SoakScenario.Counters())

    func withLock<T>(_ body: (inout SoakScenario.Counters) -> T) -> T {
        mutex.withLock { body(&$0) }
    }
}

private struct SoakWorker {
    let host: String
    let port: UInt16
    let run: Int
    let worker: Int
    let deadline: Double
    let counters: SharedCounters
    static let password = "soak-password"

    func run(random: inout SplitMix64) {
        var names: [String] = []
        var session = 0
        while Date().timeIntervalSince1970 < deadline {
            session += 1
            runSession(session, names: &names, random: &random)
        }
    }

    private func fail(_ kind: String, _ detail: String) {
        counters.withLock { $0.fail(kind, "worker \(worker): \(detail)") }
    }

    /// Sends `line` and reads to its reply (skipping live posts); returns the reply line. A missing or
    /// wrong reply is counted as a failure here, so callers that need nothing more ignore the result.
    @discardableResult
    private func command(_ client: BlockingClient, _ line: String, expect: String, timeout: Double = 10) -> String? {
        guard client.send(line) else {
            fail("send", line)
            return nil
        }
        counters.withLock { $0.commands += 1 }
        let reply = try? client.readUntil(deadline: Date().timeIntervalSince1970 + timeout) {
            $0.hasPrefix("{\"type\":\"ok\"") || $0.hasPrefix("{\"type\":\"error\"")
        }.last
        guard let reply else {
            fail("no_reply", String(line.prefix(40)))
            return nil
        }
        if !reply.contains(expect) { fail("wrong_reply", "\(line.prefix(40)) -> \(reply.prefix(120))") }
        return reply
    }

    private func runSession(_ number: Int, names: inout [String], random: inout SplitMix64) {
        let client: BlockingClient
        do { client = try BlockingClient(port: port, host: host) } catch {
            fail("connect", "\(error)")
            usleep(100_000)
            return
        }
        counters.withLock { $0.sessions += 1 }
        let soon = Date().timeIntervalSince1970 + 10
        guard (try? client.readUntil(deadline: soon, { $0.contains("new posts appear below") })) != nil else {
            return fail("greeting", "no greeting")
        }
        guard command(client, "/mode json", expect: "\"command\":\"mode\"") != nil else { return }

        guard logIn(client, number, names: &names, random: &random) else { return }
        for _ in 0..<(1 + random.below(20)) { act(client, number, random: &random) }
        leave(client, random: &random)
    }

    /// Registers a new account (always the first, then three times in ten) or logs in to an earlier one,
    /// now and then with a wrong password first; false when that failed.
    private func logIn(_ client: BlockingClient, _ number: Int, names: inout [String], random: inout SplitMix64)
        -> Bool
    {
        if names.isEmpty || random.chance(0.3) {
            let name = "r\(run)w\(worker)x\(number)"
            guard command(client, "/register \(name) \(Self.password)", expect: "\"type\":\"ok\"") != nil else {
                return false
            }
            names.append(name)
        } else {
            let name = names[random.below(names.count)]
            if random.chance(0.1) {
                command(client, "/login \(name) wrong-password", expect: "bad_login")
            }
            guard command(client, "/login \(name) \(Self.password)", expect: "\"type\":\"ok\"") != nil else {
                return false
            }
        }
        return true
    }

    /// One random thing a session does: post, read, list, toggle watching, or send something malformed.
    private func act(_ client: BlockingClient, _ number: Int, random: inout SplitMix64) {
        let roll = random.below(100)
        switch roll {
        case 0..<40:
            if command(client, "soak post \(worker)/\(number) \(random.below(1_000_000))", expect: "\"id\":")
                != nil
            {
                counters.withLock { $0.posts += 1 }
            }
        case 40..<55: command(client, "/feed \(1 + random.below(50))", expect: "\"command\":\"feed\"")
        case 55..<65: command(client, "/who", expect: "\"command\":\"who\"")
        case 65..<72:
            command(client, "/watch off", expect: "\"watching\":false")
            command(client, "/watch on", expect: "\"watching\":true")
        case 72..<77:
            client.sendBytes([0x68, 0xC3, 0x28, 0x0A])
            _ =
                (try? client.readUntil(deadline: Date().timeIntervalSince1970 + 10) { $0.contains("bad_utf8") })?
                .last
                ?? {
                    fail("no_reply", "bad utf8")
                    return ""
                }()
        case 77..<82: command(client, String(repeating: "z", count: 5000), expect: "line_too_long")
        case 82..<87: command(client, "/frobnicate", expect: "unknown_command")
        case 87..<92: command(client, "evil \u{1B}[2J", expect: "bad_text")
        default: command(client, "/help", expect: "\"command\":\"help\"")
        }
    }

    /// One random way to leave: `/quit`, a close, half a line, a half-close, a reset, or `/logout` first.
    private func leave(_ client: BlockingClient, random: inout SplitMix64) {
        switch random.below(6) {
        case 0:
            command(client, "/quit", expect: "\"command\":\"quit\"")
            if (try? client.readLine(deadline: Date().timeIntervalSince1970 + 10)) != nil { fail("quit", "not closed") }
        case 1: client.close()
        case 2:
            client.sendBytes(Array("half a line with no end".utf8))
            client.close()
        case 3:
            client.send("/who")
            client.shutdownWrite()
            // The reply comes, then the end of the stream.
            while (try? client.readLine(deadline: Date().timeIntervalSince1970 + 10)) != nil {}
        case 4: client.reset()
        default:
            command(client, "/logout", expect: "\"command\":\"logout\"")
            client.send("/login somebody")
            client.close()
        }
    }
}

enum Progress {
    static func say(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}
