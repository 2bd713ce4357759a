import Foundation
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

@Suite("End to end: the microblogd process")
struct ProcessTests {
    @Test func startsStopsOnSIGTERMAndKeepsPostsAcrossRestarts() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/process.db"
        let first = try MicroblogdProcess(arguments: ["--port", "0", "--db", database])
        #expect(first.firstLine.hasPrefix("microblogd 0.1.0 listening on 127.0.0.1:"))

        let alice = try TestClient(port: first.port)
        try alice.readUntil { $0.contains("new posts appear below") }
        alice.send("/register alice password1")
        try alice.readUntil { $0.contains("registered") }
        alice.send("durable, I hope")
        let ack = try alice.readLine()
        #expect(ack.hasPrefix("* posted #"))

        // A client that vanishes without reading must not kill the server (SIGPIPE is ignored).
        let rude = try TestClient(port: first.port)
        rude.send("/feed 200")
        _ = rude  // closed when it goes out of scope below, possibly mid-write

        #expect(first.stop(with: SIGTERM) == .exited(0))
        #expect(try alice.readUntilClosed().last == "* the server is shutting down; goodbye")
        let log = first.log
        #expect(log.contains("event=register"))
        #expect(log.contains("event=shutdown"))
        #expect(!log.contains("password1"))

        var attributes = stat()
        #expect(stat(database, &attributes) == 0)
        #expect(attributes.st_mode & 0o777 == 0o600)

        let second = try MicroblogdProcess(arguments: ["--port", "0", "--db", database])
        let reader = try TestClient(port: second.port)
        let greeting = try reader.readUntil { $0.contains("new posts appear below") }
        #expect(
            greeting.contains {
                $0.hasPrefix("#" + ack.dropFirst("* posted #".count) + " ") && $0.hasSuffix("alice: durable, I hope")
            })
        #expect(second.stop(with: SIGINT) == .exited(0))
    }

    /// Pinned to one processor (`taskset -c 0`), the server sends on one thread: a second would only take
    /// turns with it on that core. Without a pin it uses one per processor it may run on.
    @Test func sendThreadsFollowTheProcessorsTheServerMayUse() throws {
        let directory = try TemporaryDirectory()
        let pinned = try MicroblogdProcess(
            executable: MicroblogdProcess.builtExecutable,
            arguments: ["--port", "0", "--db", directory.path + "/a.db"],
            launcher: ["/usr/bin/taskset", "-c", "0"])
        #expect(waitUntil { pinned.log.contains("send_threads=1 ") }, "\(pinned.log)")
        #expect(pinned.stop() == .exited(0))
        let free = try MicroblogdProcess(arguments: ["--port", "0", "--db", directory.path + "/b.db"])
        let expected = min(4, ProcessSetup.usableProcessors)
        #expect(waitUntil { free.log.contains("send_threads=\(expected) ") }, "\(free.log)")
        #expect(free.stop() == .exited(0))
    }

    @Test func badOptionsSayWhatIsWrong() throws {
        let run = CleanSpawn.run(MicroblogdProcess.builtExecutable, ["--port", "seventy"])
        #expect(run.status == 2)
        #expect(run.output.contains("--port must be a number"), "\(run.output)")
    }

    @Test func aTakenPortLeavesNoDatabaseBehind() throws {
        let directory = try TemporaryDirectory()
        let first = try MicroblogdProcess(arguments: ["--port", "0", "--db", directory.path + "/first.db"])
        // The start line says where the plain door listens, and what an operator checks first.
        #expect(
            waitUntil {
                first.log.contains("event=start ") && first.log.contains(" address=127.0.0.1:\(first.port) ")
                    && first.log.contains(" plaintext_passwords=allow registration=open open_files_limit=")
            }, "\(first.log)")
        let run = CleanSpawn.run(
            MicroblogdProcess.builtExecutable, ["--port", String(first.port), "--db", directory.path + "/second.db"])
        #expect(run.status == 1)
        #expect(
            run.output.contains(
                "cannot listen on 127.0.0.1:\(first.port): another program (perhaps another microblogd)")
                && run.output.contains("choose another port with --port PORT (--port 0 picks a free one)"),
            "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/second.db"))
        // Another door's port: the hint names that door's option.
        let ssh = CleanSpawn.run(
            MicroblogdProcess.builtExecutable,
            ["--port", "0", "--ssh-port", String(first.port), "--db", directory.path + "/third.db"])
        #expect(ssh.status == 1)
        #expect(ssh.output.contains("choose another port with --ssh-port PORT"), "\(ssh.output)")
        #expect(first.stop() == .exited(0))
    }
}
