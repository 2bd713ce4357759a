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

/// A database the server cannot write is refused at start, with the file and the reason, instead of
/// starting and failing every post. Root writes files whatever their mode, so the file case runs the real
/// executable as `nobody` (`setpriv`); the file system case mounts a tmpfs and remounts it read-only.
@Suite("Faults: a database the server cannot write is refused at start")
struct UnwritableDatabaseTests {
    static let setpriv = "/usr/bin/setpriv"
    static let asNobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    static let canChangeUser = FaultMounts.isRoot && FileManager.default.isExecutableFile(atPath: setpriv)

    @Test(.enabled(if: canChangeUser, "needs root and setpriv to run the server as another user"))
    func aFileTheUserMayOnlyReadIsRefusedAndStartsOnceWritableAgain() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/owned.db"
        // nobody owns the directory and the file, as a deployment's service user would.
        chmod(directory.path, 0o755)
        chown(directory.path, 65534, 65534)
        let first = try MicroblogdProcess(arguments: ["--port", "0", "--db", database], launcher: Self.asNobody)
        let client = try TestClient(port: first.port)
        try client.readUntil { $0.contains("new posts appear below") }
        client.send("/register writer password1\nwritten before the chmod")
        try client.readUntil { $0.hasPrefix("* posted #") }
        #expect(first.stop() == .exited(0))

        chmod(database, 0o400)
        let refused = Self.run(Self.asNobody + [Self.binary, "--port", "0", "--db", database])
        #expect(refused.status == 1, "a read-only database must stop the start: \(refused)")
        #expect(refused.errors.contains("cannot start"), "\(refused.errors)")
        #expect(refused.errors.contains("read-only") && refused.errors.contains(database), "\(refused.errors)")

        // The refused start left -wal/-shm files with the read-only mode; they must not keep the next one read-only.
        chmod(database, 0o600)
        let again = try MicroblogdProcess(arguments: ["--port", "0", "--db", database], launcher: Self.asNobody)
        let writer = try TestClient(port: again.port)
        try writer.readUntil { $0.contains("new posts appear below") }
        writer.send("/login writer password1\nwritten after the chmod")
        try writer.readUntil { $0.hasPrefix("* posted #") }
        #expect(again.stop() == .exited(0))
    }

    @Test(.enabled(if: FaultMounts.isRoot, "needs root to mount a tmpfs"))
    func aReadOnlyFileSystemIsRefusedWithTheReason() throws {
        let directory = try TemporaryDirectory()
        try FaultMounts.mountOrCancel(["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", directory.path])
        defer { FaultMounts.unmount(directory.path) }
        let database = directory.path + "/on-tmpfs.db"
        let first = try MicroblogdProcess(arguments: ["--port", "0", "--db", database])
        #expect(first.stop() == .exited(0))
        let remount = FaultMounts.run("mount", ["-o", "remount,ro", directory.path])
        try #require(remount.status == 0, "cannot remount read-only: \(remount.output)")

        let refused = Self.run([Self.binary, "--port", "0", "--db", database])
        #expect(refused.status == 1, "a read-only file system must stop the start: \(refused)")
        #expect(
            refused.errors.contains("Read-only file system") && refused.errors.contains(database), "\(refused.errors)")
    }

    static var binary: String { MicroblogdProcess.builtExecutable }

    /// Runs a command to its end (the server exits at once when it refuses to start) and returns its
    /// status and what it wrote (standard output and error). A server that starts anyway is killed after
    /// 10 s and reported with status 124.
    static func run(_ command: [String]) -> (status: Int32, errors: String) {
        let run = CleanSpawn.run(command[0], Array(command.dropFirst()), timeout: 10)
        return (run.status, run.output)
    }
}
