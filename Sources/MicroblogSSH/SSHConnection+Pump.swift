import CLibSSH
import MicroblogModel
import MicroblogSupport

/// Moving channel bytes between libssh and each started channel's session.
extension SSHConnection {
    /// The most output handed to libssh for one channel in one turn (it is then encrypted at once).
    static let writeSlice = 64 * 1024

    /// Moves bytes for every started channel: output as far as the client's window and the socket allow,
    /// input while its session reads (with `readingInput`); then reports drains, ends, and channels closed
    /// by the client. Reading input costs a `poll(2)` inside libssh for a channel with nothing buffered, so
    /// a pump for output alone (a live post) leaves it: input is read when the socket has some (`step`)
    /// or a session resumes reading.
    func pump(readingInput: Bool = true) {
        for channel in channels where channel.started && !channel.isClosed {
            pumpOutput(channel)
            if channel.isClosed { continue }
            if channel.output.isEmpty {
                switch channel.output.takeDrainAction() {
                case .close(let reason):
                    end(channel, reason: reason)
                    continue
                case .reportDrained: channel.onDrained?()
                case nil: break
                }
            }
            // Output left waiting means libssh flushed with the socket full, and its flush reads packets
            // too (`ssh_handle_packets`): what it read must not wait for the next input. Rare (a stalled
            // reader), so the `poll(2)` it costs is too.
            if readingInput || !channel.output.isEmpty || holdsUnsentOutput { pumpInput(channel) }
        }
    }

    private func pumpOutput(_ channel: SSHChannel) {
        guard !channel.output.isEmpty else {
            channel.output.noteDrained()
            return
        }
        // What libssh holds unsent stays small: more is handed over only once the socket has taken it.
        guard !holdsUnsentOutput else {
            channel.output.noteStalled(progressed: false)
            return
        }
        var budget = min(Int(ssh_channel_window_size(channel.channel)), Self.writeSlice)
        if budget > 0 { letLibSSHSendNow() }
        var progressed = false
        var failed = false
        while budget > 0 && !channel.output.isEmpty && !failed {
            let written = channel.output.buffer.drain { bytes in
                let count = min(bytes.count, budget)
                let result = ssh_channel_write(channel.channel, bytes.baseAddress, UInt32(count))
                if result < 0 { failed = true }
                return max(Int(result), 0)
            }
            if written == 0 { break }
            budget -= written
            progressed = true
        }
        if failed { return channel.close(reason: .error) }
        if channel.output.isEmpty {
            channel.output.noteDrained()
        } else {
            channel.output.noteStalled(progressed: progressed)
        }
    }

    private func pumpInput(_ channel: SSHChannel) {
        while !channel.output.readPaused && !channel.isClosed && !channel.sawEndOfInput {
            let count = readBuffer.bytes.withUnsafeMutableBytes { raw in
                ssh_channel_read_nonblocking(channel.channel, raw.baseAddress, UInt32(raw.count), 0)
            }
            guard count > 0 else { break }
            readBuffer.bytes.withUnsafeBytes { raw in
                channel.onInput?(UnsafeRawBufferPointer(rebasing: raw[0..<Int(count)]))
            }
        }
        guard !channel.isClosed else { return }
        if !channel.sawEndOfInput && ssh_channel_is_eof(channel.channel) != 0 {
            channel.sawEndOfInput = true
            let handler = channel.onEndOfInput
            channel.onEndOfInput = nil
            if let handler { handler() } else { channel.close(reason: .peerClosed) }
        }
        if !channel.isClosed && ssh_channel_is_closed(channel.channel) != 0 {
            channel.close(reason: .peerClosed)
        }
    }

    /// Ends a channel whose output has been sent: its exit status, end of file, and close.
    private func end(_ channel: SSHChannel, reason: CloseReason) {
        _ = ssh_channel_request_send_exit_status(channel.channel, channel.exitStatus())
        _ = ssh_channel_send_eof(channel.channel)
        channel.close(reason: reason)
    }
}
