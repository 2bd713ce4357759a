import Foundation
import MicroblogTestSupport

/// Opens `count` connections to `server`, each with a new account (`PREFIXxN`, with `password`) and the
/// live feed off, ready to post; with `loggedOut`, each logs out again, ready for a timed `/login`.
func accountClients(
    _ count: Int, on server: ServerUnderTest, prefix: String, password: String, loggedOut: Bool = false
) throws -> [BlockingClient] {
    var clients: [BlockingClient] = []
    for index in 0..<count {
        let client = try BlockingClient(port: server.port, host: server.host)
        let soon = Date().timeIntervalSince1970 + 60
        _ = try? client.readUntil(deadline: soon) { $0.contains("new posts appear below") }
        client.send("/watch off")
        client.send("/register \(prefix)x\(index) \(password)")
        if loggedOut { client.send("/logout") }
        let done = loggedOut ? "* logged out" : "* welcome"
        guard (try? client.readUntil(deadline: soon, { $0.hasPrefix(done) })) != nil else {
            throw BenchError("could not set up account \(prefix)x\(index)")
        }
        clients.append(client)
    }
    return clients
}
