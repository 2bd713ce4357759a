import Foundation
import MicroblogTestSupport

/// A plain-port session in JSON mode, as the attackers, the seeders and the probe use it: connect from a
/// source address, wait for the greeting, switch to JSON with the live feed off, then send command lines
/// and wait for the `ok` or `error` that ends each. Used by one thread at a time.
final class WireSession {
    let client: BlockingClient

    /// Connects from `source` (with a small receive buffer when `receiveBuffer` is given) and gets the
    /// session ready: greeting read, JSON mode, `/watch off`.
    init(target: AttackTarget, source: String, receiveBuffer: Int32? = nil, timeout: Double = 30) throws {
        client = try BlockingClient(port: target.port, host: target.host, receiveBuffer: receiveBuffer, source: source)
        let deadline = Date().timeIntervalSince1970 + timeout
        try client.readUntil(deadline: deadline) { $0.contains("new posts appear below") }
        try client.switchToJSON()
        _ = try command("/watch off", timeout: timeout)
    }

    /// Sends `line` and returns the `ok` or `error` object that ends its reply.
    func command(_ line: String, timeout: Double = 30) throws -> [String: Any] {
        client.send(line)
        return try reply(timeout: timeout)
    }

    /// The next `ok` or `error` object, skipping everything else (items, notifications, notices).
    func reply(timeout: Double = 30) throws -> [String: Any] {
        try client.readJSONUntil(timeout: timeout) { Self.endsReply($0) }.last ?? [:]
    }

    /// Sends `lines` at once (pipelined) and returns the objects that end their replies, in order.
    func pipeline(_ lines: [String], timeout: Double = 60) throws -> [[String: Any]] {
        client.sendBytes(Array(lines.map { $0 + "\n" }.joined().utf8))
        var replies: [[String: Any]] = []
        let deadline = Date().addingTimeInterval(timeout)
        while replies.count < lines.count {
            replies.append(try reply(timeout: max(0.001, deadline.timeIntervalSinceNow)))
        }
        return replies
    }

    /// Registers `name` with `password`, or logs in when it exists; throws unless one of them worked.
    func registerOrLogIn(_ name: String, password: String) throws {
        let registered = try command("/register \(name) \(password)")
        if Self.isOK(registered) { return }
        let login = try command("/login \(name) \(password)")
        guard Self.isOK(login) else {
            throw BenchError("could not register or log in \(name): \(registered) / \(login)")
        }
    }

    /// Logs in as `name`; throws unless it worked.
    func logIn(_ name: String, password: String) throws {
        let login = try command("/login \(name) \(password)")
        guard Self.isOK(login) else { throw BenchError("could not log in \(name): \(login)") }
    }

    static func endsReply(_ object: [String: Any]) -> Bool {
        let type = object["type"] as? String
        return type == "ok" || type == "error"
    }

    static func isOK(_ object: [String: Any]) -> Bool { object["type"] as? String == "ok" }

    /// `ok`, or the error's code: the name a reply is counted under.
    static func outcome(_ object: [String: Any]) -> String {
        isOK(object) ? "ok" : (object["code"] as? String ?? "error")
    }
}
