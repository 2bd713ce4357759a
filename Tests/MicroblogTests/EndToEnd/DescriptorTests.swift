import Dispatch
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Clients that vanish, reset, half-close or never read must not leave descriptors or sessions behind.
/// Runs the real process, so its descriptor count is its own and not disturbed by tests in parallel.
@Suite("Faults: misbehaving connections leak no descriptors")
struct DescriptorTests {
    static let rounds = 12
    static let threads = 4

    @Test func misbehavingConnectionsLeaveNoDescriptorsOrSessionsBehind() throws {
        let directory = try TemporaryDirectory()
        let server = try MicroblogdProcess(
            database: directory.path + "/descriptors.db", logPath: directory.path + "/server.log")
        let port = server.port

        // The process inherits nothing (see CleanSpawn), so its one socket at the start is the listener.
        guard let started = DescriptorCount(pid: server.pid) else { throw TestFailure("cannot read /proc") }
        #expect(started.sockets.count == 1, "\(started.targets)")
        // Warm up every lazily opened descriptor (database files, timers, hashing) before the baseline,
        // which is taken once the warm-up connections are gone.
        try warmUp(port: port)
        let baseline = try DescriptorCount.wait(pid: server.pid, timeout: 10) { $0.sockets == started.sockets }

        // Clients that never read while posts flow: small receive buffers, so the server's own output
        // buffering and back-pressure run.
        var silent: [TestClient] = []
        for index in 0..<8 {
            let client = try TestClient(port: port)
            DescriptorTests.setReceiveBuffer(client.fd, bytes: 64 * 1024)
            for _ in 0..<30 { client.send("/feed 200") }
            if index % 2 == 1 { client.shutdownWrite() }
            silent.append(client)
        }

        let failures = FailureList()
        let group = DispatchGroup()
        group.enter()
        Thread {
            do { try DescriptorTests.postLoudly(port: port, posts: 600) } catch {
                failures.add("poster: \(error)")
            }
            group.leave()
        }.start()
        for thread in 0..<Self.threads {
            group.enter()
            Thread {
                for round in 0..<Self.rounds {
                    for kind in Misbehaviour.allCases {
                        do { try kind.run(port: port, tag: "\(thread)_\(round)") } catch {
                            failures.add("\(kind) \(thread)/\(round): \(error)")
                        }
                    }
                }
                group.leave()
            }.start()
        }
        let finished = group.wait(timeout: .now() + 40) == .success
        #expect(finished, "the misbehaving clients did not finish in time")
        // Leave with unread data pending: the kernel resets these connections.
        silent.removeAll()
        #expect(failures.all.isEmpty, "\(failures.all.prefix(5))")

        let settled = try? DescriptorCount.wait(pid: server.pid, timeout: 15) { $0.targets == baseline.targets }
        let now = DescriptorCount(pid: server.pid)
        #expect(
            settled != nil,
            "descriptors did not return to the baseline of \(baseline.targets.count): now \(now?.targets.count ?? -1), extra: \(now.map { baseline.extra(in: $0) } ?? [])"
        )

        // A normal client still works, and every misbehaving session has been forgotten.
        let client = try TestClient(port: port)
        try client.readUntil { $0.contains("new posts appear below") }
        try client.switchToJSON()
        client.send("/login fd_warm password1")
        let login = try client.readJSONUntil { ["ok", "error"].contains($0["type"] as? String) }
        #expect(login.last?["type"] as? String == "ok", "\(login.last ?? [:])")
        client.send("/watch off")
        try client.readJSONUntil { ["ok", "error"].contains($0["type"] as? String) }
        client.send("still here")
        let posted = try client.readJSONUntil { ["ok", "error"].contains($0["type"] as? String) }
        #expect(posted.last?["type"] as? String == "ok", "\(posted.last ?? [:])")
        client.send("/who")
        let who = try client.readJSONUntil { ["ok", "error"].contains($0["type"] as? String) }.last ?? [:]
        #expect(jsonInt(who["users"]) == 1 && jsonInt(who["guests"]) == 0, "sessions left behind: \(who)")

        #expect(server.stop(with: SIGTERM)?.code == 0)
    }

    /// A session of every kind the server has: register, post, feed, a password prompt, quit.
    private func warmUp(port: UInt16) throws {
        let first = try TestClient(port: port)
        try first.readUntil { $0.contains("new posts appear below") }
        first.send("/register fd_warm password1")
        try first.readUntil { $0.contains("you are registered") }
        first.send("warming up")
        try first.readUntil { $0.hasPrefix("* posted") }
        first.send("/feed 5")
        try first.readUntil { $0.hasPrefix("* 1 post") }
        let second = try TestClient(port: port)
        try second.readUntil { $0.contains("new posts appear below") }
        second.send("/login fd_warm")
        try second.readUntilBytes(Array("Password: ".utf8))
        second.send("password1")
        try second.readUntil { $0.hasPrefix("* welcome back") }
        for client in [first, second] {
            client.send("/quit")
            _ = try client.readUntilClosed()
        }
    }

    /// One client posting, so live posts flow to every watching session.
    private static func postLoudly(port: UInt16, posts: Int) throws {
        let client = try TestClient(port: port)
        try client.readUntil { $0.contains("new posts appear below") }
        client.send("/register fd_loud password1")
        try client.readUntil { $0.contains("you are registered") }
        client.send("/watch off")
        try client.readUntil { $0.hasPrefix("* live feed off") }
        var sent = 0
        var answered = 0
        while answered < posts {
            if sent < posts && sent - answered < 40 {
                var bytes: [UInt8] = []
                for _ in 0..<10 {
                    bytes += Array(
                        "a live post for everyone, number \(sent) \(String(repeating: "~", count: 150))\n".utf8)
                    sent += 1
                }
                client.sendBytes(bytes)
            }
            let line = try client.readLine()
            if line.hasPrefix("* posted #") {
                answered += 1
            } else if line.hasPrefix("! ") {
                throw TestFailure("post refused: \(line)")
            }
        }
        client.send("/quit")
        _ = try client.readUntilClosed()
    }

    static func setReceiveBuffer(_ fd: Int32, bytes: Int32) {
        var size = bytes
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
}

/// Failures seen on worker threads, reported by the test's own thread.
final class FailureList: Sendable {
    private let list = Mutex<[String]>([])
    func add(_ failure: String) { list.withLock { $0.append(failure) } }
    var all: [String] { list.withLock { $0 } }
}

/// Ways a client can leave badly. Each opens one connection and abandons it.
enum Misbehaviour: CaseIterable {
    case closeRightAfterConnect
    case closeMidLine
    case halfCloseAfterCommand
    case halfCloseAndNeverRead
    case resetMidPipeline
    case vanishAtPasswordPrompt
    case vanishAtRegisterPrompt
    case resetWhileLoginIsHashed
    case vanishInTelnetNegotiation
    /// The greeting arrives and is left unread, then half a line and a close: the close is a reset
    /// (unread data), arriving with the half line. The server once heard only the bytes.
    case resetWithTheGreetingUnread

    func run(port: UInt16, tag: String) throws {
        let client = try TestClient(port: port)
        switch self {
        case .closeRightAfterConnect:
            break
        case .closeMidLine:
            client.send("/feed before 12", ending: "")
        case .halfCloseAfterCommand:
            client.send("/who")
            client.shutdownWrite()
            // The server answers what it received, then closes.
            let lines = try client.readUntilClosed()
            guard lines.contains(where: { $0.contains(" online, ") }) else {
                throw TestFailure("no /who reply before the close: \(lines.suffix(3))")
            }
        case .halfCloseAndNeverRead:
            client.send("/feed 200")
            client.send("/help")
            client.shutdownWrite()
        case .resetMidPipeline:
            client.sendBytes(Array("/feed 200\n/who\n/help\n/feed since 0 200\nnot logged in\n/feed 5".utf8))
            reset(client)
        case .vanishAtPasswordPrompt:
            try client.readUntil { $0.contains("new posts appear below") }
            client.send("/login fd_warm")
            try client.readUntilBytes(Array("Password: ".utf8))
        case .vanishAtRegisterPrompt:
            try client.readUntil { $0.contains("new posts appear below") }
            client.send("/register ghost_\(tag)")
            try client.readUntilBytes(Array("Choose a password: ".utf8))
        case .resetWhileLoginIsHashed:
            client.send("/login fd_warm password1\r\n/feed 200\r\n")
            reset(client)
        case .vanishInTelnetNegotiation:
            // IAC DO ECHO, IAC WILL NAWS, then a subnegotiation that never ends.
            client.sendBytes([255, 253, 1, 255, 251, 31, 255, 250, 31, 0, 80])
        case .resetWithTheGreetingUnread:
            // Peek (so it stays unread) until the whole greeting is here.
            var peeked = [UInt8](repeating: 0, count: 4096)
            let greeted = waitUntil(timeout: 10) {
                let count = recv(client.fd, &peeked, peeked.count, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT))
                return count > 0
                    && String(decoding: peeked[0..<count], as: UTF8.self).contains("new posts appear below")
            }
            guard greeted else { throw TestFailure("no greeting to leave unread") }
            client.send("/feed before 12", ending: "")
        }
    }

    /// SO_LINGER {1, 0}: the close sends a reset instead of a FIN.
    private func reset(_ client: TestClient) {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }
}

/// The open descriptors of a process, from /proc/PID/fd.
struct DescriptorCount {
    /// What each descriptor points at (`socket:[1234]`, a path, `anon_inode:[eventfd]`), sorted.
    var targets: [String]
    var sockets: [String] { targets.filter { $0.hasPrefix("socket:") } }

    init?(pid: Int32) {
        let directory = "/proc/\(pid)/fd"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        // A descriptor may close between the listing and the readlink; it is then not counted.
        targets = names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + $0) }
            .sorted()
    }

    /// The descriptors open in `other` beyond these.
    func extra(in other: DescriptorCount) -> [String] {
        var remaining = targets
        return other.targets.filter { target in
            guard let index = remaining.firstIndex(of: target) else { return true }
            remaining.remove(at: index)
            return false
        }
    }

    /// Waits until `condition` holds; throws at the deadline.
    static func wait(pid: Int32, timeout: Double, _ condition: (DescriptorCount) -> Bool) throws -> DescriptorCount {
        var last: DescriptorCount?
        let settled = waitUntil(timeout: timeout) {
            last = DescriptorCount(pid: pid)
            return last.map(condition) ?? false
        }
        guard settled, let last else { throw TestFailure("descriptors never settled: \(last?.targets ?? [])") }
        return last
    }
}
