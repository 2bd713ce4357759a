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

@Suite("End to end: --proxy-protocol")
struct ProxyProtocolTests {
    private func proxied(_ configure: @escaping (inout ServerConfiguration) -> Void = { _ in }) throws -> (
        TestServer, LogCapture
    ) {
        let capture = LogCapture()
        let server = try TestServer(log: capture.logger()) {
            $0.proxyProtocol = true
            $0.statsInterval = 0
            configure(&$0)
        }
        return (server, capture)
    }

    @Test func theHeadersAddressIsTheClientsInTheLog() throws {
        let (server, capture) = try proxied()
        let client = try server.client()
        // The header and the first command in one packet, as a proxy may send them.
        client.send("PROXY TCP4 203.0.113.7 127.0.0.1 51000 4242\r\n/register alice password1", ending: "\r\n")
        try client.readUntil { $0.contains("new posts appear below") }
        try client.readUntil { $0.contains("you are registered and logged in") }
        let connect = try capture.waitFor("the connect line") { $0.contains("event=connect") }
        #expect(connect.contains(" peer=203.0.113.7:51000 proxy=127.0.0.1:"), "\(connect)")
        let register = try capture.waitFor("the register line") { $0.contains("event=register") }
        #expect(register.contains("peer=203.0.113.7:51000"))

        let six = try server.client()
        six.send("PROXY TCP6 2001:db8::1 ::1 40000 4242", ending: "\r\n")
        try six.readUntil { $0.contains("new posts appear below") }
        try capture.waitFor("the IPv6 client") { $0.contains("peer=[2001:db8::1]:40000") }
    }

    @Test func perAddressLimitsCountTheClientNotTheProxy() throws {
        let (server, _) = try proxied { $0.settings.maxConnectionsPerIP = 1 }
        let first = try server.client()
        first.send("PROXY TCP4 198.51.100.1 127.0.0.1 1000 4242", ending: "\r\n")
        try first.readUntil { $0.contains("new posts appear below") }
        let again = try server.client()
        again.send("PROXY TCP4 198.51.100.1 127.0.0.1 1001 4242", ending: "\r\n")
        #expect(try again.readUntilClosed().last?.hasSuffix("(too_many_connections)") == true)
        let other = try server.client()
        other.send("PROXY TCP4 198.51.100.2 127.0.0.1 1002 4242", ending: "\r\n")
        try other.readUntil { $0.contains("new posts appear below") }
        // UNKNOWN (a proxy's health check) stands for the proxy's own address.
        let check = try server.client()
        check.send("PROXY UNKNOWN", ending: "\r\n")
        try check.readUntil { $0.contains("new posts appear below") }
    }

    @Test func aConnectionWithoutAValidHeaderIsClosedWithALogLine() throws {
        let (server, capture) = try proxied()
        let plain = try server.client()
        plain.send("/who")
        #expect(try plain.readBytesUntilClosed().isEmpty, "no reply: it is not a client we can talk to")
        let line = try capture.waitFor("the refusal") { $0.contains("event=proxy_header_invalid") }
        #expect(line.contains("reason=\"not a PROXY header\""), "\(line)")
        let overlong = try server.client()
        overlong.send("PROXY TCP4 " + String(repeating: "1", count: 120))
        #expect(try overlong.readBytesUntilClosed().isEmpty)
        try server.waitFor("both closed") { $0.connections == 0 }
    }

    @Test func withoutTheOptionAProxyLineIsAnUnknownCommand() throws {
        let server = try TestServer()
        let client = try server.greetedClient()
        // Ordinary input: a line without a slash is a post, which a guest may not make.
        let reply = try client.run("PROXY TCP4 203.0.113.7 127.0.0.1 51000 4242")
        #expect(reply.hasSuffix("(not_logged_in)"), "\(reply)")
        #expect(try client.run("/who").hasPrefix("* "))
    }
}
