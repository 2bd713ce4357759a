import CLibSSH
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// One connection to the SSH door (issue 14), work in progress: it owns the libssh session of one accepted
/// socket and drives it from read and write sources on the server queue, as `SSHNonBlockingSpikeTests`
/// proved (items 1 to 5 and 10 of its doc comment).
///
/// What works: the non-blocking key exchange with the door's host key; the client learns the key and its
/// fingerprint. What does not yet: every authentication is denied (`ssh_auth_denied` is logged), so no
/// channel is ever opened and nothing reaches a `Session`. Next: password auth against the account (see the
/// notes on `SSHConfiguration`), then one session channel with pty-req, window-change and shell, its bytes
/// going to a `Session` with `Door.ssh`.
///
/// Confined to the server queue. libssh owns the descriptor from `init` on: `ssh_free` closes it.
final class SSHConnection {
    private let session: ssh_session
    private var event: ssh_event?
    private let readSource: DispatchSourceRead
    private let writeSource: DispatchSourceWrite
    private var writeSourceRunning = false
    private var finished = false
    private var sourcesToCancel = 2
    /// libssh keeps this pointer: it lives as long as the session, and is freed with it in `release`.
    private let serverCallbacks: UnsafeMutablePointer<ssh_server_callbacks_struct>
    let peer: String
    private let log: Logger
    /// Called once, on the server queue, when the connection has ended and released its session.
    var onFinished: (SSHConnection) -> Void = { _ in }

    /// Takes `fd` (non-blocking, just accepted) into a new libssh session on `bind`, which holds the host key.
    /// On failure the descriptor is closed.
    init(fd: Int32, peer: String, bind: ssh_bind, queue: DispatchQueue, log: Logger) throws(SSHHostKeyError) {
        guard let session = ssh_new() else {
            close(fd)
            throw SSHHostKeyError("ssh_new failed")
        }
        guard ssh_bind_accept_fd(bind, session, fd) == SSH_OK else {
            let message = String(cString: ssh_get_error(UnsafeMutableRawPointer(bind)))
            ssh_free(session)
            close(fd)
            throw SSHHostKeyError("cannot start an SSH session: \(message)")
        }
        self.session = session
        self.peer = peer
        self.log = log
        readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        writeSource = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        serverCallbacks = .allocate(capacity: 1)
        serverCallbacks.initialize(to: ssh_server_callbacks_struct())
    }

    func start() {
        serverCallbacks.pointee.size = MemoryLayout<ssh_server_callbacks_struct>.size
        serverCallbacks.pointee.userdata = Unmanaged.passUnretained(self).toOpaque()
        serverCallbacks.pointee.auth_password_function = { _, user, _, userdata in
            let connection = Unmanaged<SSHConnection>.fromOpaque(userdata!).takeUnretainedValue()
            connection.log.info(
                "ssh_auth_denied", ["peer": connection.peer, "user": user.map { String(cString: $0) } ?? "-"],
                limitKey: "ssh_auth_denied")
            return Int32(SSH_AUTH_DENIED.rawValue)
        }
        ssh_set_blocking(session, 0)
        ssh_set_auth_methods(session, Int32(SSH_AUTH_METHOD_PASSWORD))
        ssh_set_server_callbacks(session, serverCallbacks)
        let cancelled: () -> Void = { [self] in
            sourcesToCancel -= 1
            if sourcesToCancel == 0 { release() }
        }
        readSource.setEventHandler { [unowned self] in step() }
        readSource.setCancelHandler(handler: cancelled)
        writeSource.setEventHandler { [unowned self] in step() }
        writeSource.setCancelHandler(handler: cancelled)
        readSource.resume()
        step()
    }

    /// One turn: advance the key exchange, or let libssh read and dispatch whatever has arrived.
    private func step() {
        guard !finished else { return }
        if event == nil {
            let result = ssh_handle_key_exchange(session)
            if result == SSH_AGAIN {
                updateWriteInterest()
                return
            }
            guard result == SSH_OK else {
                log.info("ssh_key_exchange_failed", ["peer": peer, "error": errorText()], limitKey: "ssh_kex")
                return finish()
            }
            event = ssh_event_new()
            ssh_event_add_session(event, session)
        }
        _ = ssh_event_dopoll(event, 0)
        if ssh_is_connected(session) == 0 { return finish() }
        updateWriteInterest()
    }

    /// Runs the write source only while libssh holds output the kernel did not take.
    private func updateWriteInterest() {
        let pending = ssh_get_poll_flags(session) & SSH_WRITE_PENDING != 0
        if pending && !writeSourceRunning {
            writeSource.resume()
        } else if !pending && writeSourceRunning {
            writeSource.suspend()
        }
        writeSourceRunning = pending
    }

    /// Ends the connection: cancels both sources; the last cancel handler frees the session (and the fd).
    func finish() {
        guard !finished else { return }
        finished = true
        readSource.cancel()
        writeSource.cancel()
        if !writeSourceRunning { writeSource.resume() }  // a suspended source never runs its cancel handler
        writeSourceRunning = true
    }

    private func release() {
        if let event {
            ssh_event_remove_session(event, session)
            ssh_event_free(event)
        }
        ssh_disconnect(session)
        ssh_free(session)
        serverCallbacks.deallocate()
        onFinished(self)
    }

    private func errorText() -> String { String(cString: ssh_get_error(UnsafeMutableRawPointer(session))) }
}
