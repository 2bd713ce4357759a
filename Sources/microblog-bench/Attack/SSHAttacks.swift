import CLibSSH
import Foundation
import MicroblogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A libssh client session on a socket connected from a chosen source address, authenticated with
/// `none` (a guest, or refused for a name with an account). Used by one thread; freed when released.
final class SSHGuest {
    let session: ssh_session
    /// Whether `none` authentication succeeded.
    let authenticated: Bool

    init(target: AttackTarget, source: String, name: String) throws {
        guard let port = target.sshPort else { throw BenchError("the server has no SSH port") }
        _ = ssh_init()
        let fd = try BlockingClient.connect(host: target.host, port: port, source: source)
        guard let session = ssh_new() else {
            close(fd)
            throw BenchError("ssh_new failed")
        }
        self.session = session
        var socket = fd  // libssh closes it with the session
        var quiet: Int32 = 0
        var processConfig = false
        var strict: Int32 = 0
        var noDelay: Int32 = 1
        var timeoutSeconds = 30
        ssh_options_set(session, SSH_OPTIONS_FD, &socket)
        ssh_options_set(session, SSH_OPTIONS_HOST, target.host)
        ssh_options_set(session, SSH_OPTIONS_USER, name)
        ssh_options_set(session, SSH_OPTIONS_LOG_VERBOSITY, &quiet)
        ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &processConfig)
        ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, "/dev/null")
        ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null")
        ssh_options_set(session, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict)
        ssh_options_set(session, SSH_OPTIONS_NODELAY, &noDelay)
        ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeoutSeconds)
        guard ssh_connect(session) == SSH_OK else {
            let reason = Self.error(session)
            ssh_free(session)
            throw BenchError("SSH connect failed: \(reason)")
        }
        authenticated = ssh_userauth_none(session, nil) == Int32(SSH_AUTH_SUCCESS.rawValue)
    }

    deinit {
        ssh_disconnect(session)
        ssh_free(session)
    }

    var isConnected: Bool { ssh_is_connected(session) != 0 }

    /// A session channel, open; with `shell`, a PTY of 80 x 24 and a shell on it.
    func openChannel(shell: Bool) throws -> ssh_channel {
        guard let channel = ssh_channel_new(session) else { throw BenchError("ssh_channel_new failed") }
        guard ssh_channel_open_session(channel) == SSH_OK else {
            ssh_channel_free(channel)
            throw BenchError("channel open refused: \(Self.error(session))")
        }
        if shell {
            guard ssh_channel_request_pty_size(channel, "xterm", 80, 24) == SSH_OK,
                ssh_channel_request_shell(channel) == SSH_OK
            else {
                ssh_channel_free(channel)
                throw BenchError("pty or shell refused: \(Self.error(session))")
            }
        }
        return channel
    }

    static func error(_ session: ssh_session) -> String {
        String(cString: ssh_get_error(UnsafeMutableRawPointer(session)))
    }
}

/// After an SSH guest login, one connection opens session channels beyond the 2 allowed, over and over
/// (each refused); then `windowChangers` connections with a PTY shell send `window-change` requests
/// as fast as the socket takes them (draining what the server sends back now and then).
struct SSHChannelAttack: Attack {
    let windowChangers: Int

    var needs: AttackNeeds {
        var needs = AttackNeeds()
        needs.ssh = true
        return needs
    }
    var phases: [String] { ["channel opens", "window changes"] }

    func start(phase: Int, target: AttackTarget, run: AttackRun) {
        if phase == 0 {
            run.spawn { Self.openChannels(target: target, run: run) }
        } else {
            for index in 0..<max(1, windowChangers) {
                run.spawn { Self.changeWindows(target: target, source: "127.0.10.\(index + 2)", run: run) }
            }
        }
    }

    private static func openChannels(target: AttackTarget, run: AttackRun) {
        while run.shouldRun {
            do {
                let guest = try SSHGuest(target: target, source: "127.0.10.1", name: "opener")
                let kept = [try guest.openChannel(shell: false), try guest.openChannel(shell: false)]
                defer { for channel in kept { ssh_channel_free(channel) } }
                while run.shouldRun && guest.isConnected {
                    guard let channel = ssh_channel_new(guest.session) else { break }
                    run.count(ssh_channel_open_session(channel) == SSH_OK ? "opens accepted" : "opens refused")
                    ssh_channel_free(channel)
                }
                if run.shouldRun { run.count("connections lost") }
            } catch {
                run.count("setup failed: " + "\(error)".prefix(60))
                run.pause(0.2)
            }
        }
    }

    private static func changeWindows(target: AttackTarget, source: String, run: AttackRun) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while run.shouldRun {
            do {
                let guest = try SSHGuest(target: target, source: source, name: "resizer")
                let channel = try guest.openChannel(shell: true)
                defer { ssh_channel_free(channel) }
                var width: Int32 = 40
                while run.shouldRun && guest.isConnected {
                    for _ in 0..<50 {
                        width = width >= 200 ? 40 : width + 1
                        if ssh_channel_change_pty_size(channel, width, 24) == SSH_OK {
                            run.count("window changes sent")
                        } else {
                            run.count("window changes failed")
                        }
                    }
                    while ssh_channel_read_nonblocking(channel, &buffer, UInt32(buffer.count), 0) > 0 {}
                }
                if run.shouldRun { run.count("connections lost") }
            } catch {
                run.count("setup failed: " + "\(error)".prefix(60))
                run.pause(0.2)
            }
        }
    }
}

/// What fills the server's log: SSH logins with `nameBytes`-byte user names from one address, then
/// `connections` plain connections from another looping failed logins for one name, which are throttled
/// after the first few (`throttled`, no hashing).
struct LogFloodAttack: Attack {
    let nameBytes: Int
    let sshThreads: Int
    let connections: Int

    var needs: AttackNeeds {
        var needs = AttackNeeds()
        needs.ssh = true
        return needs
    }
    var phases: [String] { ["ssh long names", "throttled logins"] }

    func start(phase: Int, target: AttackTarget, run: AttackRun) {
        if phase == 0 {
            let name = String(repeating: "n", count: max(1, nameBytes))
            for _ in 0..<max(1, sshThreads) {
                run.spawn {
                    while run.shouldRun {
                        do {
                            let guest = try SSHGuest(target: target, source: "127.0.10.1", name: name)
                            run.count(guest.authenticated ? "long-name logins as guest" : "long-name logins refused")
                        } catch {
                            run.count("ssh failed: " + "\(error)".prefix(60))
                            run.pause(0.05)
                        }
                    }
                }
            }
        } else {
            for _ in 0..<max(1, connections) {
                run.spawn {
                    do {
                        let session = try WireSession(target: target, source: "127.0.10.2")
                        let lines = Array(repeating: "/login someone wrong-password-1", count: 20)
                        while run.shouldRun {
                            for reply in try session.pipeline(lines) {
                                run.count("logins " + WireSession.outcome(reply))
                            }
                        }
                    } catch {
                        run.count("connection failed: " + "\(error)".prefix(60))
                    }
                }
            }
        }
    }
}
