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

@Suite("Storage faults: each store failure has a kind")
struct StorageFaultKindTests {
    @Test func sqliteAndPostgresCodesMapToTheKinds() {
        let cases: [(StoreError, StorageFault)] = [
            (.sqlite(code: 13, message: "database or disk is full", context: "COMMIT"), .full),
            (.sqlite(code: 8, message: "attempt to write a readonly database", context: "INSERT"), .readOnly),
            (.sqlite(code: 8 | (4 << 8), message: "attempt to write a readonly database", context: "x"), .readOnly),
            (.sqlite(code: 11, message: "database disk image is malformed", context: "x"), .corrupt),
            (.sqlite(code: 26, message: "file is not a database", context: "x"), .corrupt),
            (.sqlite(code: 5, message: "database is locked", context: "x"), .busy),
            (.sqlite(code: 6, message: "database table is locked", context: "x"), .busy),
            (.sqlite(code: 14, message: "unable to open database file", context: "x"), .unreachable),
            (.sqlite(code: 10 | (3 << 8), message: "disk I/O error", context: "x"), .io),
            (
                .sqlite(
                    code: 10 | (3 << 8), message: "disk I/O error (errno 28: No space left on device)", context: "x"),
                .full
            ),
            (
                .sqlite(code: 10 | (3 << 8), message: "disk I/O error (errno 30: Read-only file system)", context: "x"),
                .readOnly
            ),
            (.closed, .unreachable),
            (.postgres(sqlstate: "53100", message: "could not extend file", context: "x"), .full),
            (
                .postgres(sqlstate: "25006", message: "cannot execute INSERT in a read-only transaction", context: "x"),
                .readOnly
            ),
            (.postgres(sqlstate: "08006", message: "server closed the connection", context: "x"), .unreachable),
            (.postgres(sqlstate: "57P01", message: "terminating connection", context: "x"), .unreachable),
            (.postgres(sqlstate: "40P01", message: "deadlock detected", context: "x"), .busy),
            (.postgres(sqlstate: "XX001", message: "invalid page in block", context: "x"), .corrupt),
            (.postgres(sqlstate: "42601", message: "syntax error", context: "x"), .other),
        ]
        for (error, kind) in cases {
            #expect(error.fault == kind, "\(error)")
        }
    }

    @Test func theWireErrorSaysTheKindInBothRenderings() {
        let error = WireError.storage(.full)
        #expect(error.code == .storage && error.reason == "full")
        let text = String(decoding: TextRenderer.render(.error(error, command: "post"), now: .now()), as: UTF8.self)
        #expect(text.contains("disk is full") && text.contains("(storage)"), "\(text)")
        let json = String(decoding: JSONRenderer.render(.error(error, command: "post")), as: UTF8.self)
        #expect(json.contains("\"command\":\"post\",\"code\":\"storage\",\"reason\":\"full\""), "\(json)")
        #expect(!json.contains("could not reach"))
    }
}
