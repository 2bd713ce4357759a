import Foundation
import MicroblogTestSupport
import Testing

@testable import MicroblogCore

#if canImport(Glibc)
    import Glibc
#endif

/// The SSH door (issue 14), work in progress: what is tested here is all that exists so far. The port is
/// bound, the host key is created beside the database on first start (mode 0600) and kept across restarts,
/// its fingerprint is logged (`event=ssh_listening`), and a connection to the port is closed at once
/// (`event=ssh_not_ready`). The end-to-end test with the real `ssh` client comes with `SSHConnection`.
@Suite("End to end: the SSH door (work in progress)")
struct SSHDoorTests {
    @Test func theHostKeyIsMadeOnceLoggedAndAConnectionIsClosedForNow() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path + "/test.db"
        let keyPath = SSHHostKey.defaultPath(forDatabase: database)
        let logPath = directory.path + "/server.log"
        func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        func start() throws -> (MicroblogdProcess, fingerprint: String, port: UInt16) {
            let process = try MicroblogdProcess(
                database: database, logPath: logPath, arguments: MicroblogdProcess.unlimited + ["--ssh-port", "0"])
            var found: (String, UInt16)?
            #expect(
                waitUntil {
                    found = log().matches(of: /event=ssh_listening address=127\.0\.0\.1:(\d+) fingerprint=(SHA256:\S+)/)
                        .last.flatMap { match in UInt16(match.1).map { (String(match.2), $0) } }
                    return found != nil
                }, "log: \(log())")
            let (fingerprint, port) = try #require(found)
            return (process, fingerprint, port)
        }

        let (first, fingerprint, port) = try start()
        let key = try SSHHostKey.load(path: keyPath)
        #expect(key.fingerprint == fingerprint)
        var status = stat()
        #expect(stat(keyPath, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)

        let client = try BlockingClient(port: port)
        _ = try client.readUntilClosed()
        #expect(waitUntil { log().contains("event=ssh_not_ready") }, "log: \(log())")
        #expect(first.stop() == .exited(0))

        try? FileManager.default.removeItem(atPath: logPath)
        let (second, again, _) = try start()
        #expect(again == fingerprint)
        #expect(second.stop() == .exited(0))
    }
}
