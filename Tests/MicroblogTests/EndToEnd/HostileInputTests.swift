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

@Suite("End to end: hostile input")
struct HostileInputTests {
    /// Strings that would act on a terminal, hide or reorder text, or smear across lines.
    static let hostile: [String] = [
        "clear \u{1B}[2J\u{1B}[H", "title \u{1B}]0;pwned\u{07}", "bell \u{07}", "c1 csi \u{9B}31m", "next line \u{85}x",
        "del \u{7F}", "backspace \u{08}\u{08}", "rtl \u{202E}txt.exe", "isolate \u{2066}x\u{2069}", "mark \u{200F}x",
        "arabic mark \u{061C}x", "zero width \u{200B}space", "joiner\u{2060}word", "bom \u{FEFF}x",
        "line sep \u{2028}x", "para sep \u{2029}x", "tag \u{E0041}", "nonchar \u{FFFF}",
        "\u{0301}leading mark", "zalgo a" + String(repeating: "\u{0336}", count: 12),
    ]

    @Test func hostileTextNeverReachesAnotherTerminal() throws {
        let server = try TestServer { $0.settings.postRate = 0 }
        let attacker = try server.registeredClient("mallory")
        let victim = try server.greetedClient()
        for text in Self.hostile {
            attacker.send(text)
            let reply = try attacker.readWrapped(error: attacker.readLine())
            #expect(reply.hasSuffix("(bad_text)"), "\(text.unicodeScalars.map(\.value)) -> \(reply)")
        }
        attacker.send("harmless")
        try attacker.readUntil { $0.hasPrefix("* posted") }
        // The first thing the victim sees is the harmless post: nothing hostile went through before it.
        let seen = try victim.readLineBytes()
        #expect(String(decoding: seen, as: UTF8.self).hasSuffix("mallory: harmless"))
        #expect(!seen.contains(0x1B) && !seen.contains(0x07))
    }

    /// Unassigned and default-ignorable scalars that once got through (Protocol.md §5.3): refused in a
    /// post, a reply, a bio, an away message and a direct message alike, with `bad_text`.
    @Test func invisibleAndUnassignedScalarsAreBadTextOnEveryPath() throws {
        let server = try TestServer {
            $0.settings.postRate = 0
            $0.settings.commandRate = 0
        }
        let alice = try server.registeredClient("alice")
        _ = try server.registeredClient("bob")
        #expect(try alice.run("first").hasPrefix("* posted #"))
        for value: UInt32 in [0xE0000, 0xE0002, 0xE0080, 0x2065, 0xFFF0, 0x3164] {
            let hidden = "look" + String(Unicode.Scalar(value)!) + "here"
            let code = "U+" + String(value, radix: 16, uppercase: true)
            for line in ["hidden", "/reply 1 hidden", "/bio hidden", "/away hidden", "/msg bob hidden"] {
                let reply = try alice.run(line.replacingOccurrences(of: "hidden", with: hidden))
                #expect(reply.hasSuffix("(bad_text)"), "\(line) with \(code) -> \(reply)")
                #expect(reply.contains(code), "\(reply)")
            }
        }
    }

    /// Impostor names (issue 12) are refused at registration, and a name needs a letter.
    @Test func lookAlikeNamesCannotBeRegistered() throws {
        let server = try TestServer { $0.settings.registrationsPerHour = 0 }
        for name in ["sam", "bob", "clover", "eve"] { _ = try server.registeredClient(name) }
        let impostor = try server.greetedClient()
        for name in ["5am", "8ob", "dover", "3ve", "S_A_M", "c1over"] {
            #expect(try impostor.run("/register \(name) password1").hasSuffix("(name_taken)"), "\(name)")
        }
        for name in ["____", "1234"] {
            #expect(try impostor.run("/register \(name) password1").hasSuffix("(bad_name)"), "\(name)")
        }
        #expect(try impostor.run("/register samuel password1").hasPrefix("* welcome, samuel!"))
    }

    @Test func quotesAndSemicolonsAreJustText() throws {
        let server = try TestServer()
        let client = try server.greetedClient()
        let password = "pw'); DROP TABLE users;--"
        client.send("/register bobby_t \(password)")
        #expect(try client.readLine() == "* welcome, bobby_t! you are registered and logged in")
        let text = "'); DELETE FROM posts; -- \"quoted\" ; SELECT * FROM users"
        client.send(text)
        #expect(try client.readLine().hasPrefix("* posted #"))
        client.send("/logout\n/login bobby_t \(password)\n/feed 1")
        #expect(try client.readLine().hasPrefix("* logged out"))
        #expect(try client.readLine() == "* welcome back, bobby_t")
        #expect(try client.readLine().hasSuffix("bobby_t: \(text)"))
        #expect(try client.readLine().hasPrefix("* 1 post"))
    }

    @Test func randomBytesLeaveTheServerServingOthers() throws {
        let server = try TestServer {
            $0.settings.commandRate = 0
            $0.settings.postRate = 0
        }
        var random = SplitMix64(seed: 99)
        for round in 0..<12 {
            let client = try server.client()
            if round % 3 == 0 {
                client.send("/register fuzz\(round) password1")
            }
            for _ in 0..<40 {
                let chunk = (0..<(1 + random.below(300))).map { _ in
                    random.below(3) == 0
                        ? FuzzInvariantTests.alphabet[random.below(FuzzInvariantTests.alphabet.count)]
                        : UInt8(truncatingIfNeeded: random.next())
                }
                client.sendBytes(chunk)
            }
            if round % 2 == 0 { client.shutdownWrite() }
        }
        // Whatever those clients did, a new one is greeted and served.
        let normal = try server.greetedClient()
        normal.send("/register normal password1")
        #expect(
            try normal.readUntil { $0.hasPrefix("* welcome") || $0.hasPrefix("! ") }.last?.hasPrefix("* welcome")
                == true)
        normal.send("still fine")
        #expect(
            try normal.readUntil { $0.hasPrefix("* posted") || $0.hasPrefix("! ") }.last?.hasPrefix("* posted") == true)
    }
}
