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

/// `/key add|list|remove` over a real socket: the keys an account logs in with over the SSH door.
@Suite("End to end: SSH keys")
struct SSHKeyTests {
    /// A valid-looking Ed25519 key line (the blob's type, then 32 key bytes) that differs by `seed`.
    static func keyLine(_ seed: Int, comment: String = "") -> String {
        let key = (0..<32).map { UInt8(truncatingIfNeeded: seed &* 31 &+ $0 &* 7) }
        let blob = [0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 32] + key
        return "ssh-ed25519 \(Base64.encode(blob))" + (comment.isEmpty ? "" : " " + comment)
    }

    /// A key made now by ssh-keygen: its `.pub` line and the fingerprint `ssh-keygen -lf` prints for it.
    static func realKey(in directory: TemporaryDirectory, comment: String) throws -> (line: String, fingerprint: String)
    {
        let path = directory.path + "/id_ed25519"
        _ = try runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path])
        let line = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .newlines)
        let printed = try runTool("/usr/bin/ssh-keygen", ["-lf", path + ".pub"])
        let fingerprint = try #require(printed.split(separator: " ").dropFirst().first.map(String.init))
        return (line, fingerprint)
    }

    @Test func addListAndRemoveWithOpenSSHsFingerprints() throws {
        let capture = LogCapture()
        let server = try TestServer(log: capture.logger())
        let alice = try server.registeredClient("alice")
        let directory = try TemporaryDirectory()
        let real = try Self.realKey(in: directory, comment: "alice@laptop")

        #expect(
            try alice.run("/key list")
                == "* no SSH keys; add one with /key add and a line of your ~/.ssh/id_ed25519.pub")
        #expect(try alice.run("/key add " + real.line) == "* key 1 added: ssh-ed25519 \(real.fingerprint)")
        let second = Self.keyLine(2)
        let secondFingerprint = try SSHPublicKey.validate(
            type: "ssh-ed25519", base64: String(second.split(separator: " ")[1]), comment: nil
        ).get().fingerprint
        #expect(try alice.run("/key add \(second)") == "* key 2 added: ssh-ed25519 \(secondFingerprint)")

        alice.send("/key list")
        // A row wider than 80 columns goes on under its text.
        let rows = try alice.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }
        #expect(rows.allSatisfy { $0.count <= 80 }, "\(rows)")
        let listing = TestClient.joined(rows)
        #expect(listing.count == 3, "\(listing)")
        #expect(
            listing[0].wholeMatch(of: /\ \ 1 ssh-ed25519 (\S+) alice@laptop \(added \d\d:\d\d\)/)?.1
                == real.fingerprint[...])
        #expect(listing[1].wholeMatch(of: /\ \ 2 ssh-ed25519 (\S+) \(added \d\d:\d\d\)/)?.1 == secondFingerprint[...])
        #expect(listing[2] == "* 2 SSH keys; /key remove N removes one")

        #expect(try alice.run("/key remove 1") == "* key 1 removed: ssh-ed25519 \(real.fingerprint)")
        alice.send("/key list")
        let after = try alice.readUntil { $0.hasPrefix("* ") || $0.hasPrefix("! ") }
        #expect(after.count == 2)
        #expect(after[0].hasPrefix("  1 ssh-ed25519 \(secondFingerprint) "))
        #expect(try alice.run("/key remove 2") == "! you have no key 2; /key list shows their numbers (no_such_key)")

        let added = try capture.waitFor("key_added") { $0.contains("key_added") }
        #expect(added.contains("alice") && added.contains(real.fingerprint), "\(added)")
        let removed = try capture.waitFor("key_removed") { $0.contains("key_removed") }
        #expect(removed.contains("alice") && removed.contains(real.fingerprint), "\(removed)")
        #expect(removed.contains("conn"), "\(removed)")
    }

    @Test func aKeyBelongsToOneAccountAndTheOtherIsNotNamed() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        let bob = try server.registeredClient("bob")
        let line = Self.keyLine(7, comment: "shared")
        #expect(try alice.run("/key add \(line)").hasPrefix("* key 1 added"))

        let again = try alice.run("/key add \(line)")
        #expect(again.hasPrefix("! you added this key already"), "\(again)")
        #expect(again.hasSuffix("(key_exists)"))
        // Spelt differently (another comment), it is still the same key.
        #expect(try alice.run("/key add \(Self.keyLine(7))").hasSuffix("(key_exists)"))

        let taken = try bob.run("/key add \(line)")
        #expect(taken.hasSuffix("(key_taken)"), "\(taken)")
        #expect(taken.contains("another account"))
        #expect(!taken.lowercased().contains("alice"))
        #expect(try bob.run("/key list").hasPrefix("* no SSH keys"))

        // Once alice removes it, bob may add it.
        #expect(try alice.run("/key remove 1").hasPrefix("* key 1 removed"))
        #expect(try bob.run("/key add \(line)").hasPrefix("* key 1 added"))
    }

    @Test func anAccountHoldsAtMostTwentyKeys() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        for seed in 1...SSHPublicKey.maxPerAccount {
            let reply = try alice.run("/key add \(Self.keyLine(seed))")
            #expect(reply.hasPrefix("* key \(seed) added"), "\(reply)")
        }
        let refused = try alice.run("/key add \(Self.keyLine(99))")
        #expect(refused.hasSuffix("(too_many_keys)"), "\(refused)")
        #expect(refused.contains("20"))
        #expect(try alice.run("/key list") == "* 20 SSH keys; /key remove N removes one")
        #expect(try alice.run("/key remove 20").hasPrefix("* key 20 removed"))
        #expect(try alice.run("/key add \(Self.keyLine(99))").hasPrefix("* key 20 added"))
    }

    @Test func guestsAreToldToLogInAndMistakesAreExplained() throws {
        let server = try TestServer()
        let guest = try server.greetedClient()
        let refused = try guest.run("/key list")
        #expect(refused.hasPrefix("! log in to manage your SSH keys"), "\(refused)")
        #expect(refused.hasSuffix("(not_logged_in)"))
        #expect(try guest.run("/key add \(Self.keyLine(1))").hasSuffix("(not_logged_in)"))

        let alice = try server.registeredClient("alice")
        #expect(
            try alice.run("/key") == "! usage: /key add TYPE KEY [COMMENT] | /key list | /key remove N (bad_usage)")
        #expect(try alice.run("/key wipe").hasSuffix("(bad_usage)"))
        #expect(try alice.run("/key remove none").hasSuffix("(bad_usage)"))
        #expect(try alice.run("/key add ssh-ed25519 not-base64").hasSuffix("(bad_key)"))
        #expect(try alice.run("/key add ssh-dss AAAAB3NzaC1kc3MAAACBAP").hasSuffix("(bad_key)"))
        #expect(try alice.run("/key add ssh-rsa \(Self.keyLine(1).split(separator: " ")[1])").hasSuffix("(bad_key)"))
        #expect(try alice.run("/key add \(Self.keyLine(1, comment: "evil\u{202E}txt"))").hasSuffix("(bad_text)"))
        #expect(try alice.run("/key list").hasPrefix("* no SSH keys"))

        alice.send("/help key")
        let help = try alice.readUntil { $0.hasPrefix("* ") }
        #expect(help.contains("  /key add TYPE KEY [COMMENT]"))
        #expect(help.contains { $0.contains("cat ~/.ssh/id_ed25519.pub") })
        alice.send("/help settings")
        let list = try alice.readUntil { $0.hasPrefix("* /help") }
        #expect(list.contains { $0.hasPrefix("  /key add TYPE KEY [COMMENT]") && $0.contains("your SSH keys") })
    }

    @Test func jsonModeGivesKeyObjects() throws {
        let server = try TestServer()
        let bot = try server.registeredClient("robot")
        try bot.switchToJSON()
        let line = Self.keyLine(3, comment: "bot key")
        let base64 = String(line.split(separator: " ")[1])
        let fingerprint = try SSHPublicKey.validate(type: "ssh-ed25519", base64: base64, comment: nil).get().fingerprint

        bot.send("/key list")
        let empty = try bot.readJSON()
        #expect(empty["type"] as? String == "ok")
        #expect(empty["command"] as? String == "key")
        #expect(empty["action"] as? String == "list")
        #expect(empty["count"] as? Int == 0)

        bot.send("/key add \(line)")
        let added = try bot.readJSON()
        #expect(added["type"] as? String == "ok")
        #expect(added["action"] as? String == "add")
        #expect(added["number"] as? Int == 1)
        #expect(added["key_type"] as? String == "ssh-ed25519")
        #expect(added["fingerprint"] as? String == fingerprint)

        bot.send("/key list")
        let listing = try bot.readJSONUntil { $0["type"] as? String == "ok" }
        #expect(listing.count == 2)
        let key = listing[0]
        #expect(key["type"] as? String == "key")
        #expect(key["number"] as? Int == 1)
        #expect(key["key_type"] as? String == "ssh-ed25519")
        #expect(key["fingerprint"] as? String == fingerprint)
        #expect(key["comment"] as? String == "bot key")
        #expect(key["key"] as? String == base64)
        #expect((key["added"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        #expect(listing[1]["count"] as? Int == 1)

        bot.send("/key add \(line)")
        let duplicate = try bot.readJSON()
        #expect(duplicate["type"] as? String == "error")
        #expect(duplicate["command"] as? String == "key")
        #expect(duplicate["code"] as? String == "key_exists")

        bot.send("/key remove 1")
        let removed = try bot.readJSON()
        #expect(removed["action"] as? String == "remove")
        #expect(removed["number"] as? Int == 1)
        #expect(removed["fingerprint"] as? String == fingerprint)

        bot.send("/key remove 1")
        let missing = try bot.readJSON()
        #expect(missing["code"] as? String == "no_such_key")
    }

    /// Keys outlive the session: another login, over another connection, lists them.
    @Test func keysAreKeptWithTheAccount() throws {
        let server = try TestServer()
        let alice = try server.registeredClient("alice")
        #expect(try alice.run("/key add \(Self.keyLine(5, comment: "desk"))").hasPrefix("* key 1 added"))
        alice.close()
        let again = try server.greetedClient()
        #expect(try again.run("/login alice password1").contains("welcome back"))
        again.send("/key list")
        let listing = TestClient.joined(try again.readUntil { $0.hasPrefix("* ") })
        #expect(listing.first?.hasPrefix("  1 ssh-ed25519 SHA256:") == true)
        #expect(listing.first?.contains(" desk (added ") == true)
    }
}
