import CLibSSH
import Foundation
import MicroblogModel
import MicroblogSupport
import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Why a host key could not be made or used; `description` says which file and what is wrong with it.
public struct SSHHostKeyError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }
}

/// The SSH door's Ed25519 host key: generated on first start beside the database, or read from a file the
/// operator names. Its fingerprint is what clients are shown on first contact, so it must survive restarts:
/// an existing file is never overwritten, and a file that others may read is refused (as sshd refuses it).
///
/// Immutable once made; `@unchecked Sendable` because the wrapped `ssh_key` is only read after `init`.
public final class SSHHostKey: @unchecked Sendable {
    /// The OpenSSH private key file's text, as written to and read from disk.
    private let privateKeyText: String
    /// Owned: freed in `deinit`.
    private let key: ssh_key

    /// The key exchanges the door offers: X25519 and P-256 only, each a fraction of a millisecond on either
    /// side. No finite-field Diffie-Hellman (`diffie-hellman-group14/16/18`) and no group exchange, whose
    /// price the client picks.
    public static let keyExchanges = "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256"
    /// The host key algorithm the door's key supports.
    public static let hostKeyAlgorithms = "ssh-ed25519"

    /// OpenSSH's SHA256 fingerprint, `SHA256:` and unpadded base64, as `ssh-keygen -lf` prints it.
    public let fingerprint: String
    /// The public key as one `authorized_keys` / `known_hosts` field pair: `ssh-ed25519 AAAA…`.
    public let publicKeyLine: String

    private init(privateKeyText: String, key: ssh_key) throws {
        self.privateKeyText = privateKeyText
        self.key = key
        fingerprint = try libSSHFingerprint(of: key)
        publicKeyLine = try Self.publicKeyLine(of: key)
    }

    deinit { ssh_key_free(key) }

    /// Where the host key lives when no file is given: beside the database, named after it.
    public static func defaultPath(forDatabase databasePath: String) -> String {
        databasePath + ".ssh_host_ed25519_key"
    }

    /// Reads the key at `path`, or, when there is no file there, generates one and creates the file with
    /// mode 0600 and `O_EXCL`: if another process created it first, that file is read instead.
    public static func loadOrCreate(path: String) throws -> SSHHostKey {
        if let created = try create(path: path) { return created }
        return try load(path: path)
    }

    /// Reads an Ed25519 private key in OpenSSH format, refusing a file that group or others may access, a
    /// key with a passphrase, and any other key type.
    public static func load(path: String) throws -> SSHHostKey {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SSHHostKeyError("cannot open SSH host key \(path): \(errnoText())") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw SSHHostKeyError("cannot stat SSH host key \(path): \(errnoText())")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw SSHHostKeyError("SSH host key \(path) is not a regular file")
        }
        guard status.st_mode & 0o077 == 0 else {
            let mode = String(status.st_mode & 0o777, radix: 8)
            throw SSHHostKeyError(
                "SSH host key \(path) has mode 0\(mode): group and others must have no access (chmod 600)")
        }
        guard status.st_size <= maximumFileSize else {
            throw SSHHostKeyError("SSH host key \(path) is larger than \(maximumFileSize) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw SSHHostKeyError("cannot read SSH host key \(path): \(errnoText())") }
            filled += count
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SSHHostKeyError("SSH host key \(path) is not an OpenSSH private key")
        }
        return try parse(text, path: path)
    }

    /// A key for `ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key)`, which takes ownership of
    /// the key it is given: so each call returns a new copy that the caller hands over (or frees).
    public func makeLibSSHKey() throws -> ssh_key {
        var copy: ssh_key?
        guard ssh_pki_import_privkey_base64(privateKeyText, nil, nil, nil, &copy) == SSH_OK, let copy else {
            throw SSHHostKeyError("cannot copy the SSH host key")
        }
        return copy
    }

    /// The host key file is a few hundred bytes; anything much larger is not one.
    static let maximumFileSize = 64 * 1024

    private static func parse(_ text: String, path: String) throws -> SSHHostKey {
        var parsed: ssh_key?
        guard ssh_pki_import_privkey_base64(text, nil, nil, nil, &parsed) == SSH_OK, let parsed else {
            throw SSHHostKeyError(
                "SSH host key \(path) is not an OpenSSH private key without passphrase")
        }
        guard ssh_key_type(parsed) == SSH_KEYTYPE_ED25519 else {
            let type = ssh_key_type_to_char(ssh_key_type(parsed)).map { String(cString: $0) } ?? "unknown"
            ssh_key_free(parsed)
            throw SSHHostKeyError("SSH host key \(path) is a \(type) key; microblogd uses Ed25519 only")
        }
        return try SSHHostKey(privateKeyText: text, key: parsed)
    }

    /// Generates a key and writes it to a new file; nil when the file already exists.
    private static func create(path: String) throws -> SSHHostKey? {
        var generated: ssh_key?
        guard ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &generated) == SSH_OK, let generated else {
            throw SSHHostKeyError("cannot generate an Ed25519 SSH host key")
        }
        var exported: UnsafeMutablePointer<CChar>?
        let exportResult = ssh_pki_export_privkey_base64(generated, nil, nil, nil, &exported)
        ssh_key_free(generated)
        guard exportResult == SSH_OK, let exported else {
            throw SSHHostKeyError("cannot encode the generated SSH host key")
        }
        let text = String(cString: exported)
        ssh_string_free_char(exported)

        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 && errno == EEXIST { return nil }
        guard fd >= 0 else { throw SSHHostKeyError("cannot create SSH host key \(path): \(errnoText())") }
        var written = 0
        let bytes = Array(text.utf8)
        var failure: String?
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                failure = errnoText()
                break
            }
            written += count
        }
        if failure == nil && fsync(fd) != 0 { failure = errnoText() }
        close(fd)
        if let failure {
            // A half-written key would be refused at every later start: remove it so the next start retries.
            unlink(path)
            throw SSHHostKeyError("cannot write SSH host key \(path): \(failure)")
        }
        return try parse(text, path: path)
    }

    private static func publicKeyLine(of key: ssh_key) throws -> String {
        var base64: UnsafeMutablePointer<CChar>?
        guard ssh_pki_export_pubkey_base64(key, &base64) == SSH_OK, let base64 else {
            throw SSHHostKeyError("cannot encode the SSH host key's public half")
        }
        defer { ssh_string_free_char(base64) }
        return "ssh-ed25519 " + String(cString: base64)
    }
}

/// OpenSSH's SHA256 fingerprint of a key (`SHA256:` and unpadded base64), computed by libssh.
func libSSHFingerprint(of key: ssh_key) throws -> String {
    var hash: UnsafeMutablePointer<UInt8>?
    var length = 0
    guard ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == SSH_OK, let hash else {
        throw SSHHostKeyError("cannot hash the SSH key")
    }
    var hashPointer: UnsafeMutablePointer<UInt8>? = hash
    defer { ssh_clean_pubkey_hash(&hashPointer) }
    guard let text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length) else {
        throw SSHHostKeyError("cannot format the SSH key's fingerprint")
    }
    defer { ssh_string_free_char(text) }
    return String(cString: text)
}

private func errnoText() -> String { String(cString: strerror(errno)) }
