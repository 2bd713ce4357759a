import COpenSSL
import MicroblogModel

/// The secrets behind a web sign-in: a session token, the SHA-256 the database keeps instead of it, and
/// the tokens derived from it for forms. Stateless; the randomness is the system's (getrandom), the hash
/// OpenSSL's.
public enum SessionToken {
    /// A new token: 32 random bytes as 64 lower-case hex digits.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// What the database keeps of `token`: its SHA-256 in hex.
    public static func stored(_ token: String) -> String {
        hex(SHA256.digest(Array(token.utf8)))
    }

    /// A token for `purpose` (a form's CSRF field) that only the holder of `token` can know: the
    /// SHA-256 of both, in hex. Not the stored hash, so a form's field never tells what signs in.
    public static func derived(_ token: String, purpose: String) -> String {
        hex(SHA256.digest(Array((purpose + "\u{0}" + token).utf8)))
    }

    /// Whether `token` has the shape `make` gives (so a cookie of any other shape is not even looked up).
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 64 && token.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Compares two tokens in time that depends only on their lengths.
    public static func same(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// SHA-256 through OpenSSL. Stateless.
enum SHA256 {
    static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let status = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha256(), nil) }
        // EVP_Digest fails only without memory or a SHA-256 implementation.
        precondition(status == 1 && length == 32, "SHA-256 is not available")
        return Array(digest.prefix(32))
    }
}
