// Temporary until the ssh-keys branch lands: no account has keys yet. Deleted at the merge.
struct TemporarySSHKey {
    var type: String
    var blob: String
}
extension Store {
    func sshKeys(of userID: Int64) throws -> [TemporarySSHKey] { [] }
}
