import Foundation
import MicroblogTestSupport
import Testing

@testable import MicroblogServer

#if canImport(Glibc)
    import Glibc
#endif

/// The commands a newcomer copies from README work as written: its `openssl req` line makes a certificate
/// the TLS door serves with the options of its `swift run` line, and every `openssl s_client` command in
/// the docs has `-quiet` (without it a line starting with Q quits s_client, R renegotiates).
@Suite("README: the commands work as written", .enabled(if: OpenSSLTool.isAvailable, "needs the openssl tool"))
struct ReadmeCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// README's command lines, each with its `\` continuations joined, and its comment dropped.
    static func commands() throws -> [String] {
        var commands: [String] = []
        var pending = ""
        for raw in try text("README.md").split(separator: "\n", omittingEmptySubsequences: false) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if let comment = line.range(of: "  #") { line = String(line[..<comment.lowerBound]) }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            commands.append(pending + line)
            pending = ""
        }
        return commands.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @Test func theCertificateLineMakesOneTheTLSDoorServes() throws {
        let commands = try Self.commands()
        let request = try #require(commands.first { $0.hasPrefix("openssl req ") }, "README has no openssl req line")
        let run = try #require(
            commands.first { $0.hasPrefix("swift run microblogd ") && $0.contains("--tls-port") },
            "README has no swift run line with --tls-port")
        let directory = try TemporaryDirectory()
        let made = CleanSpawn.run("/bin/sh", ["-c", "cd '\(directory.path)' && \(request)"])
        #expect(made.status == 0, "\(request)\n\(made.output)")

        let arguments = run.dropFirst("swift run microblogd ".count).split(separator: " ").map(String.init)
        let options = try Options.parse(arguments)
        let tls = try #require(options.configuration.tls, "README's swift run line starts no TLS door")
        let server = try TestServer {
            $0.tls = TLSConfiguration(
                port: 0, certificatePath: directory.path + "/" + tls.certificatePath,
                keyPath: directory.path + "/" + tls.keyPath)
        }
        let secure = try SClient(port: try #require(server.server.tlsPort))
        try secure.client.readUntil { $0.contains("new posts appear below") }
        secure.client.send("/register newcomer s3cret-pass")
        #expect(try secure.client.readLine() == "* welcome, newcomer! you are registered and logged in")
    }

    @Test func everyTLSClientCommandInTheDocsIsQuiet() throws {
        let files =
            ["README.md", "Protocol.md", "contrib/stunnel.conf", "contrib/haproxy-tls.cfg"]
            + (try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("docs").path))
            .filter { $0.hasSuffix(".md") }.map { "docs/" + $0 }
        var commands = 0
        for file in files {
            // `s_client` and what follows it to the end of its code span, comment or line: a command when
            // it connects somewhere, prose ("line mode for `openssl s_client`") otherwise.
            for match in try Self.text(file).matches(of: /s_client([^`#\n]*)/) {
                let words = match.output.1.split(separator: " ")
                guard words.contains("-connect") else { continue }
                commands += 1
                #expect(words.contains("-quiet"), "\(file): openssl s_client\(match.output.1) lacks -quiet")
            }
        }
        #expect(commands >= 6)
    }
}
