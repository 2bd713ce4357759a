import COpenSSL
import MicroblogModel

/// OpenSSH's SHA256 fingerprint of a public key, exactly as `ssh-keygen -lf` prints it: `SHA256:` and the
/// unpadded base64 of the SHA-256 of the key's wire-format blob. The hash is OpenSSL's. Stateless.
public enum SSHFingerprint {
    public static func sha256(of blob: [UInt8]) -> String {
        let digest = SHA256.digest(blob)
        var text = Base64.encode(digest)
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
