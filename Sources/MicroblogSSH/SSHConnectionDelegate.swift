/// An authentication request, as the SSH door hands it to the server to decide.
public enum SSHAuthRequest {
    /// `none`, which clients try first: a guest session for a name with no account.
    case none(user: String)
    /// A password, by `password` or `keyboard-interactive` authentication (`method`).
    case password(user: String, password: String, method: String)
    /// A public key (`type` and base64 blob as in an `authorized_keys` line); `signed` once the client has
    /// proved it holds the private key, false for its question whether the key would do.
    case publicKey(user: String, type: String, key: String, signed: Bool)
}

/// What an SSH connection asks of the server: decisions about logins, and sessions for its channels.
/// Called on the server queue.
public protocol SSHConnectionDelegate: AnyObject {
    /// Decides `request`; `answer` (on the server queue) gets whether it is accepted.
    func sshAuthenticate(_ connection: SSHConnection, _ request: SSHAuthRequest, _ answer: @escaping (Bool) -> Void)
    /// A shell (`command` nil) or a one-shot command starts on `channel`: give it a session.
    func sshStart(_ connection: SSHConnection, on channel: SSHChannel, command: String?)
    /// The connection has ended and released its libssh session.
    func sshFinished(_ connection: SSHConnection)
}
