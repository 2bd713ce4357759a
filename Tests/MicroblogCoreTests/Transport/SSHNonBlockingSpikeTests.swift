/// Feasibility spike for the SSH door (issue 14): can libssh 0.10's server side be driven without a thread
/// per connection, from Dispatch read sources on one serial queue, as the plain door is? Not wired into the
/// server; the next session builds the door from what is written here.
///
/// The shape that works (libssh 0.10.6, OpenSSH 9.2 client):
/// 1. Accept the TCP connection ourselves (non-blocking socket, as `Listener` does), then
///    `ssh_new()`, `ssh_bind_accept_fd(bind, session, fd)`. The `ssh_bind` is never `listen`ed: it only holds
///    the host key, given with `ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key)` (the bind takes
///    ownership of that `ssh_key`, so pass `SSHHostKey.makeLibSSHKey()`). From here libssh owns the
///    descriptor: `ssh_free(session)` closes it, so the read source's cancel handler must not.
/// 2. `ssh_set_blocking(session, 0)`, `ssh_set_auth_methods(session, SSH_AUTH_METHOD_PUBLICKEY | …)` and
///    `ssh_set_server_callbacks(session, &callbacks)` (auth_pubkey_function, auth_password_function,
///    channel_open_request_session_function; `size` set by hand because the `ssh_callbacks_init` macro
///    does not import). The callbacks struct must outlive the session: libssh keeps the pointer.
/// 3. On every read event before the key exchange is done, call `ssh_handle_key_exchange(session)`: it returns
///    `SSH_AGAIN` (several times) while waiting for the client, `SSH_OK` once done, `SSH_ERROR` on failure
///    (`ssh_get_error(session)` says why). It never waited for the network in this test.
/// 4. Then `ssh_event_new()` + `ssh_event_add_session(event, session)`, and on every read event
///    `ssh_event_dopoll(event, 0)`: libssh polls the one descriptor with timeout 0, reads what is there and runs
///    the callbacks (authentication, channel open, pty-req, shell, exec, data, window-change, eof, close).
///    Call it once straight after the key exchange too: the client's next packets may already be buffered.
/// 5. After each step, `ssh_get_poll_flags(session) & SSH_WRITE_PENDING` says libssh holds unsent output
///    (the kernel buffer was full): resume a write source then, and call `ssh_event_dopoll(event, 0)` from
///    it, which flushes; suspend it when the flag clears.
/// 6. Channel callbacks (`ssh_set_channel_callbacks` on the channel returned from the open callback):
///    channel_pty_request_function gets TERM and the window size in characters, channel_pty_window_change
///    the new size, channel_shell_request / channel_exec_request the session kind (exec gets the command
///    line), channel_data_function the bytes (return how many were consumed). `ssh_channel_write` in
///    non-blocking mode queues and returns at once; `ssh_channel_request_send_exit_status`,
///    `ssh_channel_send_eof`, `ssh_channel_close` end a one-shot command and OpenSSH exits with that status.
/// 7. Output larger than the client's channel window (OpenSSH opens 2 MiB): write at most
///    `ssh_channel_window_size(channel)` bytes, keep the rest, and write more at the end of every turn.
///    channel_write_wontblock_function is not enough: libssh 0.10 calls it only when its socket output
///    buffer drains (with the window as it is then, often 0), not when the client's window adjust arrives;
///    relying on it alone stalled a 6 MiB flood at 2 MiB + 64 KiB. This is the door's back-pressure point:
///    what the channel does not take stays in the connection's own output buffer, under the plain door's
///    limits, and `SSH_WRITE_PENDING` (item 5) covers the kernel side.
/// 8. What the server callbacks do not cover goes to `ssh_set_message_callback(session, callback, userdata)`
///    (return 0 when answered, 1 for libssh's default refusal). Keyboard-interactive login has no server
///    callback in 0.10: the first SSH_REQUEST_AUTH / SSH_AUTH_METHOD_INTERACTIVE message is answered with
///    `ssh_message_auth_interactive_request` (prompts, echo flags), the response message
///    (`ssh_message_auth_kbdint_is_response`) with `ssh_userauth_kbdint_getanswer(session, i)` and
///    `ssh_message_auth_reply_success`; the response carries no user name, so keep the request's
///    (`ssh_message_auth_user`). Channel types other than session (direct-tcpip from `ssh -W` or `-L`) reach
///    the message callback as SSH_REQUEST_CHANNEL_OPEN and are refused by returning 1; OpenSSH then reports
///    "stdio forwarding failed" and exits 255 (tested). Read in libssh's source (messages.c, ssh_message_queue),
///    not tested: without a message callback, once server callbacks are set, libssh refuses unhandled
///    messages itself, and channel requests with no channel callback (x11-req, auth-agent-req, env,
///    subsystem) are refused the same way; so the door refuses them by leaving those callbacks out.
/// 9. Replies after a request: a callback's answer (channel success for exec, say) is sent when the callback
///    returns, so output and close that should follow it are queued and run at the end of the turn.
/// 10. The end: `ssh_is_connected(session) == 0` after a step means the peer left. Then
///    `ssh_event_remove_session`, `ssh_event_free`, `ssh_disconnect`, `ssh_free`.
///
/// Found on the way: the OpenSSH client started through Foundation's `Process` never sent window-change,
/// most likely because it inherits the test thread's blocked signals (SIGWINCH among them); started by
/// `CleanSpawn`, which unblocks every signal, it does. A background job of `sh -c` reads /dev/null, so `stty` there must be given `< /dev/tty`.
///
/// All libssh calls for a session happen on the one serial queue; the tests check that no single call
/// held the queue for long (the longest turn seen was a few milliseconds: the key exchange's curve25519
/// and Ed25519 signature, and a 32 KiB channel write) and that the key exchange did return `SSH_AGAIN` (it
/// did not run to completion inside one call). Not tried here: a handshake timeout (a timer on the queue
/// that frees sessions not authenticated in time), the auth_none callback for guest sessions, and many
/// hundreds of sessions.
import CLibSSH
import Dispatch
import Foundation
import MicroblogTestSupport
import Testing

@testable import MicroblogCore

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized) struct SSHNonBlockingSpikeTests {
    @Test func publicKeyShellWithPTYOverRealOpenSSHClient() throws {
        let directory = try TemporaryDirectory()
        let hostKey = try SSHHostKey.loadOrCreate(path: directory.path + "/host_key")
        let clientKey = directory.path + "/client_key"
        _ = try runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey])
        let server = try SpikeSSHServer(hostKey: hostKey, authorizedKeyPath: clientKey + ".pub", password: nil)
        defer { server.stop() }
        let knownHosts = directory.path + "/known_hosts"
        try "[127.0.0.1]:\(server.port) \(hostKey.publicKeyLine)\n".write(
            toFile: knownHosts, atomically: true, encoding: .utf8)

        let client = try SSHClientProcess(
            port: server.port,
            arguments: [
                "-tt", "-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "-o", "IdentitiesOnly=yes",
                "-i", clientKey, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts,
                "alice@127.0.0.1",
            ],
            environment: ["TERM": "xterm-256color"])
        #expect(waitUntil { client.output.contains("welcome alice") })
        client.send("hello\n")
        #expect(waitUntil { client.output.contains("echo: hello") })
        client.send("quit\n")
        #expect(client.waitForExit() == 0, "ssh said: \(client.errors)")

        let facts = server.facts
        #expect(facts.keyExchangeAgainCount > 0)
        #expect(facts.longestStep < 0.5)
        #expect(facts.authenticatedUser == "alice")
        let clientFingerprint = try SSHHostKey.fingerprintOfPublicKeyFile(clientKey + ".pub")
        #expect(facts.offeredKeyFingerprint == clientFingerprint)
        #expect(facts.terminal == "xterm-256color")
        #expect(facts.shellOpened)
        #expect(facts.received.contains("hello"))
        #expect(facts.failures.isEmpty, "\(facts.failures)")
    }

    @Test func passwordLoginAndOneShotCommandWithExitStatus() throws {
        let directory = try TemporaryDirectory()
        let hostKey = try SSHHostKey.loadOrCreate(path: directory.path + "/host_key")
        let server = try SpikeSSHServer(hostKey: hostKey, authorizedKeyPath: nil, password: "open sesame")
        defer { server.stop() }
        let askpass = directory.path + "/askpass"
        try "#!/bin/sh\necho 'open sesame'\n".write(toFile: askpass, atomically: true, encoding: .utf8)
        #expect(chmod(askpass, 0o700) == 0)

        let client = try SSHClientProcess(
            port: server.port,
            arguments: [
                "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "bob@127.0.0.1", "post", "hello world",
            ],
            environment: ["SSH_ASKPASS": askpass, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"])
        #expect(client.waitForExit() == 3, "ssh said: \(client.errors)")
        #expect(client.output.contains("ran: post hello world"))

        let facts = server.facts
        #expect(facts.authenticatedUser == "bob")
        #expect(facts.offeredPassword == "open sesame")
        #expect(facts.command == "post hello world")
        #expect(facts.failures.isEmpty, "\(facts.failures)")
    }

    @Test func keyboardInteractiveLoginThroughTheMessageCallback() throws {
        let directory = try TemporaryDirectory()
        let hostKey = try SSHHostKey.loadOrCreate(path: directory.path + "/host_key")
        let server = try SpikeSSHServer(hostKey: hostKey, authorizedKeyPath: nil, password: "open sesame")
        defer { server.stop() }
        let askpass = directory.path + "/askpass"
        try "#!/bin/sh\necho 'open sesame'\n".write(toFile: askpass, atomically: true, encoding: .utf8)
        #expect(chmod(askpass, 0o700) == 0)

        let client = try SSHClientProcess(
            port: server.port,
            arguments: [
                "-o", "PreferredAuthentications=keyboard-interactive", "-o", "NumberOfPasswordPrompts=1",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "erin@127.0.0.1", "feed",
            ],
            environment: ["SSH_ASKPASS": askpass, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"])
        #expect(client.waitForExit() == 3, "ssh said: \(client.errors)")
        #expect(client.output == "ran: feed\n")
        let facts = server.facts
        #expect(facts.keyboardInteractive)
        #expect(facts.authenticatedUser == "erin")
        #expect(facts.failures.isEmpty, "\(facts.failures)")
    }

    @Test func portForwardingIsRefusedByDefault() throws {
        let directory = try TemporaryDirectory()
        let hostKey = try SSHHostKey.loadOrCreate(path: directory.path + "/host_key")
        let clientKey = directory.path + "/client_key"
        _ = try runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey])
        let server = try SpikeSSHServer(hostKey: hostKey, authorizedKeyPath: clientKey + ".pub", password: nil)
        defer { server.stop() }
        // -W asks for a direct-tcpip channel straight after login.
        let client = try SSHClientProcess(
            port: server.port,
            arguments: [
                "-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "-o", "IdentitiesOnly=yes",
                "-i", clientKey, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-W", "127.0.0.1:9", "frank@127.0.0.1",
            ],
            environment: [:])
        #expect(client.waitForExit() == 255)
        #expect(client.errors.contains("forwarding failed"), "ssh said: \(client.errors)")
        let facts = server.facts
        #expect(facts.refusedChannelTypes == [Int(SSH_CHANNEL_DIRECT_TCPIP.rawValue)])
        #expect(facts.failures.isEmpty, "\(facts.failures)")
    }

    @Test func oneQueueServesSeveralSessionsAtOnce() throws {
        let directory = try TemporaryDirectory()
        let hostKey = try SSHHostKey.loadOrCreate(path: directory.path + "/host_key")
        let clientKey = directory.path + "/client_key"
        _ = try runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey])
        let server = try SpikeSSHServer(hostKey: hostKey, authorizedKeyPath: clientKey + ".pub", password: nil)
        defer { server.stop() }
        let clients = try (1...6).map { number in
            try SSHClientProcess(
                port: server.port,
                arguments: [
                    "-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "-o", "IdentitiesOnly=yes",
                    "-i", clientKey, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                    "bot\(number)@127.0.0.1", "post", "number \(number)",
                ],
                environment: [:])
        }
        for (index, client) in clients.enumerated() {
            #expect(client.waitForExit() == 3, "ssh said: \(client.errors)")
            #expect(client.output == "ran: post number \(index + 1)\n")
        }
        let facts = server.facts
        #expect(facts.keyExchangeAgainCount >= clients.count)
        #expect(facts.longestStep < 0.5)
        #expect(facts.failures.isEmpty, "\(facts.failures)")
    }

    @Test func outputBeyondTheChannelWindowWaitsForTheClient() throws {
        let directory = try TemporaryDirectory()
        let hostKey = try SSHHostKey.loadOrCreate(path: directory.path + "/host_key")
        let clientKey = directory.path + "/client_key"
        _ = try runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey])
        let server = try SpikeSSHServer(hostKey: hostKey, authorizedKeyPath: clientKey + ".pub", password: nil)
        defer { server.stop() }
        // OpenSSH's session window is 2 MiB and its output pipe is not read until waitForExit: libssh must
        // hold the rest until the client adjusts the window, without blocking the queue.
        let size = 6 * 1024 * 1024
        let client = try SSHClientProcess(
            port: server.port,
            arguments: [
                "-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey", "-o", "IdentitiesOnly=yes",
                "-i", clientKey, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "dave@127.0.0.1", "flood", "\(size)",
            ],
            environment: [:])
        #expect(waitUntil { server.facts.windowWaits > 0 })
        #expect(client.waitForExit() == 0, "ssh said: \(client.errors)")
        #expect(client.outputCount == size)
        let facts = server.facts
        #expect(facts.longestStep < 0.5)
        #expect(facts.failures.isEmpty, "\(facts.failures)")
    }

    @Test func windowSizeComesFromPTYRequestAndWindowChange() throws {
        let directory = try TemporaryDirectory()
        let hostKey = try SSHHostKey.loadOrCreate(path: directory.path + "/host_key")
        let clientKey = directory.path + "/client_key"
        _ = try runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKey])
        let server = try SpikeSSHServer(hostKey: hostKey, authorizedKeyPath: clientKey + ".pub", password: nil)
        defer { server.stop() }
        // script(1) gives ssh a real terminal; stty sets its size before ssh reads it. A line written to the
        // FIFO later resizes that terminal (from /dev/tty: sh gives a background job /dev/null as input), and
        // the kernel sends ssh SIGWINCH.
        let resize = directory.path + "/resize"
        #expect(mkfifo(resize, 0o600) == 0)
        let ssh = [
            "ssh", "-F", "/dev/null", "-p", "\(server.port)", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
            "-o", "PreferredAuthentications=publickey", "-o", "IdentitiesOnly=yes", "-i", clientKey,
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "carol@127.0.0.1",
        ].joined(separator: " ")
        let client = try SSHClientProcess(
            executable: "/usr/bin/script",
            arguments: [
                "-q", "-e", "-c",
                "stty cols 97 rows 31; (read line < \(resize); stty cols 120 rows 40 < /dev/tty) & exec \(ssh)",
                "/dev/null",
            ],
            environment: ["TERM": "vt100"])
        #expect(waitUntil { client.output.contains("welcome carol") })
        #expect(waitUntil { server.facts.windowSize == [97, 31] })
        try "go\n".write(toFile: resize, atomically: false, encoding: .utf8)
        #expect(waitUntil { server.facts.windowSize == [120, 40] })
        client.send("quit\r")
        #expect(client.waitForExit() == 0, "ssh said: \(client.errors) \(client.output)")
        #expect(server.facts.terminal == "vt100")
        #expect(server.facts.failures.isEmpty, "\(server.facts.failures)")
    }
}

extension SSHHostKey {
    /// The SHA256 fingerprint of an OpenSSH public key file, through libssh.
    static func fingerprintOfPublicKeyFile(_ path: String) throws -> String {
        var key: ssh_key?
        guard ssh_pki_import_pubkey_file(path, &key) == SSH_OK, let key else { throw TestFailure("bad \(path)") }
        defer { ssh_key_free(key) }
        return try libSSHFingerprint(of: key)
    }
}

/// What the spike server saw, copied out of the queue for the test to check.
struct SpikeFacts {
    var keyExchangeAgainCount = 0
    var longestStep: Double = 0
    var authenticatedUser: String?
    var offeredKeyFingerprint: String?
    var offeredPassword: String?
    var terminal: String?
    var windowSize: [Int]?
    var shellOpened = false
    var command: String?
    var received = ""
    /// How often a flood found the client's channel window closed and waited for it to open.
    var windowWaits = 0
    /// Whether a login went through keyboard-interactive (the message callback) rather than a callback.
    var keyboardInteractive = false
    /// Channel open requests refused by default (`ssh_channel_type_e` values: 2 is direct-tcpip).
    var refusedChannelTypes: [Int] = []
    /// How often libssh called channel_write_wontblock_function.
    var writeWontBlockCalls = 0
    var failures: [String] = []
}

/// A minimal SSH server on 127.0.0.1, port 0: accepts public-key or password logins, echoes shell input,
/// answers an exec request with "ran: COMMAND" and exit status 3, ends the shell on "quit".
/// Confined to `queue`: every libssh call and every field below happen there.
final class SpikeSSHServer: @unchecked Sendable {
    let queue = DispatchQueue(label: "ssh-spike")
    let port: Int
    private let listenFD: Int32
    private let listenSource: DispatchSourceRead
    private let bind: ssh_bind
    let authorizedKey: ssh_key?
    let password: String?
    private var connections: [ObjectIdentifier: SpikeSSHConnection] = [:]
    var recorded = SpikeFacts()

    var facts: SpikeFacts { queue.sync { recorded } }

    init(hostKey: SSHHostKey, authorizedKeyPath: String?, password: String?) throws {
        ssh_init()
        guard let bind = ssh_bind_new() else { throw TestFailure("ssh_bind_new") }
        self.bind = bind
        let key = try hostKey.makeLibSSHKey()
        guard ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, UnsafeRawPointer(key)) == SSH_OK else {
            throw TestFailure("SSH_BIND_OPTIONS_IMPORT_KEY")
        }
        if let authorizedKeyPath {
            var parsed: ssh_key?
            guard ssh_pki_import_pubkey_file(authorizedKeyPath, &parsed) == SSH_OK else {
                throw TestFailure("cannot read \(authorizedKeyPath)")
            }
            authorizedKey = parsed
        } else {
            authorizedKey = nil
        }
        self.password = password

        let listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listenFD = listenFD
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                Glibc.bind(listenFD, pointer, length) == 0 && listen(listenFD, 16) == 0
                    && getsockname(listenFD, pointer, &length) == 0
            }
        }
        guard bound else { throw TestFailure("cannot listen: \(errno)") }
        port = Int(UInt16(bigEndian: address.sin_port))
        _ = fcntl(listenFD, F_SETFL, fcntl(listenFD, F_GETFL) | O_NONBLOCK)
        listenSource = DispatchSource.makeReadSource(fileDescriptor: listenFD, queue: queue)
        let fd = listenFD
        listenSource.setEventHandler { [unowned self] in acceptAll() }
        listenSource.setCancelHandler { close(fd) }
        listenSource.resume()
    }

    func stop() {
        queue.sync {
            listenSource.cancel()
            for connection in connections.values { connection.finish() }
            connections = [:]
        }
        // Let the cancel handlers run before the bind goes.
        queue.sync {}
        ssh_bind_free(bind)
        if let authorizedKey { ssh_key_free(authorizedKey) }
    }

    private func acceptAll() {
        while true {
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { return }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            do {
                let connection = try SpikeSSHConnection(server: self, fd: fd, bind: bind)
                connections[ObjectIdentifier(connection)] = connection
                connection.start()
            } catch {
                recorded.failures.append("\(error)")
                close(fd)
            }
        }
    }

    func remove(_ connection: SpikeSSHConnection) { connections[ObjectIdentifier(connection)] = nil }
}

/// One SSH connection: its libssh session, event and channel callbacks. Confined to the server's queue.
final class SpikeSSHConnection {
    private unowned let server: SpikeSSHServer
    private let session: ssh_session
    private var event: ssh_event?
    private let readSource: DispatchSourceRead
    private let writeSource: DispatchSourceWrite
    private var writeSourceRunning = false
    private var finished = false
    private var sourcesToCancel = 2
    private let serverCallbacks: UnsafeMutablePointer<ssh_server_callbacks_struct>
    private let channelCallbacks: UnsafeMutablePointer<ssh_channel_callbacks_struct>
    private var pendingLine = ""
    private var keyboardInteractiveUser: String?
    /// Work for the end of this turn, once libssh has answered the request being handled.
    fileprivate var afterTurn: [() -> Void] = []

    init(server: SpikeSSHServer, fd: Int32, bind: ssh_bind) throws {
        self.server = server
        guard let session = ssh_new() else { throw TestFailure("ssh_new") }
        self.session = session
        guard ssh_bind_accept_fd(bind, session, fd) == SSH_OK else {
            let message = String(cString: ssh_get_error(UnsafeMutableRawPointer(bind)))
            ssh_free(session)
            throw TestFailure("ssh_bind_accept_fd: \(message)")
        }
        readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: server.queue)
        writeSource = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: server.queue)
        serverCallbacks = .allocate(capacity: 1)
        serverCallbacks.initialize(to: ssh_server_callbacks_struct())
        channelCallbacks = .allocate(capacity: 1)
        channelCallbacks.initialize(to: ssh_channel_callbacks_struct())
    }

    func start() {
        let me = Unmanaged.passUnretained(self).toOpaque()
        serverCallbacks.pointee.size = MemoryLayout<ssh_server_callbacks_struct>.size
        serverCallbacks.pointee.userdata = me
        serverCallbacks.pointee.auth_pubkey_function = { _, user, key, state, userdata in
            let connection = Unmanaged<SpikeSSHConnection>.fromOpaque(userdata!).takeUnretainedValue()
            return connection.authenticate(user: String(cString: user!), key: key, state: state)
        }
        serverCallbacks.pointee.auth_password_function = { _, user, password, userdata in
            let connection = Unmanaged<SpikeSSHConnection>.fromOpaque(userdata!).takeUnretainedValue()
            return connection.authenticate(user: String(cString: user!), password: String(cString: password!))
        }
        serverCallbacks.pointee.channel_open_request_session_function = { _, userdata in
            Unmanaged<SpikeSSHConnection>.fromOpaque(userdata!).takeUnretainedValue().openChannel()
        }
        channelCallbacks.pointee.size = MemoryLayout<ssh_channel_callbacks_struct>.size
        channelCallbacks.pointee.userdata = me
        channelCallbacks.pointee.channel_pty_request_function = { _, _, term, width, height, _, _, userdata in
            let connection = Unmanaged<SpikeSSHConnection>.fromOpaque(userdata!).takeUnretainedValue()
            connection.server.recorded.terminal = String(cString: term!)
            connection.server.recorded.windowSize = [Int(width), Int(height)]
            return 0
        }
        channelCallbacks.pointee.channel_pty_window_change_function = { _, _, width, height, _, _, userdata in
            let connection = Unmanaged<SpikeSSHConnection>.fromOpaque(userdata!).takeUnretainedValue()
            connection.server.recorded.windowSize = [Int(width), Int(height)]
            return 0
        }
        channelCallbacks.pointee.channel_shell_request_function = { _, channel, userdata in
            let connection = Unmanaged<SpikeSSHConnection>.fromOpaque(userdata!).takeUnretainedValue()
            connection.server.recorded.shellOpened = true
            let user = connection.server.recorded.authenticatedUser ?? "?"
            connection.write("welcome \(user)\r\n", to: channel!)
            return 0
        }
        channelCallbacks.pointee.channel_exec_request_function = { _, channel, command, userdata in
            let connection = Unmanaged<SpikeSSHConnection>.fromOpaque(userdata!).takeUnretainedValue()
            let line = String(cString: command!)
            connection.server.recorded.command = line
            if line.hasPrefix("flood "), let size = Int(line.dropFirst(6)) {
                connection.afterTurn.append { connection.startFlood(size, on: channel!) }
                return 0
            }
            // After this callback libssh answers the exec request: the output and the close wait for that.
            connection.afterTurn.append {
                connection.write("ran: \(line)\n", to: channel!)
                connection.end(channel!, status: 3)
            }
            return 0
        }
        channelCallbacks.pointee.channel_write_wontblock_function = { _, _, _, userdata in
            let connection = Unmanaged<SpikeSSHConnection>.fromOpaque(userdata!).takeUnretainedValue()
            connection.server.recorded.writeWontBlockCalls += 1
            connection.pumpFlood()
            return 0
        }
        channelCallbacks.pointee.channel_data_function = { _, channel, data, length, _, userdata in
            let connection = Unmanaged<SpikeSSHConnection>.fromOpaque(userdata!).takeUnretainedValue()
            let bytes = UnsafeRawBufferPointer(start: data, count: Int(length))
            connection.received(Array(bytes), on: channel!)
            return Int32(length)
        }

        ssh_set_blocking(session, 0)
        var methods = 0
        if server.authorizedKey != nil { methods |= Int(SSH_AUTH_METHOD_PUBLICKEY) }
        if server.password != nil { methods |= Int(SSH_AUTH_METHOD_PASSWORD | SSH_AUTH_METHOD_INTERACTIVE) }
        ssh_set_auth_methods(session, Int32(methods))
        ssh_set_server_callbacks(session, serverCallbacks)
        // What the server callbacks do not cover (keyboard-interactive, refused channel types) comes here.
        ssh_set_message_callback(
            session,
            { _, message, userdata in
                Unmanaged<SpikeSSHConnection>.fromOpaque(userdata!).takeUnretainedValue().handle(message!)
            }, me)

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
        let started = DispatchTime.now()
        defer {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            server.recorded.longestStep = max(server.recorded.longestStep, seconds)
        }
        if event == nil {
            let result = ssh_handle_key_exchange(session)
            if result == SSH_AGAIN {
                server.recorded.keyExchangeAgainCount += 1
                updateWriteInterest()
                return
            }
            guard result == SSH_OK else {
                server.recorded.failures.append("key exchange: \(errorText())")
                finish()
                return
            }
            event = ssh_event_new()
            ssh_event_add_session(event, session)
        }
        if ssh_event_dopoll(event, 0) == SSH_ERROR && ssh_is_connected(session) != 0 {
            server.recorded.failures.append("ssh_event_dopoll: \(errorText())")
        }
        let work = afterTurn
        afterTurn = []
        for item in work { item() }
        pumpFlood()
        if ssh_is_connected(session) == 0 {
            finish()
            return
        }
        updateWriteInterest()
    }

    private func updateWriteInterest() {
        let pending = ssh_get_poll_flags(session) & SSH_WRITE_PENDING != 0
        if pending && !writeSourceRunning {
            writeSource.resume()
        } else if !pending && writeSourceRunning {
            writeSource.suspend()
        }
        writeSourceRunning = pending
    }

    fileprivate func authenticate(user: String, key: ssh_key?, state: CChar) -> Int32 {
        server.recorded.offeredKeyFingerprint = key.flatMap { try? libSSHFingerprint(of: $0) }
        guard let key, let authorized = server.authorizedKey, ssh_key_cmp(key, authorized, SSH_KEY_CMP_PUBLIC) == 0
        else { return Int32(SSH_AUTH_DENIED.rawValue) }
        // State NONE is the client asking whether this key would do; VALID means it proved it holds the key.
        if state == CChar(SSH_PUBLICKEY_STATE_VALID.rawValue) { server.recorded.authenticatedUser = user }
        return Int32(SSH_AUTH_SUCCESS.rawValue)
    }

    fileprivate func authenticate(user: String, password: String) -> Int32 {
        server.recorded.offeredPassword = password
        guard password == server.password else { return Int32(SSH_AUTH_DENIED.rawValue) }
        server.recorded.authenticatedUser = user
        return Int32(SSH_AUTH_SUCCESS.rawValue)
    }

    /// Answers a message the server callbacks left: 0 when answered here, 1 for libssh's default refusal.
    fileprivate func handle(_ message: ssh_message) -> Int32 {
        let type = ssh_message_type(message)
        let subtype = ssh_message_subtype(message)
        if type == Int32(SSH_REQUEST_CHANNEL_OPEN.rawValue) {
            server.recorded.refusedChannelTypes.append(Int(subtype))
            return 1
        }
        guard type == Int32(SSH_REQUEST_AUTH.rawValue), subtype == SSH_AUTH_METHOD_INTERACTIVE else { return 1 }
        guard ssh_message_auth_kbdint_is_response(message) != 0 else {
            // The answer's message carries no user name: keep the one from the request.
            keyboardInteractiveUser = ssh_message_auth_user(message).map { String(cString: $0) }
            var prompt: UnsafePointer<CChar>? = nil
            var echo: CChar = 0
            return "Password: ".withCString { text in
                prompt = text
                return ssh_message_auth_interactive_request(message, "microblogd", "", 1, &prompt, &echo) == SSH_OK
                    ? 0 : 1
            }
        }
        guard ssh_userauth_kbdint_getnanswers(session) == 1, let answer = ssh_userauth_kbdint_getanswer(session, 0)
        else { return 1 }
        server.recorded.offeredPassword = String(cString: answer)
        guard String(cString: answer) == server.password else { return 1 }
        server.recorded.authenticatedUser = keyboardInteractiveUser
        server.recorded.keyboardInteractive = true
        return ssh_message_auth_reply_success(message, 0) == SSH_OK ? 0 : 1
    }

    fileprivate func openChannel() -> ssh_channel? {
        guard let channel = ssh_channel_new(session) else { return nil }
        ssh_set_channel_callbacks(channel, channelCallbacks)
        return channel
    }

    fileprivate func received(_ bytes: [UInt8], on channel: ssh_channel) {
        let text = String(decoding: bytes, as: UTF8.self)
        server.recorded.received += text
        pendingLine += text
        while let lineEnd = pendingLine.firstIndex(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            let line = String(pendingLine[..<lineEnd])
            pendingLine = String(pendingLine[pendingLine.index(after: lineEnd)...])
            if line == "quit" {
                end(channel, status: 0)
            } else if !line.isEmpty {
                write("echo: \(line)\r\n", to: channel)
            }
        }
    }

    fileprivate func write(_ text: String, to channel: ssh_channel) {
        let bytes = Array(text.utf8)
        let written = ssh_channel_write(channel, bytes, UInt32(bytes.count))
        if written != bytes.count { server.recorded.failures.append("ssh_channel_write wrote \(written)") }
    }

    private var floodRemaining = 0
    private var floodChannel: ssh_channel?

    fileprivate func startFlood(_ size: Int, on channel: ssh_channel) {
        floodRemaining = size
        floodChannel = channel
        pumpFlood()
    }

    /// Writes as much of the flood as the client's window takes; the rest waits for channel_write_wontblock.
    fileprivate func pumpFlood() {
        guard let channel = floodChannel else { return }
        while floodRemaining > 0 {
            let window = Int(ssh_channel_window_size(channel))
            guard window > 0 else {
                server.recorded.windowWaits += 1
                return
            }
            let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: min(floodRemaining, window, 32 * 1024))
            let written = ssh_channel_write(channel, chunk, UInt32(chunk.count))
            guard written > 0 else {
                server.recorded.failures.append("ssh_channel_write: \(errorText())")
                return
            }
            floodRemaining -= Int(written)
        }
        floodChannel = nil
        end(channel, status: 0)
    }

    fileprivate func end(_ channel: ssh_channel, status: Int32) {
        ssh_channel_request_send_exit_status(channel, status)
        ssh_channel_send_eof(channel)
        ssh_channel_close(channel)
    }

    /// Stops the sources; the session goes when both cancel handlers ran.
    func finish() {
        guard !finished else { return }
        finished = true
        readSource.cancel()
        writeSource.cancel()
        if !writeSourceRunning { writeSource.resume() }
        writeSourceRunning = true
        server.remove(self)
    }

    private func release() {
        if let event {
            ssh_event_remove_session(event, session)
            ssh_event_free(event)
        }
        ssh_disconnect(session)
        ssh_free(session)
        serverCallbacks.deallocate()
        channelCallbacks.deallocate()
    }

    private func errorText() -> String { String(cString: ssh_get_error(UnsafeMutableRawPointer(session))) }
}

/// The OpenSSH client (or `script` running it) with piped standard streams. Started by `CleanSpawn`:
/// Foundation's `Process` passes on the test thread's blocked signals, and an ssh with SIGWINCH blocked never
/// sends window-change.
final class SSHClientProcess {
    private let child: pid_t
    private let inputFD: Int32
    private let outputFD: Int32
    private let errorFD: Int32
    private var outputBytes: [UInt8] = []
    private var errorBytes: [UInt8] = []
    private var exitStatus: Int32?

    convenience init(port: Int, arguments: [String], environment: [String: String]) throws {
        try self.init(
            executable: "/usr/bin/ssh",
            arguments: ["-F", "/dev/null", "-p", "\(port)", "-o", "LogLevel=ERROR"] + arguments,
            environment: environment)
    }

    init(executable: String, arguments: [String], environment: [String: String]) throws {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        var errors: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0, pipe(&errors) == 0 else { throw TestFailure("pipe") }
        let settings = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        defer {
            close(input[0])
            close(output[1])
            close(errors[1])
        }
        child = try CleanSpawn.start(
            "/usr/bin/env", settings + [executable] + arguments, input: input[0], output: output[1],
            errors: errors[1])
        inputFD = input[1]
        outputFD = output[0]
        errorFD = errors[0]
        for fd in [inputFD, outputFD, errorFD] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        for fd in [outputFD, errorFD] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    deinit {
        if exitStatus == nil {
            kill(child, SIGKILL)
            waitpid(child, nil, 0)
        }
        for fd in [inputFD, outputFD, errorFD] { close(fd) }
    }

    /// How many bytes the client has written to its standard output so far.
    var outputCount: Int {
        Self.drain(outputFD, into: &outputBytes)
        return outputBytes.count
    }

    var output: String {
        Self.drain(outputFD, into: &outputBytes)
        return String(decoding: outputBytes, as: UTF8.self)
    }

    var errors: String {
        Self.drain(errorFD, into: &errorBytes)
        return String(decoding: errorBytes, as: UTF8.self)
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(inputFD, $0.baseAddress, $0.count) }
    }

    /// The exit status, or nil when the client did not exit within 20 s (it is killed then).
    func waitForExit() -> Int32? {
        var status: Int32 = 0
        let exited = waitUntil(timeout: 20) {
            Self.drain(outputFD, into: &outputBytes)
            Self.drain(errorFD, into: &errorBytes)
            return waitpid(child, &status, WNOHANG) == child
        }
        guard exited else { return nil }
        // The <sys/wait.h> macros do not import: an exit has 0 in the low 7 bits and its code above.
        exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return exitStatus
    }

    private static func drain(_ fd: Int32, into bytes: inout [UInt8]) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            bytes += chunk[0..<count]
        }
    }
}
