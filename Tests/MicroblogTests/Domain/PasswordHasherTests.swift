import CCrypt
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

/// yescrypt hashing and verification. Each hash costs about 15-20 ms, so the tests make few.
@Suite struct PasswordHasherTests {
    @Test func hashIsSaltedYescryptAndVerifies() throws {
        let password = "correct horse battery"
        let first = try PasswordHasher.hash(password)
        let second = try PasswordHasher.hash(password)
        #expect(first.hasPrefix("$y$"))
        #expect(second.hasPrefix("$y$"))
        #expect(first != second)
        #expect(!first.contains(password))

        #expect(PasswordHasher.verify(password, against: first))
        #expect(PasswordHasher.verify(password, against: second))
        #expect(!PasswordHasher.verify("correct horse batterY", against: first))
        #expect(!PasswordHasher.verify("correct horse battery ", against: first))
        #expect(!PasswordHasher.verify("", against: first))
    }

    @Test func verifyHandlesNonASCIIPasswords() throws {
        let password = "p\u{E4}ssw\u{F6}rd \u{1F511}"
        let stored = try PasswordHasher.hash(password)
        #expect(PasswordHasher.verify(password, against: stored))
        // The same letters in decomposed form are different bytes, so a different password.
        #expect(!PasswordHasher.verify("pa\u{308}ssw\u{F6}rd \u{1F511}", against: stored))
    }

    /// A Swift string may hold NUL; libxcrypt reads a C string and would stop there, so
    /// "secretpw\0anything" must not pass for "secretpw".
    @Test func verifyDoesNotStopAtNUL() throws {
        let stored = try PasswordHasher.hash("secretpw")
        #expect(PasswordHasher.verify("secretpw", against: stored))
        #expect(!PasswordHasher.verify("secretpw\u{0}anything", against: stored))
    }

    @Test func verifyRefusesADESHashEvenForItsPassword() throws {
        let password = "password"
        let desHash = try #require(libcrypt(password, setting: "ab"))
        // libxcrypt may be built without DES; when it is not, check the hash really matches first.
        if !desHash.hasPrefix("*") {
            #expect(desHash.count == 13)
            #expect(libcrypt(password, setting: desHash) == desHash)
        }
        #expect(!PasswordHasher.verify(password, against: desHash))
        #expect(!PasswordHasher.verify("test", against: "ab01FAX.bQRSU"))
        #expect(!PasswordHasher.verify(password, against: "ab01FAX.bQRSU"))
    }

    @Test func verifyRefusesEmptyAndMalformedHashes() {
        #expect(!PasswordHasher.verify("", against: ""))
        #expect(!PasswordHasher.verify("password", against: ""))
        #expect(!PasswordHasher.verify("password", against: "*0"))
        #expect(!PasswordHasher.verify("password", against: "$y$"))
        #expect(!PasswordHasher.verify("password", against: "$y$j9T$nosuchsalt"))
        #expect(!PasswordHasher.verify("password", against: "$1$salt$hash"))
    }

    @Test func verifyAcceptsBcrypt() throws {
        // Cost 4 keeps the test fast; the prefix is one of the two accepted ones.
        var buffer = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        let setting = try #require(
            crypt_gensalt_rn("$2b$", 4, nil, 0, &buffer, Int32(buffer.count)).map { String(cString: $0) })
        let stored = try #require(libcrypt("hunter2hunter2", setting: setting))
        try #require(stored.hasPrefix("$2b$"))
        #expect(PasswordHasher.verify("hunter2hunter2", against: stored))
        #expect(!PasswordHasher.verify("hunter2hunter3", against: stored))
    }

    @Test func decoyHashIsAUsableYescryptHash() {
        #expect(PasswordHasher.decoyHash.hasPrefix("$y$"))
        #expect(!PasswordHasher.verify("", against: PasswordHasher.decoyHash))
    }

    @Test func constantTimeEqual() {
        #expect(PasswordHasher.constantTimeEqual([], []))
        #expect(PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!PasswordHasher.constantTimeEqual([9, 2, 3], [1, 2, 3]))
        #expect(!PasswordHasher.constantTimeEqual([1, 2], [1, 2, 3]))
        #expect(!PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(!PasswordHasher.constantTimeEqual([], [0]))
        #expect(!PasswordHasher.constantTimeEqual([0x80], [0x00]))
    }
}

/// libxcrypt's own answer for `phrase` and `setting`, using a private scratch area (tests run in parallel,
/// and plain `crypt` shares one).
private func libcrypt(_ phrase: String, setting: String) -> String? {
    let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
    defer { data.deallocate() }
    data.initialize(to: crypt_data())
    return crypt_r(phrase, setting, data).map { String(cString: $0) }
}
