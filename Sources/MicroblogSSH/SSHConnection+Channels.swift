import CLibSSH
import Dispatch
import MicroblogModel
import MicroblogSupport

/// Channels: opening them, the requests made on them (PTY, window change, shell or command), and closing.
extension SSHConnection {
    /// Accepts a session channel once logged in, up to `maxChannels`; refuses every other channel type.
    func openChannel(_ message: ssh_message, type: Int32) {
        if type == Int32(SSH_CHANNEL_SESSION.rawValue) && login.authenticated && channels.count < Self.maxChannels,
            let raw = ssh_message_channel_request_open_reply_accept(message)
        {
            add(SSHChannel(channel: raw, connection: self))
        } else {
            var what = SSHRefusal.channel(type: type)
            if type == Int32(SSH_CHANNEL_SESSION.rawValue) {
                what += login.authenticated ? " (more than \(Self.maxChannels) at once)" : " (before logging in)"
            }
            refuse(what)
            _ = ssh_message_reply_default(message)
        }
    }

    func channelRequest(_ message: ssh_message, subtype: Int32) {
        guard let raw = ssh_message_channel_request_channel(message),
            let channel = channels.first(where: { $0.channel == raw }), !channel.isClosed
        else {
            _ = ssh_message_reply_default(message)
            return
        }
        switch subtype {
        case Int32(SSH_CHANNEL_REQUEST_PTY.rawValue) where !channel.started:
            channel.terminal = SSHTerminal(pty: true, columns: Self.columns(message))
            _ = ssh_message_channel_request_reply_success(message)
        case Int32(SSH_CHANNEL_REQUEST_WINDOW_CHANGE.rawValue):
            let columns = Self.columns(message)
            channel.terminal.columns = columns
            channel.onWindowChange?(columns)
            _ = ssh_message_channel_request_reply_success(message)
        case Int32(SSH_CHANNEL_REQUEST_SHELL.rawValue) where !channel.started,
            Int32(SSH_CHANNEL_REQUEST_EXEC.rawValue) where !channel.started:
            let command =
                subtype == Int32(SSH_CHANNEL_REQUEST_EXEC.rawValue)
                ? ssh_message_channel_request_command(message).map { String(cString: $0) } ?? "" : nil
            // The client hears that its shell or command runs before it reads any of its output.
            _ = ssh_message_channel_request_reply_success(message)
            channel.started = true
            login.sessionStarted = true
            endLoginTimer()
            delegate?.sshStart(self, on: channel, command: command)
            schedulePump(readingInput: true)
        case Int32(SSH_CHANNEL_REQUEST_ENV.rawValue):
            // OpenSSH sends LANG and the like unasked; refused without a log line.
            _ = ssh_message_reply_default(message)
        default:
            var what = SSHRefusal.channelRequest(
                subtype: subtype,
                subsystem: subtype == Int32(SSH_CHANNEL_REQUEST_SUBSYSTEM.rawValue)
                    ? ssh_message_channel_request_subsystem(message).map { String(cString: $0) } : nil)
            if channel.started { what += " (once the session has started)" }
            refuse(what)
            _ = ssh_message_reply_default(message)
        }
    }

    /// The width a PTY request or window change gives, within what telnet's NAWS can say (0 is unknown).
    private static func columns(_ message: ssh_message) -> Int {
        min(max(Int(microblog_ssh_message_pty_width(message)), 0), Int(UInt16.max))
    }

    /// Closes `channel` after `delay` if it has not ended by then (its client does not read).
    func closeLater(_ channel: SSHChannel, after delay: DispatchTimeInterval) {
        queue.asyncAfterConfined(delay) { [weak channel] in
            guard let channel, !channel.isClosed else { return }
            channel.close(reason: channel.output.pendingClose ?? .quit)
        }
    }

    /// Called by a channel as it closes: its libssh channel is closed and freed. A connection whose last
    /// channel has ended is left to the client to close, or closed after a while.
    func channelClosed(_ channel: SSHChannel) {
        guard remove(channel) else { return }
        guard !finished else { return }
        if ssh_channel_is_closed(channel.channel) == 0 { _ = ssh_channel_close(channel.channel) }
        ssh_channel_free(channel.channel)
        schedulePump()
        if channels.isEmpty {
            // A timer `finish` cancels, not an `asyncAfter` that would keep a finished connection 5 s.
            channelsGoneTimer?.cancel()
            channelsGoneTimer = queue.timerConfined(.seconds(5)) { [self] in
                guard !finished, channels.isEmpty else { return }
                finish()
            }
        }
    }
}
