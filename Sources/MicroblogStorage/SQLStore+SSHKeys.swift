import MicroblogModel
import MicroblogSupport

/// The SSH public keys accounts add for the SSH door.
extension SQLStore {
    public func addSSHKey(userID: Int64, type: String, blob: String, comment: String, at: Timestamp, limit: Int)
        throws -> StoredSSHKey
    {
        do {
            return try database.transaction {
                // Looked up first: after a failed INSERT PostgreSQL refuses every statement until the
                // transaction ends, so the owner could not be named then.
                if let owner = try database.statement(SSHKeySQL.owner).rows([.text(blob)], { $0.int64(at: 0) }).first {
                    throw StoreError.sshKeyTaken(ownerID: owner)
                }
                let held = try database.statement(SSHKeySQL.count).rows([.integer(userID)]) { $0.int64(at: 0) }.first
                guard (held ?? 0) < Int64(limit) else { throw StoreError.sshKeyLimit }
                _ = try database.insert(
                    SSHKeySQL.insert,
                    [.integer(userID), .text(type), .text(blob), .text(comment), .integer(at.milliseconds)])
                return StoredSSHKey(
                    number: Int(held ?? 0) + 1, type: type, base64: blob, comment: comment, addedAt: at)
            }
        } catch let error as StoreError where error.failureKind == .unique {
            // Another node added the same blob between the look-up and the insert.
            throw StoreError.sshKeyTaken(ownerID: nil)
        }
    }

    public func sshKeys(of userID: Int64) throws -> [StoredSSHKey] {
        let rows = try database.statement(SSHKeySQL.list).rows([.integer(userID)]) { try Self.sshKey($0, number: 0) }
        return rows.enumerated().map { offset, key in
            var numbered = key
            numbered.number = offset + 1
            return numbered
        }
    }

    public func removeSSHKey(userID: Int64, number: Int) throws -> StoredSSHKey? {
        guard number >= 1 else {
            try checkOpen()
            return nil
        }
        return try database.transaction {
            let values: [SQLValue] = [.integer(userID), .integer(Int64(number - 1))]
            let found = try database.statement(SSHKeySQL.numbered).rows(values) {
                (id: $0.int64(at: 0), key: try Self.sshKey($0, number: number))
            }.first
            guard let found else { return nil }
            try database.statement(SSHKeySQL.delete).run([.integer(found.id), .integer(userID)])
            return found.key
        }
    }

    /// A key from a row of `SSHKeySQL.columns`.
    private static func sshKey(_ row: some SQLRow, number: Int) throws -> StoredSSHKey {
        StoredSSHKey(
            number: number, type: try row.nonNullString(at: 1), base64: try row.nonNullString(at: 2),
            comment: row.string(at: 3) ?? "", addedAt: Timestamp(milliseconds: row.int64(at: 4)))
    }
}

private enum SSHKeySQL {
    static let owner = "SELECT user_id FROM ssh_keys WHERE key_blob = ?"
    static let count = "SELECT count(*) FROM ssh_keys WHERE user_id = ?"
    static let insert =
        "INSERT INTO ssh_keys (user_id, key_type, key_blob, comment, created_at) VALUES (?, ?, ?, ?, ?)"
    static let columns = "SELECT id, key_type, key_blob, comment, created_at FROM ssh_keys"
    /// An account's keys in the order they were added, which numbers them.
    static let list = columns + " WHERE user_id = ? ORDER BY id"
    /// The key at a place in the account's list (`?` user, `?` offset from 0).
    static let numbered = columns + " WHERE user_id = ? ORDER BY id LIMIT 1 OFFSET ?"
    static let delete = "DELETE FROM ssh_keys WHERE id = ? AND user_id = ?"
}
