import CLibSSH

/// What a refused SSH message asked for, in the words of the SSH protocol (RFC 4254 and OpenSSH's
/// extensions), for the `what` of `event=ssh_refused`: `channel direct-tcpip` for `ssh -L`, `-D` or `-W`,
/// `global tcpip-forward` for `ssh -R`, `request subsystem sftp`, rather than libssh's numbers for them.
/// Each is the kind of message (`channel` open, channel `request`, `global` request) and then its name.
/// Pure.
enum SSHRefusal {
    /// A channel the client asked to open, by libssh's `ssh_channel_type_e`.
    static func channel(type: Int32) -> String {
        switch type {
        case Int32(SSH_CHANNEL_SESSION.rawValue): "channel session"
        case Int32(SSH_CHANNEL_DIRECT_TCPIP.rawValue): "channel direct-tcpip"
        case Int32(SSH_CHANNEL_FORWARDED_TCPIP.rawValue): "channel forwarded-tcpip"
        case Int32(SSH_CHANNEL_X11.rawValue): "channel x11"
        case Int32(SSH_CHANNEL_AUTH_AGENT.rawValue): "channel auth-agent@openssh.com"
        default: "channel of an unknown type"
        }
    }

    /// A request on a channel, by libssh's `ssh_channel_requests_e`, with the subsystem it names (`sftp`)
    /// for a subsystem request. libssh keeps no name for a request it does not know (`break`, say), so
    /// those are all `request of an unknown type`; some it takes itself and never hands on
    /// (`auth-agent-req@openssh.com` for `ssh -A`).
    static func channelRequest(subtype: Int32, subsystem: String?) -> String {
        switch subtype {
        case Int32(SSH_CHANNEL_REQUEST_PTY.rawValue): "request pty-req"
        case Int32(SSH_CHANNEL_REQUEST_EXEC.rawValue): "request exec"
        case Int32(SSH_CHANNEL_REQUEST_SHELL.rawValue): "request shell"
        case Int32(SSH_CHANNEL_REQUEST_ENV.rawValue): "request env"
        case Int32(SSH_CHANNEL_REQUEST_SUBSYSTEM.rawValue): "request subsystem \(subsystem ?? "")"
        case Int32(SSH_CHANNEL_REQUEST_WINDOW_CHANGE.rawValue): "request window-change"
        case Int32(SSH_CHANNEL_REQUEST_X11.rawValue): "request x11-req"
        default: "request of an unknown type"
        }
    }

    /// A global request, by libssh's `ssh_global_requests_e`: of those, libssh hands the server only
    /// `tcpip-forward` (`ssh -R`) and `cancel-tcpip-forward`, and answers the others itself.
    static func globalRequest(subtype: Int32) -> String {
        switch subtype {
        case Int32(SSH_GLOBAL_REQUEST_TCPIP_FORWARD.rawValue): "global tcpip-forward"
        case Int32(SSH_GLOBAL_REQUEST_CANCEL_TCPIP_FORWARD.rawValue): "global cancel-tcpip-forward"
        case Int32(SSH_GLOBAL_REQUEST_KEEPALIVE.rawValue): "global keepalive@openssh.com"
        default: "global request of an unknown type"
        }
    }
}
