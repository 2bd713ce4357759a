import CLibPQ
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// LISTEN and NOTIFY: the channels this connection listens to, and what arrives on them.
extension PostgresConnection {
    /// Listens to `channel` (any text; it is quoted here), so `notifications()` returns what is sent to it.
    func listen(_ channel: String) throws {
        try execute("LISTEN \(try quotedIdentifier(channel))")
        channels.insert(channel)
    }

    /// Sends `payload` to the listeners of `channel`, with `pg_notify`, so both are bound, never spliced into
    /// SQL. Inside a transaction it is delivered on commit. PostgreSQL limits a payload to 8000 bytes.
    func notify(_ channel: String, payload: String) throws {
        try statement("SELECT pg_notify(?, ?)").run([.text(channel), .text(payload)])
    }

    /// The notifications that arrived for this connection's channels, oldest first; empty when none did.
    /// Reads what the socket has without blocking. Throws when the connection is gone (08006).
    func notifications() throws -> [(channel: String, payload: String)] {
        let connection = try liveConnection()
        guard PQconsumeInput(connection) == 1 else {
            throw StoreError.postgres(
                sqlstate: "08006", message: Self.errorMessage(of: connection), context: "read notifications")
        }
        var received: [(channel: String, payload: String)] = []
        while let notification = PQnotifies(connection) {
            defer { PQfreemem(notification) }
            let channel = notification.pointee.relname.map { String(cString: $0) } ?? ""
            let payload = notification.pointee.extra.map { String(cString: $0) } ?? ""
            received.append((channel: channel, payload: payload))
        }
        return received
    }

    func quotedIdentifier(_ name: String) throws -> String {
        let connection = try liveConnection()
        guard let quoted = PQescapeIdentifier(connection, name, name.utf8.count) else {
            throw StoreError.misuse(Self.errorMessage(of: connection), context: "LISTEN")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }
}
