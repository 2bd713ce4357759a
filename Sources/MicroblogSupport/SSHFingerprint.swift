import COpenSSL
import MicroblogModel

/// OpenSSH's SHA256 fingerprint of a public key, exactly as `ssh-keygen -lf` prints it: `SHA256:` and the
/// unpadded base64 of the SHA-256 of the key's wire-format blob. The hash is OpenSSL's. Stateless.
public enum SSHFingerprint {
    public static func sha256(of blob: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let status = blob.withUnsafeBytes { bytes in
            EVP_Digest(bytes.baseAddress, bytes.count, &digest, &length, EVP_sha256(), nil)
        }
        // EVP_Digest fails only without memory or a SHA-256 implementation; say so rather than print garbage.
        guard status == 1, length == 32 else { return "SHA256:?" }
        var text = Base64.encode(Array(digest.prefix(Int(length))))
        while text.hasSuffix("=") { text.removeLast() }
        return "SHA256:" + text
    }
}

extension SSHPublicKey {
    public var fingerprint: String { SSHFingerprint.sha256(of: blob) }
}

extension StoredSSHKey {
    public var fingerprint: String { SSHFingerprint.sha256(of: blob) }
}
