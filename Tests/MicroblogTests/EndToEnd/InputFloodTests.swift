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

#if canImport(Glibc)
    import Glibc
#endif

/// Input that makes the server answer, sent by clients that never read the answers: telnet commands
/// (AYT, WILL, DO), Tabs in character mode and bad commands. Whatever the kind, the output queued for one
/// connection stays within `--output-limit` plus what one input slice can provoke, the flooder is no
/// longer read (the kernel pushes back on it), and everyone else is still served.
@Suite("End to end: floods of input that provoke output")
struct InputFloodTests {
    static let outputLimit = 64 * 1024
    /// What one slice of input (`Microblog.inputSliceBytes`) can add beyond the limit, with room to spare.
    static let slack = 32 * 1024

    static let floods: [(name: String, pattern: [UInt8])] = [
        ("IAC AYT", [Telnet.iac, Telnet.ayt]),
        ("IAC WILL x", [Telnet.iac, Telnet.will, 99]),
        ("IAC DO x", [Telnet.iac, Telnet.do, 99]),
        ("unknown commands", Array("/nosuch\n".utf8)),
        ("bad UTF-8 lines", [0xC3, 0x28, 10]),
    ]

    @Test(arguments: floods.indices)
    func aFloodThatIsNotReadIsBounded(_ index: Int) throws {
        let (name, pattern) = Self.floods[index]
        let server = try TestServer {
            $0.settings.outputLimit = Self.outputLimit
            $0.settings.socketSendBuffer = 64 * 1024
            $0.settings.commandRate = 0
            $0.settings.postRate = 0
        }
        let flooder = try TestClient(port: server.port, receiveBuffer: 64 * 1024)
        let sent = flood(flooder, with: pattern, upTo: 32 << 20, seconds: 8)
        // The server stopped reading long before 32 MiB: without the bound every byte would have been read.
        #expect(sent < 32 << 20, "\(name): the server read all \(sent) bytes")
        let stats = server.server.stats()
        #expect(
            stats.largestPendingOutput <= Self.outputLimit + Self.slack,
            "\(name): \(stats.largestPendingOutput) bytes queued for one connection")
        // Another person is served as usual meanwhile.
        let other = try server.registeredClient("bystander")
        #expect(try other.run("still here").hasPrefix("* posted"))
    }

    /// Tab presses in character mode each answer with a list of completions.
    @Test func tabsInCharacterModeAreBounded() throws {
        let server = try TestServer {
            $0.settings.outputLimit = Self.outputLimit
            $0.settings.socketSendBuffer = 64 * 1024
            $0.settings.commandRate = 0
        }
        let flooder = try TestClient(port: server.port, receiveBuffer: 64 * 1024)
        try flooder.readUntil { $0.contains("new posts appear below") }
        // A telnet client's first line: the server offers character mode; agree to it.
        flooder.send("", ending: "\r\n")
        try flooder.readUntilBytes([Telnet.iac, Telnet.will, Telnet.optionSuppressGoAhead])
        flooder.sendBytes([
            Telnet.iac, Telnet.do, Telnet.optionEcho, Telnet.iac, Telnet.do, Telnet.optionSuppressGoAhead,
        ])
        flooder.sendBytes(Array("/".utf8))
        try flooder.readUntilBytes(Array("/".utf8))
        let sent = flood(flooder, with: [9], upTo: 32 << 20, seconds: 8)
        #expect(sent < 32 << 20)
        #expect(server.server.stats().largestPendingOutput <= Self.outputLimit + Self.slack)
        let other = try server.registeredClient("bystander")
        #expect(try other.run("still here").hasPrefix("* posted"))
    }

    /// Sends `pattern` over and over without reading, until `limit` bytes are sent, `seconds` pass, or
    /// the socket has taken nothing for half a second (the server no longer reads). Returns the bytes sent.
    private func flood(_ client: TestClient, with pattern: [UInt8], upTo limit: Int, seconds: Double) -> Int {
        let flags = fcntl(client.fd, F_GETFL)
        _ = fcntl(client.fd, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(client.fd, F_SETFL, flags) }
        var chunk: [UInt8] = []
        while chunk.count < 16 * 1024 { chunk += pattern }
        let deadline = Date().addingTimeInterval(seconds)
        var sent = 0
        while sent < limit && Date() < deadline {
            let result = chunk.withUnsafeBytes { Glibc.send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if result > 0 {
                // Keep the pattern aligned: send the rest of a partly sent chunk's last pattern.
                sent += result
                let partial = result % pattern.count
                if partial > 0 { client.sendBytes(Array(pattern[partial...])) }
                continue
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK else { break }
            var pollFD = pollfd(fd: client.fd, events: Int16(POLLOUT), revents: 0)
            if poll(&pollFD, 1, 500) == 0 { break }
        }
        return sent
    }
}
