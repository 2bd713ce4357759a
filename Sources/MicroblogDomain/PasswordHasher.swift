import CCrypt
import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Password hashing with libxcrypt's yescrypt. Stateless and thread-safe: each call uses its own
/// heap-allocated `crypt_data` (about 32 KiB, too big for a small stack). Slow by design (about 15 ms),
/// so callers run it on a `FairPool`, never on the I/O queue.
public enum PasswordHasher {
    /// The only hash prefixes we accept from storage: yescrypt and bcrypt. `crypt_r` silently falls
    /// back to DES for a malformed setting, so anything else is refused before hashing.
    static let acceptedPrefixes = ["$y$", "$2b$"]

    public enum Failure: Error { case hashingFailed }

    /// A new yescrypt hash of `password` with a random salt from the library (which reads the OS's
    /// random source).
    public static func hash(_ password: String) throws -> String {
        guard !password.utf8.contains(0) else { throw Failure.hashingFailed }
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        guard crypt_gensalt_rn("$y$", 0, nil, 0, &setting, Int32(setting.count)) != nil else {
            throw Failure.hashingFailed
        }
        guard let hashed = crypt(password, setting: setting), hashed.hasPrefix("$y$") else {
            throw Failure.hashingFailed
        }
        return hashed
    }

    /// True when `password` hashes to `storedHash`; the comparison takes the same time wherever the
    /// strings differ.
    public static func verify(_ password: String, against storedHash: String) -> Bool {
        // The C API would end the password at a NUL and ignore the rest.
        guard !password.utf8.contains(0), acceptedPrefixes.contains(where: { storedHash.hasPrefix($0) }),
            let candidate = crypt(password, setting: Array(storedHash.utf8CString))
        else { return false }
        return constantTimeEqual(Array(candidate.utf8), Array(storedHash.utf8))
    }

    /// A hash of a random secret, verified against when a name is unknown so that a wrong name costs
    /// the same time as a wrong password and timing does not reveal which names exist.
    public static let decoyHash: String = {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }.map { String($0, radix: 16) }
            .joined()
        return (try? hash(secret)) ?? "$y$j9T$decoy$decoy"
    }()

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<min(a.count, b.count) { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func crypt(_ password: String, setting: [CChar]) -> String? {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            // Wipe the scratch area: it held the password.
            memset(data, 0, MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let result = crypt_r(password, setting, data) else { return nil }
        let hashed = String(cString: result)
        // libxcrypt reports failure with a string starting with "*".
        return hashed.hasPrefix("*") ? nil : hashed
    }
}
