import CLibSSH
import MicroblogModel
import MicroblogSupport
import MicroblogTransport

/// One session channel of an SSH connection: the byte stream a `Session` reads and writes, as a
/// `Connection` is for the other doors. Confined to the server queue. Its libssh channel belongs to its
/// `SSHConnection`, which moves the bytes (`SSHConnection.pump`): output waits here, under the session's
/// `--output-limit`, until the client's window and the socket take it; input is read from libssh only
/// while reading is not paused, so a paused session pushes back on the client through the SSH window.
public final class SSHChannel {
    let channel: ssh_channel
    /// Held strongly until the channel closes (the connection closes each of its channels as it finishes,
    /// which ends the cycle): a weak reference would give the connection a side table for good, and every
    /// retain and release of it in each post's pump the runtime's slow path (issue 27).
    private var connection: SSHConnection?
    /// What the client asked for before its shell or command: a PTY and its width.
    public var terminal = SSHTerminal(pty: false, columns: nil)
    /// True once a shell or command runs on the channel (one per channel).
    var started = false

    /// Pending bytes, the stall clock, paused reading, and what is due once drained: a close (after
    /// `closeAfterFlush`, with the exit status reported) or one drain report.
    var output = OutputState()
    private(set) var isClosed = false
    var sawEndOfInput = false

    /// Session wiring, set by the server when the channel starts (as for `Connection`).
    public var onInput: ((UnsafeRawBufferPointer) -> Void)?
    public var onEndOfInput: (() -> Void)?
    public var onDrained: (() -> Void)?
    public var onClose: ((CloseReason) -> Void)?
    public var onWindowChange: ((Int) -> Void)?
    /// The exit status to send when the channel ends (a one-shot command's: 0 worked, 1 an error).
    public var exitStatus: () -> Int32 = { 0 }

    init(channel: ssh_channel, connection: SSHConnection) {
        self.channel = channel
        self.connection = connection
    }

    /// Closes without waiting for output: the connection ends the libssh channel on its next turn.
    public func close(reason: CloseReason) {
        guard !isClosed else { return }
        isClosed = true
        onInput = nil
        onEndOfInput = nil
        onDrained = nil
        onWindowChange = nil
        let handler = onClose
        onClose = nil
        handler?(reason)
        connection?.channelClosed(self)
        connection = nil
    }
}

extension SSHChannel: SessionOutput {
    public func write(_ bytes: [UInt8]) {
        guard !isClosed, !bytes.isEmpty else { return }
        output.queue(bytes)
        connection?.schedulePump()
    }

    public var pendingOutputBytes: Int { output.pendingBytes }
    public var stalledSince: Double? { output.stalledSince }

    public func pauseReading() {
        output.readPaused = true
    }

    public func resumeReading() {
        guard output.readPaused, !isClosed else { return }
        output.readPaused = false
        // Input may already wait in libssh: read it on the next pump.
        connection?.schedulePump(readingInput: true)
    }

    public func closeAfterFlush(reason: CloseReason) {
        guard !isClosed, output.pendingClose == nil else { return }
        pauseReading()
        output.closeWhenDrained(reason: reason)
        connection?.schedulePump()
        connection?.closeLater(self, after: .seconds(5))
    }

    public func notifyWhenDrained() {
        output.requestDrainNotification()
        connection?.schedulePump()
    }
}

@available(*, unavailable) extension SSHChannel: Sendable {}
