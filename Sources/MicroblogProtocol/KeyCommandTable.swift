import MicroblogModel
import MicroblogSupport

/// The account's SSH public keys, for the SSH door.
extension CommandTable {
    static let keys: [CommandSpec] = [
        CommandSpec(
            name: "key", usage: ["/key add TYPE KEY [COMMENT]", "/key list", "/key remove N"],
            summary: "your SSH keys: ssh -p PORT NAME@HOST logs in with them",
            details: [
                "add: paste one line of your public key file (cat ~/.ssh/id_ed25519.pub) after /key add.",
                "Types: ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa, and the -sk security-key kinds.",
                "At most \(SSHPublicKey.maxPerAccount) keys; a key belongs to one account only.",
                "list: each key's number, type, SHA256 fingerprint (as ssh-keygen -l shows it), comment, date.",
                "remove N: removes key N of /key list.",
            ],
            access: .account(toDo: "manage your SSH keys"),
            topic: .settings, parse: { args in parseKey(args) })
    ]

    static let badKeyNumber = WireError(.badUsage, "N must be a key number from /key list, like 1")

    /// `add TYPE KEY [COMMENT...]`, `list` or `remove N`; the subcommand in any case.
    static func parseKey(_ args: Arguments) -> Result<Command, WireError> {
        switch args.word(0)?.lowercased() {
        case "add":
            guard let type = args.word(1), let base64 = args.word(2) else { return .failure(args.spec.usageError) }
            return .success(.key(.add(type: type, base64: base64, comment: args.rest(after: 3))))
        case "list":
            guard args.words.count == 1 else { return .failure(args.spec.usageError) }
            return .success(.key(.list))
        case "remove":
            guard args.words.count == 2 else { return .failure(args.spec.usageError) }
            let word = args.words[1].hasPrefix("#") ? args.words[1].dropFirst() : args.words[1]
            guard let number = Int(word), number >= 1 else { return .failure(badKeyNumber) }
            return .success(.key(.remove(number)))
        default:
            return .failure(args.spec.usageError)
        }
    }
}
