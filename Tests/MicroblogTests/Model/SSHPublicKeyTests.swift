import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
import MicroblogTestSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// Key lines as `/key add` takes them: what is accepted, what is refused and why, and the fingerprint,
/// checked against OpenSSH's own.
@Suite struct SSHPublicKeyTests {
    /// A throw-away key made by `ssh-keygen -t ed25519 -C alice@laptop`, and what `ssh-keygen -lf` printed.
    static let ed25519 = "AAAAC3NzaC1lZDI1NTE5AAAAICOBM0JLO5d4f8pQEt7hCHaUD7cnU9WOJs4jIbTQw0d/"
    static let ed25519Fingerprint = "SHA256:nK7JiJ9wnVQXgoi30aRx6uKtWMvBjYBIDjn3HWmmCAg"
    static let ecdsa =
        "AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJwD+ZsAF2NBgEtLibdYuxC7VsWKt6xTKOZLsA6NjpQDD0GckB5I89s3qFq1H6C3nDghPFXteRvSl6nDfshRz1I="
    static let ecdsaFingerprint = "SHA256:jPpxtQDaTuEOOWbXUq3wC+EdL3OeFphp0pyfRskY3Fw"

    private func error(_ type: String, _ base64: String, _ comment: String? = nil) -> WireError? {
        guard case .failure(let error) = SSHPublicKey.validate(type: type, base64: base64, comment: comment) else {
            return nil
        }
        return error
    }

    @Test func aGoodEd25519LineIsAcceptedWithItsComment() throws {
        let key = try SSHPublicKey.validate(type: "ssh-ed25519", base64: Self.ed25519, comment: "alice@laptop").get()
        #expect(key.type == "ssh-ed25519")
        #expect(key.blob.count == 51)
        #expect(key.comment == "alice@laptop")
        #expect(key.base64 == Self.ed25519)
        #expect(key.fingerprint == Self.ed25519Fingerprint)
        let bare = try SSHPublicKey.validate(type: "ssh-ed25519", base64: Self.ed25519, comment: nil).get()
        #expect(bare.comment == "")
    }

    @Test func anECDSAKeyWithPaddingIsAccepted() throws {
        let key = try SSHPublicKey.validate(type: "ecdsa-sha2-nistp256", base64: Self.ecdsa, comment: nil).get()
        #expect(key.fingerprint == Self.ecdsaFingerprint)
        #expect(key.base64 == Self.ecdsa)
    }

    @Test func theTypeInsideTheBlobMustBeTheTypeGiven() {
        #expect(error("ssh-rsa", Self.ed25519)?.code == .badKey)
        #expect(error("ecdsa-sha2-nistp384", Self.ecdsa)?.code == .badKey)
        #expect(error("ssh-rsa", Self.ed25519)?.message.contains("not a ssh-rsa key") == true)
    }

    @Test func aPastedPrivateKeyIsCalledOneAndARenewalAdvised() throws {
        let refused = try #require(error("-----BEGIN", "OPENSSH", "PRIVATE KEY-----"))
        #expect(refused.code == .badKey)
        #expect(refused.message.hasPrefix("that is a private key"))
        #expect(refused.message.contains("ssh-keygen"))
    }

    @Test(arguments: ["ssh-dss", "SSH-ED25519", "", "x\u{1B}[2J"])
    func unknownTypesAreRefused(type: String) throws {
        let refused = try #require(error(type, Self.ed25519))
        #expect(refused.code == .badKey)
        #expect(TextSafety.firstForbiddenScalar(in: refused.message) == nil)
    }

    @Test(arguments: [
        "AAAAC3NzaC1lZDI1NTE5AAAAICOBM0JLO5d4f8pQEt7hCHaUD7cnU9WOJs4jIbTQw0d",  // length not a multiple of 4
        "AAAAC3NzaC1lZDI1NTE5AAAAICOBM0JLO5d4f8pQEt7hCHaUD7cnU9WOJs4jIbTQw0d*",  // not in the alphabet
        "AAAA=3NzaC1lZDI1NTE5AAAAICOBM0JLO5d4f8pQEt7hCHaUD7cnU9WOJs4jIbTQw0d/",  // padding in the middle
        "",
    ])
    func badBase64IsRefused(base64: String) {
        #expect(error("ssh-ed25519", base64)?.code == .badKey)
    }

    @Test func damagedBlobsAreRefused() {
        // The blob cut short, a length running past its end, and a key of the wrong size.
        var blob = Base64.decode(Self.ed25519)!
        #expect(error("ssh-ed25519", Base64.encode(Array(blob.dropLast(3))))?.code == .badKey)
        blob[17] = 0xFF  // the key's length, now past the end
        #expect(error("ssh-ed25519", Base64.encode(blob))?.code == .badKey)
        let short = [0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 4, 1, 2, 3, 4]
        #expect(error("ssh-ed25519", Base64.encode(short))?.code == .badKey)
        let typeOnly = [0, 0, 0, 7] + Array("ssh-rsa".utf8)
        #expect(error("ssh-rsa", Base64.encode(typeOnly))?.code == .badKey)
    }

    @Test func tooLongKeysAreRefusedBeforeDecoding() {
        let field = [UInt8](repeating: 7, count: SSHPublicKey.maxBlobBytes)
        let blob =
            [0, 0, 0, 7] + Array("ssh-rsa".utf8) + [0, 0, 0x40, 0] + field
        #expect(blob.count > SSHPublicKey.maxBlobBytes)
        let refused = error("ssh-rsa", Base64.encode(blob))
        #expect(refused?.code == .badKey)
        #expect(refused?.message.contains("longer than any real key") == true)
    }

    @Test func commentsFollowTheRulesForOtherText() {
        let long = String(repeating: "c", count: SSHPublicKey.maxCommentCharacters + 1)
        #expect(error("ssh-ed25519", Self.ed25519, long)?.code == .tooLong)
        #expect(error("ssh-ed25519", Self.ed25519, "evil\u{202E}txt")?.code == .badText)
        #expect(error("ssh-ed25519", Self.ed25519, String(repeating: "c", count: 100)) == nil)
    }

    @Test func base64RoundTripsEveryLength() {
        for count in 0..<40 {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = Base64.encode(bytes)
            #expect(text == Data(bytes).base64EncodedString())
            #expect(Base64.decode(text) == bytes)
        }
        #expect(Base64.decode("====") == nil)
        #expect(Base64.decode("A===") == nil)
    }

    /// A key made now by ssh-keygen: our fingerprint is the one it prints.
    @Test func fingerprintIsWhatSSHKeygenPrints() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/k"
        _ = try runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test key", "-f", path])
        let line = try String(contentsOfFile: path + ".pub", encoding: .utf8)
        let words = line.split(separator: " ", maxSplits: 2).map(String.init)
        let key = try SSHPublicKey.validate(type: words[0], base64: words[1], comment: "test key").get()
        // "256 SHA256:… test key (ED25519)"
        let printed = try runTool("/usr/bin/ssh-keygen", ["-lf", path + ".pub"])
        let expected = try #require(printed.split(separator: " ").dropFirst().first.map(String.init))
        #expect(expected.hasPrefix("SHA256:"))
        #expect(key.fingerprint == expected)
        #expect(
            StoredSSHKey(number: 1, type: key.type, base64: key.base64, comment: "", addedAt: .now()).fingerprint
                == expected)
    }
}
