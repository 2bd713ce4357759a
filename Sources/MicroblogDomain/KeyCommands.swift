import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/key add|list|remove`: the SSH public keys an account logs in with over the SSH door. Keys are
/// managed over any door; the store keeps each key on one account only.
extension AccountSettings {
    func key(_ action: KeyAction, by user: User, for session: Session) {
        queue.checkConfined()
        switch action {
        case .add(let type, let base64, let comment):
            addKey(type: type, base64: base64, comment: comment, by: user, for: session)
        case .list: listKeys(of: user, for: session)
        case .remove(let number): removeKey(number, of: user, for: session)
        }
    }

    private func addKey(type: String, base64: String, comment: String?, by user: User, for session: Session) {
        let key: SSHPublicKey
        switch SSHPublicKey.validate(type: type, base64: base64, comment: comment) {
        case .success(let valid): key = valid
        case .failure(let error): return session.send(.error(error, command: "key"))
        }
        let fingerprint = key.fingerprint
        let reply = desk.waiting(session, command: "key")
        let now = Timestamp.now()
        storage.perform({ [key] store in
            try store.addSSHKey(
                userID: user.id, type: key.type, blob: key.base64, comment: key.comment, at: now,
                limit: SSHPublicKey.maxPerAccount)
        }) { [self] result in
            switch result {
            case .success(let stored):
                log.info("key_added", ["conn": session.id, "user": user.name, "fingerprint": fingerprint])
                session.send(
                    .ok(
                        Ack(
                            command: "key", message: "key \(stored.number) added: \(stored.type) \(fingerprint)",
                            fields: [
                                .string("action", "add"), .int("number", Int64(stored.number)),
                                .string("key_type", stored.type), .string("fingerprint", fingerprint),
                            ])))
            case .failure(.sshKeyTaken(let owner)) where owner == user.id:
                session.send(
                    .error(
                        WireError(.keyExists, "you added this key already (\(fingerprint)); /key list shows it"),
                        command: "key"))
            case .failure(.sshKeyTaken):
                // Which account holds it is not said: a key must not reveal who owns it.
                session.send(
                    .error(
                        WireError(
                            .keyTaken,
                            "this key (\(fingerprint)) belongs to another account; a key logs in to one account only"),
                        command: "key"))
            case .failure(.sshKeyLimit):
                session.send(
                    .error(
                        WireError(
                            .tooManyKeys,
                            "you have \(SSHPublicKey.maxPerAccount) keys, the most an account may hold; /key remove N first"
                        ), command: "key"))
            case .failure(let error):
                desk.storageFailed(error, command: "key", for: session)
            }
            reply.finish()
        }
    }

    private func listKeys(of user: User, for session: Session) {
        let reply = desk.waiting(session, command: "key")
        storage.perform({ store in try store.sshKeys(of: user.id) }) { [self] result in
            switch result {
            case .success(let keys):
                let now = Timestamp.now()
                for key in keys { session.send(.sshKey(key, fingerprint: key.fingerprint), now: now) }
                let message =
                    keys.isEmpty
                    ? "no SSH keys; add one with /key add and a line of your ~/.ssh/id_ed25519.pub"
                    : "\(keys.count) SSH key\(keys.count == 1 ? "" : "s"); /key remove N removes one"
                session.send(
                    .ok(
                        Ack(
                            command: "key", message: message,
                            fields: [.string("action", "list"), .int("count", Int64(keys.count))])))
            case .failure(let error):
                desk.storageFailed(error, command: "key", for: session)
            }
            reply.finish()
        }
    }

    private func removeKey(_ number: Int, of user: User, for session: Session) {
        let reply = desk.waiting(session, command: "key")
        storage.perform({ store in try store.removeSSHKey(userID: user.id, number: number) }) { [self] result in
            switch result {
            case .success(let removed?):
                let fingerprint = removed.fingerprint
                log.info("key_removed", ["conn": session.id, "user": user.name, "fingerprint": fingerprint])
                session.send(
                    .ok(
                        Ack(
                            command: "key", message: "key \(number) removed: \(removed.type) \(fingerprint)",
                            fields: [
                                .string("action", "remove"), .int("number", Int64(number)),
                                .string("key_type", removed.type), .string("fingerprint", fingerprint),
                            ])))
            case .success(nil):
                session.send(
                    .error(
                        WireError(.noSuchKey, "you have no key \(number); /key list shows their numbers"),
                        command: "key"))
            case .failure(let error):
                desk.storageFailed(error, command: "key", for: session)
            }
            reply.finish()
        }
    }
}
