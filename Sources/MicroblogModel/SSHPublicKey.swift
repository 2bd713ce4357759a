/// An OpenSSH public key as one line of `~/.ssh/id_ed25519.pub` gives it: `TYPE BASE64 [COMMENT]`. The
/// SSH door lets an account in with any key it added (`/key add`). Values and pure rules.
public struct SSHPublicKey: Sendable, Equatable {
    /// The key types accepted, as OpenSSH names them.
    public static let acceptedTypes = [
        "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
    ]
    /// The largest decoded key accepted (an RSA 16384-bit key is about 2 KiB): anything bigger is no key.
    public static let maxBlobBytes = 16 * 1024
    /// The longest comment, in characters.
    public static let maxCommentCharacters = 100
    /// The most keys one account may hold.
    public static let maxPerAccount = 20

    /// The type, e.g. `ssh-ed25519`.
    public var type: String
    /// The key in SSH wire format (RFC 4253 §6.6): the type again, then the key's own fields.
    public var blob: [UInt8]
    /// What the owner wrote after the key (often `user@host`); empty when nothing.
    public var comment: String

    public init(type: String, blob: [UInt8], comment: String = "") {
        self.type = type
        self.blob = blob
        self.comment = comment
    }

    /// The blob as stored and compared: canonical base64, whatever spelling it was given in.
    public var base64: String { Base64.encode(blob) }

    /// Checks a key as typed after `/key add`: a known type, base64 that decodes to a blob of sane size
    /// naming that same type and made of length-prefixed fields, and a comment fit to show others.
    public static func validate(type: String, base64: String, comment: String?) -> Result<SSHPublicKey, WireError> {
        let shownType = TextSafety.printable(type.prefix(40))
        if type.hasPrefix("-----BEGIN") {
            // The first line of a private key file: the key itself has already crossed the network.
            return .failure(
                WireError(
                    .badKey,
                    "that is a private key; paste the line of the .pub file instead, and make a new key pair (ssh-keygen -t ed25519)"
                ))
        }
        guard acceptedTypes.contains(type) else {
            return .failure(
                WireError(
                    .badKey,
                    "unknown key type \(shownType); paste a whole line of ~/.ssh/id_ed25519.pub (types: \(acceptedTypes.joined(separator: ", ")))"
                ))
        }
        // Four characters hold three bytes: refuse an over-long key before decoding it.
        guard base64.utf8.count <= (maxBlobBytes + 2) / 3 * 4 else {
            return .failure(WireError(.badKey, "that key is longer than any real key (at most \(maxBlobBytes) bytes)"))
        }
        guard let blob = Base64.decode(base64) else {
            return .failure(WireError(.badKey, "the key is not valid base64; paste the whole line, unchanged"))
        }
        guard !blob.isEmpty, blob.count <= maxBlobBytes else {
            return .failure(WireError(.badKey, "that key is longer than any real key (at most \(maxBlobBytes) bytes)"))
        }
        guard let fields = fields(of: blob), fields.count >= 2 else {
            return .failure(WireError(.badKey, "the key's data is damaged; paste the whole line, unchanged"))
        }
        guard fields[0].elementsEqual(type.utf8) else {
            return .failure(
                WireError(.badKey, "the key's data is not a \(shownType) key; paste the whole line, unchanged"))
        }
        if type == "ssh-ed25519" && (fields.count != 2 || fields[1].count != 32) {
            return .failure(WireError(.badKey, "the key's data is damaged; paste the whole line, unchanged"))
        }
        var text = ""
        if let comment {
            switch PostRules.validate(comment, maxCharacters: maxCommentCharacters, what: "a key comment") {
            case .success(let valid): text = valid
            case .failure(let error): return .failure(error)
            }
        }
        return .success(SSHPublicKey(type: type, blob: blob, comment: text))
    }

    /// The blob split into its length-prefixed fields (a uint32 length, big-endian, then that many bytes),
    /// or nil when they do not use up the blob exactly. Every accepted type is such a list of strings and
    /// mpints.
    static func fields(of blob: [UInt8]) -> [ArraySlice<UInt8>]? {
        var fields: [ArraySlice<UInt8>] = []
        var index = 0
        while index < blob.count {
            guard blob.count - index >= 4 else { return nil }
            let length = blob[index..<index + 4].reduce(0) { $0 << 8 | Int($1) }
            index += 4
            guard length <= blob.count - index else { return nil }
            fields.append(blob[index..<index + length])
            index += length
        }
        return fields
    }
}

/// A key an account added, as `/key list` numbers it. A value.
public struct StoredSSHKey: Sendable, Equatable {
    /// Its place in the account's list, from 1, in the order the keys were added.
    public var number: Int
    public var type: String
    /// The blob in canonical base64 (`SSHPublicKey.base64`).
    public var base64: String
    public var comment: String
    public var addedAt: Timestamp

    public init(number: Int, type: String, base64: String, comment: String, addedAt: Timestamp) {
        self.number = number
        self.type = type
        self.base64 = base64
        self.comment = comment
        self.addedAt = addedAt
    }

    /// The key in wire format, for the SSH door to compare with what a client offers; empty (matching no
    /// key) if the stored text were not base64, which this server never writes.
    public var blob: [UInt8] { Base64.decode(base64) ?? [] }
}
