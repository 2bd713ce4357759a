import Foundation

/// `login`: K accounts log in at once; how long until all are in. Password hashing (yescrypt, on a small
/// pool of threads) is the cost this shows, honestly: no shortcut is taken for the benchmark.
struct LoginScenario {
    let server: ServerUnderTest
    let count: Int

    func run() throws -> (seconds: Double, failures: Int) {
        let run = Int(Date().timeIntervalSince1970) % 100_000
        var clients: [BlockingClient] = []
        Progress.say("registering \(count) accounts")
        for index in 0..<count {
            let client = try BlockingClient(host: server.host, port: server.port)
            let soon = Date().timeIntervalSince1970 + 60
            _ = client.readUntil(deadline: soon) { $0.contains("new posts appear below") }
            client.send(line: "/watch off")
            client.send(line: "/register l\(run)x\(index) login-password")
            client.send(line: "/logout")
            guard client.readUntil(deadline: soon, { $0.hasPrefix("* logged out") }) != nil else {
                throw BenchError("could not register login account \(index)")
            }
            clients.append(client)
        }
        Progress.say("logging \(count) accounts in at once")
        let started = Date().timeIntervalSince1970
        for (index, client) in clients.enumerated() {
            client.send(line: "/login l\(run)x\(index) login-password")
        }
        var failures = 0
        for client in clients {
            let line = client.readUntil(deadline: started + 300) { $0.hasPrefix("* ") || $0.hasPrefix("! ") }
            if line?.hasPrefix("* welcome back") != true { failures += 1 }
        }
        return (Date().timeIntervalSince1970 - started, failures)
    }
}
