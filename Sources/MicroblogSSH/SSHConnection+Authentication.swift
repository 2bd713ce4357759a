import CLibSSH

#if canImport(Glibc)
    import Glibc
#endif

/// How far an SSH connection's login has come. Confined to the server queue, as its `SSHConnection`.
struct SSHLoginState {
    /// The authentication message waiting for the server's answer; later messages wait in libssh.
    var pending: ssh_message?
    var requests = 0
    /// The user named by the keyboard-interactive request, for its response (which names nobody).
    var interactiveUser: String?
    var authenticated = false
    /// True once a shell or command has started on a channel: the login timeout no longer applies.
    var sessionStarted = false

    /// Frees the message waiting for an answer, as the connection is released.
    mutating func free() {
        if let pending { ssh_message_free(pending) }
        pending = nil
    }
}

/// Authentication: each request is read from libssh and handed to the delegate to decide.
extension SSHConnection {
    static let maxAuthRequests = 20
    /// The longest user name an authentication request may give (account names are at most 20 bytes); a
    /// longer one is refused without a look-up, and logged cut.
    static let maxUserBytes = 64

    func authenticate(_ message: ssh_message, method: Int32) {
        login.requests += 1
        let user = ssh_message_auth_user(message).map { String(cString: $0) } ?? ""
        guard login.requests <= Self.maxAuthRequests, !login.authenticated else {
            log.info("ssh_auth_exhausted", ["conn": id, "peer": peer, "user": user], limitKey: "ssh_auth_exhausted")
            ssh_message_free(message)
            return finish()
        }
        guard user.utf8.count <= Self.maxUserBytes else {
            log.info(
                "ssh_auth_refused", ["conn": id, "peer": peer, "user": user, "reason": "name_too_long"],
                limitKey: "ssh_auth_refused")
            _ = ssh_message_reply_default(message)
            ssh_message_free(message)
            return
        }
        switch method {
        case Int32(SSH_AUTH_METHOD_NONE):
            return ask(.none(user: user), message)
        case Int32(SSH_AUTH_METHOD_PASSWORD):
            let password = microblog_ssh_message_auth_password(message).map { String(cString: $0) } ?? ""
            return ask(.password(user: user, password: password, method: "password"), message)
        case Int32(SSH_AUTH_METHOD_INTERACTIVE):
            if ssh_message_auth_kbdint_is_response(message) != 0 {
                let answer =
                    ssh_userauth_kbdint_getnanswers(session) >= 1
                    ? ssh_userauth_kbdint_getanswer(session, 0).map { String(cString: $0) } ?? "" : ""
                let name = login.interactiveUser ?? user
                return ask(.password(user: name, password: answer, method: "keyboard-interactive"), message)
            }
            login.interactiveUser = user
            var prompt: UnsafePointer<CChar>? = nil
            var echo: CChar = 0
            "Password: ".withCString { text in
                prompt = text
                _ = ssh_message_auth_interactive_request(message, "", "", 1, &prompt, &echo)
            }
        case Int32(SSH_AUTH_METHOD_PUBLICKEY):
            if let request = Self.publicKeyRequest(message, user: user) { return ask(request, message) }
            _ = ssh_message_reply_default(message)
        default:
            _ = ssh_message_reply_default(message)
        }
        ssh_message_free(message)
    }

    /// The public-key request `message` makes, or nil when its key cannot be read or its signature failed.
    private static func publicKeyRequest(_ message: ssh_message, user: String) -> SSHAuthRequest? {
        let state = microblog_ssh_message_auth_publickey_state(message)
        guard let key = microblog_ssh_message_auth_pubkey(message),
            state == Int32(SSH_PUBLICKEY_STATE_NONE.rawValue) || state == Int32(SSH_PUBLICKEY_STATE_VALID.rawValue),
            let type = ssh_key_type_to_char(ssh_key_type(key)).map({ String(cString: $0) })
        else { return nil }
        var base64: UnsafeMutablePointer<CChar>? = nil
        guard ssh_pki_export_pubkey_base64(key, &base64) == SSH_OK, let base64 else { return nil }
        let blob = String(cString: base64)
        free(base64)
        let signed = state == Int32(SSH_PUBLICKEY_STATE_VALID.rawValue)
        return .publicKey(user: user, type: type, key: blob, signed: signed)
    }

    /// Hands `request` to the server; its answer replies to `message` (held until then).
    private func ask(_ request: SSHAuthRequest, _ message: ssh_message) {
        login.pending = message
        // Holds the connection until the answer comes (strongly: see `start`); a finished one ignores it.
        delegate?.sshAuthenticate(self, request) { [self] accepted in
            guard !finished, let message = login.pending else { return }
            login.pending = nil
            if accepted, case .publicKey(_, _, _, signed: false) = request {
                _ = ssh_message_auth_reply_pk_ok_simple(message)
            } else if accepted {
                login.authenticated = true
                _ = ssh_message_auth_reply_success(message, 0)
            } else {
                _ = ssh_message_reply_default(message)
            }
            ssh_message_free(message)
            // Messages that came meanwhile wait in libssh: answer them now.
            step()
        }
    }
}
