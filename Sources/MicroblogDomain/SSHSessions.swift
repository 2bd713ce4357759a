import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// The SSH door's side of the domain: who an SSH connection is (a key, a password, or a guest), and the
/// sessions its channels open. The door (`SSHConnection`) speaks SSH; every decision about accounts is made
/// here, through the same throttles, budgets and hashing pool as `/login`.

/// One SSH connection's login, from its first authentication request to its sessions. Confined to the
/// server queue.
public final class SSHLogin {
    /// Who the connection is, once settled: nil until an authentication request has been accepted.
    public enum Identity {
        /// Logged in to an account, by `method` (`publickey`, `password` or `keyboard-interactive`).
        case account(StoredAccount, method: String)
        /// A name with no account behind it: a guest session that is told how to register it.
        case guest(name: String)
    }

    let conn: Int
    let peer: String
    let peerHost: String
    /// What a guest's name would come to at `/register` (see `NameAvailability`), for its greeting.
    var guestName = NameAvailability.free
    /// This connection's share of its address's password checks, as a telnet session has (nil until
    /// the first check).
    var passwordBucket: TokenBucket?
    public internal(set) var identity: Identity?

    init(conn: Int, peer: String, peerHost: String) {
        self.conn = conn
        self.peer = peer
        self.peerHost = peerHost
    }
}

@available(*, unavailable) extension SSHLogin: Sendable {}

extension Microblog {
    /// Starts the login of a new SSH connection (`conn` names it in the log).
    public func beginSSHLogin(conn: Int, peer: String, peerHost: String) -> SSHLogin {
        checkConfined()
        return SSHLogin(conn: conn, peer: peer, peerHost: peerHost)
    }

    /// SSH's `none` authentication, which clients try first: accepted, as a guest, only for a name that no
    /// account has (`ssh newname@host` reaches a session that can `/register`). `done` gets whether it was
    /// accepted.
    public func sshGuestLogin(_ login: SSHLogin, name: String, _ done: @escaping (Bool) -> Void) {
        checkConfined()
        let hold = settings.deletedNameHold
        let now = Timestamp.now()
        let known = accounts.availabilityWithoutStorage(name)
        storage.perform({ store in
            try store.account(nameKey: AccountRules.nameKey(name)) == nil
                ? known ?? Accounts.storedAvailability(of: name, in: store, hold: hold, now: now) : nil
        }) { [self] result in
            switch result {
            case .success(let availability?):
                login.identity = .guest(name: name)
                // The greeting says what `/register` will find (a held or reserved name is refused).
                login.guestName = availability
                log.info(
                    "ssh_guest", ["conn": login.conn, "peer": login.peer, "name": name],
                    limitKey: "ssh_guest \(login.peerHost)")
                done(true)
            case .success(nil):
                done(false)
            case .failure(let error):
                desk.logStorageFault(error, command: "ssh login", conn: login.conn)
                done(false)
            }
        }
    }

    /// SSH password or keyboard-interactive authentication (`method` says which), through the same
    /// throttles and budgets as `/login`, so failures over SSH slow the address and guard the name for
    /// every door. `done` gets whether it was accepted.
    public func sshPasswordLogin(
        _ login: SSHLogin, name: String, password: String, method: String, _ done: @escaping (Bool) -> Void
    ) {
        checkConfined()
        if let refusal = limits.admitPasswordCheck(
            name: name, peer: login.peer, peerHost: login.peerHost, conn: login.conn,
            connectionBucket: &login.passwordBucket)
        {
            log.info(
                "ssh_login_refused",
                ["conn": login.conn, "peer": login.peer, "user": name, "reason": refusal.code.rawValue],
                limitKey: "ssh_login_refused \(login.peerHost)")
            return done(false)
        }
        accounts.checkPassword(
            name: name, password: password, peer: login.peer, peerHost: login.peerHost, conn: login.conn
        ) {
            verdict in
            switch verdict {
            case .accepted(let account, _):
                login.identity = .account(account, method: method)
                done(true)
            case .storage(let error):
                self.desk.logStorageFault(error, command: "ssh login", conn: login.conn)
                done(false)
            case .banned, .wrong:
                done(false)
            }
        }
    }

    /// Opens a session on an SSH channel for a settled login. With `command` (`ssh NAME@HOST COMMAND`), the
    /// session runs its lines (each line a command; the leading `/` may be left out) with no greeting and
    /// no live feed, then ends: `Session.errorsSent` then says whether it worked. Otherwise it is an
    /// interactive session like a telnet one, greeted, with the account already logged in.
    public func openSSH(
        _ login: SSHLogin, id: Int, output: SessionOutput, terminal: SSHTerminal, command: String?
    ) -> Session {
        checkConfined()
        let session = Session(
            id: id, peer: login.peer, peerHost: login.peerHost, door: .ssh, output: output, settings: settings,
            now: MonotonicClock.now())
        directory.add(session)
        session.terminal.setWindowSize(columns: terminal.columns)
        session.runsOneCommand = command != nil
        if terminal.pty && command == nil {
            session.view.ownsTerminal = true
            session.sendRaw(session.terminal.enterCharacterMode())
        }
        let start = { [self] in
            if let command { return runOneCommand(command, in: session) }
            greet(session)
            if case .guest(let name) = login.identity {
                session.send(.notice(login.guestName.guestNotice(name, registration: settings.registration)))
            }
        }
        guard case .account(let account, let method) = login.identity else {
            start()
            return session
        }
        // The relations are read before the session's first line or post, so its live filter and mutes
        // hold from the start, as after `/login`.
        storage.perform({ store in try store.relations(of: account.user.id) }) { [self] result in
            guard !session.closed else { return }
            guard case .success(let relations) = result else {
                if case .failure(let error) = result { desk.logStorageFault(error, command: "ssh login", conn: id) }
                session.send(.error(WireError(.storage, "could not log you in; try again"), command: "login"))
                return session.output.closeAfterFlush(reason: .error)
            }
            _ = accounts.signIn(session, as: account, relations: relations, method: method)
            start()
        }
        return session
    }

    /// What an SSH guest whose name is free is told about it, as `--registration` allows.
    static func guestNotice(_ name: String, registration: Registration) -> String {
        NameAvailability.free.guestNotice(name, registration: registration)
    }

    /// Runs a one-shot command's lines (each one command; the leading `/` may be left out), then ends the
    /// input, so the session closes once they have run.
    private func runOneCommand(_ command: String, in session: Session) {
        session.lifecycle = .ready
        var lines = command.split(whereSeparator: \.isNewline).map { line in
            line.hasPrefix("/") ? String(line) : "/" + line
        }
        if lines.isEmpty { lines = ["/help"] }
        // All lines in one read, so they are all queued before the first runs: a command that answers at
        // once must not find the queue empty and the input ended before the next line is in.
        Array(lines.map { $0 + "\n" }.joined().utf8).withUnsafeBytes { receive($0, for: session) }
        inputEnded(for: session)
    }
}

extension Microblog {
    /// SSH public-key authentication: accepted when `name` has added this key (`/key add`) and is not
    /// banned. The client first asks whether a key would do (`signed` false), then proves it holds it; only
    /// the proof logs in. A key that is not on the account is no failed login: clients offer every key
    /// they have.
    public func sshKeyLogin(
        _ login: SSHLogin, name: String, type: String, key: String, signed: Bool, _ done: @escaping (Bool) -> Void
    ) {
        checkConfined()
        storage.perform({ store -> StoredAccount? in
            guard let account = try store.account(named: name) else { return nil }
            let keys = try store.sshKeys(of: account.user.id)
            return keys.contains { $0.type == type && $0.base64 == key } ? account : nil
        }) { [self] result in
            switch result {
            case .success(.some(let account)) where account.bannedReason != nil:
                if signed {
                    log.info(
                        "login_banned", ["conn": login.conn, "user": account.user.name, "peer": login.peer],
                        limitKey: "login_banned \(login.peerHost)")
                }
                done(false)
            case .success(.some(let account)):
                if signed { login.identity = .account(account, method: "publickey") }
                done(true)
            case .success(.none):
                done(false)
            case .failure(let error):
                desk.logStorageFault(error, command: "ssh login", conn: login.conn)
                done(false)
            }
        }
    }

    /// An SSH client's window has a new width (`window-change`): wrapping and line editing follow it.
    public func windowChanged(_ session: Session, columns: Int) {
        checkConfined()
        session.terminal.setWindowSize(columns: columns)
    }
}
