import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

#if canImport(Glibc)
    import Glibc
#endif

/// When the process runs out of descriptors, the listening socket stays readable with connections the
/// server cannot take; it must pause accepting (not spin a core) and resume once descriptors free up.
@Suite("Faults: out of descriptors")
struct DescriptorLimitTests {
    /// User plus system CPU time of `pid` in seconds, from /proc/PID/stat.
    static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func setDescriptorLimit(_ pid: Int32, _ limit: Int) throws {
        let run = CleanSpawn.run("/usr/bin/prlimit", ["--pid", String(pid), "--nofile=\(limit):\(limit)"])
        guard run.status == 0 else { throw TestFailure("prlimit failed: \(run.status) \(run.output)") }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "needs prlimit"))
    func runningOutOfDescriptorsPausesAcceptingWithoutSpinning() throws {
        let directory = try TemporaryDirectory()
        let server = try MicroblogdProcess(
            database: directory.path + "/emfile.db", logPath: directory.path + "/server.log")
        // Open the database files and Dispatch's lazily created descriptors first.
        let warm = try TestClient(port: server.port)
        try warm.readUntil { $0.contains("new posts appear below") }
        warm.send("/quit")
        _ = try warm.readUntilClosed()
        let inUse = try DescriptorCount.wait(pid: server.pid, timeout: 10) { $0.sockets.count == 1 }.targets.count
        // Room for three connections, then the process is out of descriptors.
        try Self.setDescriptorLimit(server.pid, inUse + 3)
        defer { try? Self.setDescriptorLimit(server.pid, 1024) }

        var served: [TestClient] = []
        for _ in 0..<3 {
            let client = try TestClient(port: server.port)
            try client.readUntil { $0.contains("new posts appear below") }
            served.append(client)
        }
        // These are queued by the kernel, and the server cannot accept them.
        let waiting = try (0..<4).map { _ in try TestClient(port: server.port) }
        let log = directory.path + "/server.log"
        let ranOut = waitUntil(timeout: 10) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("pausing accepts")
        }
        guard ranOut else { throw TestFailure("the server never reported running out") }
        // Spinning on the readable listener would burn a whole core; pausing costs next to nothing.
        let before = try #require(Self.cpuSeconds(server.pid))
        let window = 1.0
        usleep(UInt32(window * 1_000_000))
        let used = try #require(Self.cpuSeconds(server.pid)) - before
        #expect(used < window / 4, "the server used \(used) s of CPU in \(window) s while out of descriptors")
        // It retries ten times a second; the log gets the rate limiter's budget of those lines, not all.
        let retries = Int(window * 10)
        let acceptLines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.contains("event=accept ") }
        #expect(
            acceptLines.count <= LogRateLimiter.defaultBudget && retries > LogRateLimiter.defaultBudget,
            "\(acceptLines.count) accept lines in about \(window) s out of descriptors")

        // Free descriptors: the queued connections are accepted and greeted.
        for client in served {
            client.send("/quit")
            _ = try client.readUntilClosed()
        }
        for client in waiting.prefix(3) {
            try client.readUntil { $0.contains("new posts appear below") }
        }
        #expect(server.stop(with: SIGTERM) == .init(reason: .exit, code: 0))
    }
}
