import CLibSSH
import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
import MicroblogTestSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

#if canImport(Glibc)
    import Glibc
#endif

/// The real executable with its TLS and SSH doors, and the log lines that give their ports.
private final class SecureDoors {
    let files: TLSFiles
    let process: MicroblogdProcess
    let logPath: String
    let tlsPort: UInt16
    let sshPort: UInt16

    init(_ arguments: [String] = MicroblogdProcess.unlimited) throws {
        files = try TLSFiles()
        logPath = files.directory.path + "/server.log"
        process = try MicroblogdProcess(
            database: files.directory.path + "/test.db", logPath: logPath,
            arguments: arguments + [
                "--tls-port", "0", "--tls-cert", files.certificate, "--tls-key", files.key, "--ssh-port", "0",
                "--ssh-host-key", files.directory.path + "/host_key",
            ])
        var ports: (UInt16, UInt16)?
        let logPath = logPath
        _ = waitUntil {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let tls = log.firstMatch(of: /event=tls_listening address=127\.0\.0\.1:(\d+)/).flatMap({ UInt16($0.1) }),
                let ssh = log.firstMatch(of: /event=ssh_listening address=127\.0\.0\.1:(\d+)/).flatMap({ UInt16($0.1) })
            {
                ports = (tls, ssh)
            }
            return ports != nil
        }
        let found = try #require(ports)
        (tlsPort, sshPort) = found
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// What one `openssl s_client` run printed.
private func sClient(_ port: UInt16, _ options: [String]) -> String {
    // Without -quiet: s_client then ends at the end of its (empty) input, or when the handshake fails.
    CleanSpawn.run(OpenSSLTool.path, ["s_client", "-connect", "127.0.0.1:\(port)"] + options, timeout: 10).output
}

/// What `ssh` printed when told to use only `kex` (it never gets as far as logging in with a wrong one).
private func sshWith(kex: String, port: UInt16) -> String {
    CleanSpawn.run(
        "/usr/bin/ssh",
        [
            "-F", "/dev/null", "-p", "\(port)", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "KexAlgorithms=" + kex, "guest@127.0.0.1", "/help",
        ], timeout: 10
    ).output
}

@Suite(
    "End to end: a secure door's cost is fixed and budgeted",
    .enabled(if: OpenSSLTool.isAvailable && access("/usr/bin/ssh", X_OK) == 0, "needs openssl and ssh"))
struct SecureDoorCostTests {
    /// A client cannot pick a key exchange that costs the server a hundred times what it costs the client:
    /// no finite-field groups on either door (an 8192-bit one cost the server 130-255 ms a handshake).
    @Test func onlyFixedPriceKeyExchangesAreOffered() throws {
        let doors = try SecureDoors()
        let ffdhe = sClient(doors.tlsPort, ["-tls1_3", "-groups", "ffdhe8192"])
        #expect(ffdhe.contains("handshake failure"), "\(ffdhe)")
        let dhe = sClient(doors.tlsPort, ["-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"])
        #expect(dhe.contains("handshake failure"), "\(dhe)")
        // X25519 and P-256 are served: the greeting arrives.
        for group in ["X25519", "P-256"] {
            let served = try SClient(
                program: OpenSSLTool.path,
                arguments: ["s_client", "-connect", "127.0.0.1:\(doors.tlsPort)", "-quiet", "-groups", group])
            try served.client.readUntil { $0.contains("new posts appear below") }
        }
        for kex in ["diffie-hellman-group18-sha512", "diffie-hellman-group-exchange-sha256"] {
            // The client says so when the server's KEXINIT reaches it first; when the server reads the
            // client's first (a loaded machine), libssh ends the connection before sending its own, and
            // the client sees only the close. Either way no key is exchanged and no session starts.
            let refused = sshWith(kex: kex, port: doors.sshPort)
            #expect(
                refused.contains("no matching key exchange method")
                    || refused.contains("Connection closed by 127.0.0.1"), "\(kex): \(refused)")
            #expect(!refused.contains("/register"), "\(kex): \(refused)")
        }
        let served = sshWith(kex: "curve25519-sha256", port: doors.sshPort)
        #expect(served.contains("/register"), "\(served)")
        #expect(doors.process.stop() == .exited(0))
    }

    /// Each connection to a secure door starts a key exchange; an address has `--handshake-rate` of them a
    /// minute. Past it, the connection is closed before anything is computed, with a log line, and other
    /// addresses and the plain door are not held back.
    @Test func handshakesFromOneAddressDrawOnItsBudget() throws {
        let budget = 4
        let doors = try SecureDoors(MicroblogdProcess.unlimited + ["--handshake-rate", "\(budget)"])
        // The budget is the address's, for both doors: each door is tried from an address of its own.
        for (door, port, address) in [("tls", doors.tlsPort, "127.0.0.3"), ("ssh", doors.sshPort, "127.0.0.4")] {
            // Within the budget: open and waiting for the handshake (SSH says its version at once).
            var waiting: [BlockingClient] = []
            for _ in 0..<budget {
                let client = try BlockingClient(port: port, source: address)
                if door == "ssh" { #expect(try client.readLine().hasPrefix("SSH-2.0-")) }
                waiting.append(client)
            }
            // Over it: closed at once, nothing said.
            let over = try BlockingClient(port: port, source: address)
            #expect(try over.readBytesUntilClosed().isEmpty)
            // Another address still gets in.
            let other = try BlockingClient(port: port, source: "127.0.0.2")
            if door == "ssh" { #expect(try other.readLine().hasPrefix("SSH-2.0-")) }
            #expect(
                waitUntil {
                    doors.log.contains("reason=handshake_budget door=\(door)")
                }, "log: \(doors.log)")
            for client in waiting { client.close() }
            other.close()
        }
        // The plain door has no handshake: the same address is served there.
        let plain = try BlockingClient(port: doors.process.port)
        try plain.readUntil { $0.contains("new posts appear below") }
        #expect(doors.process.stop() == .exited(0))
    }

    /// Every handshake that does not finish leaves a (rate-limited) log line, a reset one too.
    @Test func anAbortedHandshakeIsLogged() throws {
        let doors = try SecureDoors()
        let client = try BlockingClient(port: doors.tlsPort)
        _ = client.send("\u{16}\u{03}\u{01}")  // the start of a TLS record, then a reset
        client.reset()
        #expect(waitUntil { doors.log.contains("event=tls_handshake_failed") }, "log: \(doors.log)")
        #expect(doors.process.stop() == .exited(0))
    }

    /// Every SSH message counts against the connection's command rate, refused ones included: a guest
    /// that floods channel opens (all but two are refused) is slowed to the rate, not served at once.
    @Test func sshMessagesCountAgainstTheCommandRate() throws {
        let rate = 20
        let doors = try SecureDoors([
            "--max-connections-per-ip", "0", "--handshake-rate", "0", "--command-rate", "\(rate)",
            "--command-burst", "\(rate)",
        ])
        _ = ssh_init()
        let session = try #require(ssh_new())
        defer {
            ssh_disconnect(session)
            ssh_free(session)
        }
        var port = UInt32(doors.sshPort)
        _ = ssh_options_set(session, SSH_OPTIONS_HOST, "127.0.0.1")
        _ = ssh_options_set(session, SSH_OPTIONS_PORT, &port)
        _ = ssh_options_set(session, SSH_OPTIONS_USER, "flooder")
        var timeout = 10
        _ = ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout)
        #expect(ssh_connect(session) == SSH_OK)
        #expect(ssh_userauth_none(session, nil) == SSH_AUTH_SUCCESS.rawValue)
        let attempts = 3 * rate
        let started = MonotonicClock.now()
        var opened: [ssh_channel] = []
        var refused = 0
        for _ in 0..<attempts {
            guard let channel = ssh_channel_new(session) else { break }
            if ssh_channel_open_session(channel) == SSH_OK {
                opened.append(channel)
            } else {
                refused += 1
                ssh_channel_free(channel)
            }
        }
        let elapsed = MonotonicClock.now() - started
        #expect(opened.count == SSHConnection.maxChannels)
        #expect(refused == attempts - SSHConnection.maxChannels)
        // The auth request and the first `rate` opens use the burst; the other 2 × rate - 1 come at `rate`
        // a second, so they cannot all be answered in less than about 2 s (unthrottled: a few ms).
        #expect(elapsed > 1.5, "\(attempts) channel opens answered in \(elapsed) s")
        for channel in opened { ssh_channel_free(channel) }
        #expect(doors.process.stop() == .exited(0))
    }

    /// A user name of any length is refused without a look-up, and logged cut to `Logger.maxFieldBytes`.
    @Test func aLongSSHUserNameIsCutInTheLog() throws {
        let doors = try SecureDoors()
        let name = String(repeating: "n", count: 100_000)
        let run = CleanSpawn.run(
            "/usr/bin/ssh",
            [
                "-F", "/dev/null", "-p", "\(doors.sshPort)", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-l", name, "127.0.0.1", "/help",
            ], timeout: 10
        )
        #expect(run.status == 255, "\(run.output.suffix(300))")
        #expect(waitUntil { doors.log.contains("reason=name_too_long") })
        #expect(doors.process.stop() == .exited(0))
        let longest = doors.log.split(separator: "\n").map(\.utf8.count).max() ?? 0
        #expect(longest < 1000, "a log line of \(longest) bytes")
        #expect(doors.log.contains("...(100000 bytes)"))
    }
}
