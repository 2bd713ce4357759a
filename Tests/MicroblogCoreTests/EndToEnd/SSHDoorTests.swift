import Foundation
import MicroblogTestSupport
import Testing

@testable import MicroblogCore

#if canImport(Glibc)
    import Glibc
#endif

/// The SSH door (issue 14), work in progress: what is tested here is all that exists so far. The port is
/// bound, the host key is created beside the database on first start (mode 0600) and kept across restarts,
/// its fingerprint is logged (`event=ssh_listening`), and the real `ssh` client completes the key exchange
/// against that key, then has its password denied (`event=ssh_auth_denied`): no login over SSH yet. The
/// end-to-end test the brief asks for (register over nc, log in over SSH, post, a plain watcher sees it)
/// comes with password auth and the session channel.
@Suite("End to end: the SSH door (work in progress)")
struct SSHDoorTests {
    @Test func theHostKeyIsMadeOnceLoggedAndServedButLoginsAreDeniedForNow() throws {
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

        // The real OpenSSH client, checking the host key against the file's: the key exchange completes
        // (a wrong key would end in "Host key verification failed"), then the password is denied.
        let knownHosts = directory.path + "/known_hosts"
        try "[127.0.0.1]:\(port) \(key.publicKeyLine)\n".write(toFile: knownHosts, atomically: true, encoding: .utf8)
        let askpass = directory.path + "/askpass"
        try "#!/bin/sh\necho password1\n".write(toFile: askpass, atomically: true, encoding: .utf8)
        #expect(chmod(askpass, 0o700) == 0)
        let client = try SSHClientProcess(
            port: Int(port),
            arguments: [
                "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1",
                "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts, "alice@127.0.0.1",
            ],
            environment: ["SSH_ASKPASS": askpass, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"])
        #expect(client.waitForExit() == 255)
        #expect(client.errors.contains("Permission denied"), "ssh said: \(client.errors)")
        #expect(waitUntil { log().contains("event=ssh_auth_denied") && log().contains("user=alice") }, "log: \(log())")
        #expect(first.stop() == .exited(0))

        try? FileManager.default.removeItem(atPath: logPath)
        let (second, again, _) = try start()
        #expect(again == fingerprint)
        #expect(second.stop() == .exited(0))
    }
}
