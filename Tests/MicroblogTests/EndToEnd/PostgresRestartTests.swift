import Foundation
import Synchronization
import Testing

@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogModel
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogServer
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL cluster of this test's own, so it can be restarted without disturbing other tests:
/// `initdb` into a temporary directory and `pg_ctl` on a free loopback port, run as the `postgres`
/// user (PostgreSQL refuses to run as root).
final class PrivatePostgresCluster {
    static var binaries: String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root))?.sorted() ?? []
        return versions.last.map { "\(root)/\($0)/bin" }
    }

    /// Root (to become `postgres`), PostgreSQL installed, and the PostgreSQL tests wanted.
    static var available: Bool { getuid() == 0 && binaries != nil && postgresTestURI != nil }

    let directory: String
    let port: UInt16
    let uri: String
    private let bin: String

    init() throws {
        bin = try #require(Self.binaries)
        directory = NSTemporaryDirectory() + "microblogd-pg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.ownerAccountName: "postgres"], ofItemAtPath: directory)
        port = try freeLoopbackPort()
        uri = "postgresql://postgres@127.0.0.1:\(port)/postgres"
        try run(
            "initdb",
            ["-D", directory + "/data", "--auth=trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"])
        try start()
    }

    deinit {
        try? run("pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    func start() throws {
        try run(
            "pg_ctl",
            [
                "-D", directory + "/data", "-l", directory + "/log", "-w", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1", "start",
            ])
    }

    func restart() throws {
        try run(
            "pg_ctl",
            [
                "-D", directory + "/data", "-l", directory + "/log", "-m", "fast", "-w", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1", "restart",
            ])
    }

    /// Runs a PostgreSQL tool as the postgres user and waits for it. With posix_spawn and waitpid rather
    /// than Foundation's Process, whose wait on Linux never ends while the server that `pg_ctl start`
    /// leaves running holds on to descriptors Process gave the child.
    private func run(_ tool: String, _ arguments: [String]) throws {
        let errorsPath = directory + "/\(tool).err"
        // In the cluster's directory: postgres may not be able to read the one the tests run in.
        let command =
            [
                "/usr/sbin/runuser", "-u", "postgres", "--", "/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory,
                "\(bin)/\(tool)",
            ]
            + arguments
        // Only the three standard descriptors: the suite's thousands of open sockets, inherited, are more
        // than runuser's session allows (initdb then failed with "Too many open files").
        let null = open("/dev/null", O_WRONLY)
        defer { close(null) }
        let errors = open(errorsPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(errors) }
        let pid = try CleanSpawn.start(command[0], Array(command.dropFirst()), output: null, errors: errors)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let message = (try? String(contentsOfFile: errorsPath, encoding: .utf8)) ?? ""
            throw TestFailure("\(tool) failed (status \(status)): \(message)")
        }
    }
}

@Suite(
    "Faults: PostgreSQL restarts under several nodes",
    .enabled(
        if: PrivatePostgresCluster.available,
        "needs root, PostgreSQL and MICROBLOG_TEST_POSTGRES (it starts a cluster of its own): skipped"))
struct PostgresRestartTests {
    @Test func nodesRecoverWithoutARestartAndLoseNoAcknowledgedPost() throws {
        let cluster = try PrivatePostgresCluster()
        let nodes = try (0..<2).map { _ in
            try TestServer {
                $0.databasePath = cluster.uri
                $0.settings.postRate = 0
                $0.statsInterval = 0
            }
        }
        let watcher = try nodes[1].greetedClient()
        let poster = try nodes[0].registeredClient("poster")
        let acknowledged = Mutex<[Int]>([])
        let refused = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let posting = poster
        DispatchQueue.global().async {
            var number = 0
            while !stop.load(ordering: .relaxed) && number < 2000 {
                number += 1
                posting.send("post \(number)")
                guard let line = try? posting.readUntil({ $0.hasPrefix("* posted #") || $0.hasPrefix("! ") }).last
                else { break }
                if line.hasPrefix("* posted #"), let id = Int(line.dropFirst("* posted #".count)) {
                    acknowledged.withLock { $0.append(id) }
                } else {
                    #expect(line.hasSuffix("(storage)"), "\(line)")
                    // A PostgreSQL going away is said so (SQLSTATE 57P01 or class 08), not as some other fault.
                    #expect(line.contains("could not reach its database"), "\(line)")
                    refused.add(1, ordering: .relaxed)
                    usleep(20_000)
                }
            }
            done.signal()
        }
        waitUntil(timeout: 20) { acknowledged.withLock { $0.count } >= 50 }
        try #require(
            acknowledged.withLock({ $0.count }) >= 50,
            "posting did not start: \(refused.load(ordering: .relaxed)) refused")
        try cluster.restart()
        // Posting goes on by itself: wait for 50 more acknowledgements after the restart.
        let afterRestart = acknowledged.withLock { $0.count }
        waitUntil(timeout: 20) { acknowledged.withLock { $0.count } >= afterRestart + 50 }
        stop.store(true, ordering: .relaxed)
        #expect(done.wait(timeout: .now() + 20) == .success)
        let ids = acknowledged.withLock { $0 }
        #expect(
            ids.count >= afterRestart + 50,
            "the node did not recover: \(ids.count) acknowledged, \(refused.load(ordering: .relaxed)) refused")

        // Every acknowledged post is in the database.
        let check = try PostgresConnection(uri: cluster.uri)
        defer { check.close() }
        let stored = Set(try check.statement("SELECT id FROM posts").rows([]) { Int($0.int64(at: 0)) })
        #expect(Set(ids).isSubset(of: stored), "lost: \(Set(ids).subtracting(stored).sorted().prefix(10))")
        // The watcher on the other node receives the last one (its listener came back and caught up).
        let last = try #require(ids.last)
        let seen = try watcher.readUntil(timeout: 20) { $0.hasPrefix("#\(last) ") }
        #expect(seen.last?.hasPrefix("#\(last) ") == true)
        // And both nodes still answer.
        for node in nodes {
            let client = try node.greetedClient()
            #expect(try client.run("/who").hasPrefix("* "))
        }
    }
}
