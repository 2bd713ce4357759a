import Foundation
import MicroblogTestSupport

/// `login`: K accounts log in at once; how long until all are in. Password hashing (yescrypt, on a small
/// pool of threads) is the cost this shows, honestly: no shortcut is taken for the benchmark.
struct LoginScenario {
    let server: ServerUnderTest
    let count: Int

    func run() throws -> (seconds: Double, failures: Int) {
        let run = Int(Date().timeIntervalSince1970) % 100_000
        Progress.say("registering \(count) accounts")
        let clients = try accountClients(
            count, on: server, prefix: "l\(run)", password: "login-password", loggedOut: true)
        Progress.say("logging \(count) accounts in at once")
        let started = Date().timeIntervalSince1970
        for (index, client) in clients.enumerated() {
            client.send("/login l\(run)x\(index) login-password")
        }
        var failures = 0
        for client in clients {
            let line = try? client.readUntil(deadline: started + 300) { $0.hasPrefix("* ") || $0.hasPrefix("! ") }.last
            if line?.hasPrefix("* welcome") != true { failures += 1 }
        }
        return (Date().timeIntervalSince1970 - started, failures)
    }
}
