import Foundation
import MicroblogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The `microblogd` being measured: started by the benchmark on a temporary database and a free
/// port, or an already running one given by `--host`/`--port` (then only what the socket shows is
/// measured; /proc figures need its pid).
final class ServerUnderTest {
    /// microblogd, or one of the peers `compare` measures it against.
    let kind: ServerKind
    let host: String
    let port: UInt16
    /// The TLS door's port, when the server has one.
    let tlsPort: UInt16?
    /// The SSH door's port, when the server has one.
    let sshPort: UInt16?
    /// The web door's port (`--http-port`), when the server has one.
    let httpPort: UInt16?
    let pid: Int32?
    private let process: MicroblogdProcess?
    /// A peer started without a listening line to wait for (redis-server).
    private let peer: PeerProcess?
    private var directory: TemporaryDirectory?
    /// The TLS door's certificate files, kept as long as the server runs (removed by `stop`).
    private var certificate: ThrowawayCertificate?
    /// The limits lifted on the command line, as given.
    let liftedLimits: [String]

    static let liftedForLoad = [
        "--max-connections", "0", "--max-connections-per-ip", "0", "--post-rate", "0", "--command-rate", "0",
        "--register-rate", "0", "--login-failures", "0", "--password-checks", "0", "--handshake-rate", "0",
    ]

    /// Starts `binary` with `limits` on a new temporary database and waits for its listening line.
    /// `database`: a `--db` for the server (a PostgreSQL URI shared by several nodes); nil for a new
    /// SQLite file in a temporary directory. `tls`: also open the TLS door (on a free port) with this
    /// certificate. `ssh`: also open the SSH door (on a free port), its host key made in the temporary
    /// directory. `web`: also open the web door (on a free port).
    init(
        binary: String, limits: [String], cpu: Int?, database: String? = nil, tls: ThrowawayCertificate? = nil,
        ssh: Bool = false, web: Bool = false
    ) throws {
        let directory = try TemporaryDirectory(prefix: "microblog-bench-")
        let tlsArguments =
            tls.map { ["--tls-port", "0", "--tls-cert", $0.certificatePath, "--tls-key", $0.keyPath] } ?? []
        let sshArguments = ssh ? ["--ssh-port", "0", "--ssh-host-key", directory.path + "/ssh_host_ed25519_key"] : []
        let webArguments = web ? ["--http-port", "0"] : []
        // Its log is kept for the commit figures of its last line (see `stop`).
        let process = try MicroblogdProcess(
            executable: binary,
            arguments: ["--port", "0", "--db", database ?? directory.path + "/bench.db"] + tlsArguments + sshArguments
                + webArguments + limits,
            launcher: cpu.map { ["/usr/bin/taskset", "-c", String($0)] } ?? [], logPath: directory.path + "/server.log")
        // The TLS, SSH and web ports are in the log lines that follow the listening line.
        func loggedPort(_ event: String) throws -> UInt16 {
            var found: UInt16?
            _ = waitUntil(timeout: Self.startTimeout) {
                found =
                    process.log.split(separator: "\n").lazy.filter { $0.contains("event=\(event) ") }
                    .compactMap { $0.firstMatch(of: /address=127\.0\.0\.1:(\d+)/).flatMap { UInt16($0.1) } }.first
                return found != nil
            }
            guard let found else {
                _ = process.stop(with: SIGKILL)
                throw BenchError("microblogd logged no \(event) line: \(process.log)")
            }
            return found
        }
        self.tlsPort = tls != nil ? try loggedPort("tls_listening") : nil
        self.sshPort = ssh ? try loggedPort("ssh_listening") : nil
        self.httpPort = web ? try loggedPort("web_listening") : nil
        self.certificate = tls
        self.kind = .microblogd
        self.peer = nil
        self.host = "127.0.0.1"
        self.port = process.port
        self.pid = process.pid
        self.process = process
        self.directory = directory
        self.liftedLimits = limits
    }

    /// A server that is already running, with its TLS, SSH and web doors on `tlsPort`, `sshPort` and
    /// `httpPort` if it has them.
    init(host: String, port: UInt16, tlsPort: UInt16? = nil, sshPort: UInt16? = nil, httpPort: UInt16? = nil) {
        self.host = host
        self.port = port
        self.tlsPort = tlsPort
        self.sshPort = sshPort
        self.httpPort = httpPort
        self.certificate = nil
        self.kind = .microblogd
        self.peer = nil
        self.pid = nil
        self.process = nil
        self.directory = nil
        self.liftedLimits = []
    }

    /// A peer server started on 127.0.0.1:`port` (see `PeerServers`): by `process` when it prints a
    /// listening line (the bare loop), else by `peer`; `directory` holds its log.
    init(
        kind: ServerKind, port: UInt16, pid: pid_t, process: MicroblogdProcess?, peer: PeerProcess?,
        directory: TemporaryDirectory
    ) {
        self.kind = kind
        self.host = "127.0.0.1"
        self.port = port
        self.tlsPort = nil
        self.sshPort = nil
        self.httpPort = nil
        self.pid = pid
        self.process = process
        self.peer = peer
        self.directory = directory
        self.certificate = nil
        self.liftedLimits = []
    }

    static let startTimeout: Double = 15

    /// The port watchers coming in by `door` connect to; nil when the server does not have that door.
    func port(for door: Door) -> UInt16? {
        switch door {
        case .plain: port
        case .tls: tlsPort
        case .ssh: sshPort
        case .web: httpPort
        }
    }

    /// Resident memory in KiB, from /proc/PID/status.
    var residentKiB: Int? {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
            return nil
        }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// CPU time (user and system) used so far in seconds, from /proc/PID/stat (in clock ticks).
    var cpuSeconds: Double? {
        guard let pid, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let end = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name in parentheses: state is the first field, utime the 12th, stime the 13th.
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// This process's own CPU time (user and system) in seconds: the load generator's side.
    static var ownCPUSeconds: Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// Open descriptors, from /proc/PID/fd.
    var openDescriptors: Int? {
        guard let pid else { return nil }
        return (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    var isRunning: Bool { process?.isRunning ?? peer?.isRunning ?? true }

    /// The started server's log file (its standard error); nil for a server the benchmark did not start.
    var logPath: String? { process?.logPath }

    /// Group commit as the server counted it: transactions of posts, the posts in them, the largest.
    struct Commits {
        var commits = 0
        var posts = 0
        var largest = 0
        /// Catch-ups of the search indexes after commits, and the longest a post waited for one.
        var searchIndexRuns = 0
        var searchIndexLagMilliseconds = 0
        var meanBatch: Double { commits > 0 ? Double(posts) / Double(commits) : 0 }

        var rows: [(String, String)] {
            [
                ("commits / mean batch / largest", "\(commits) / \(String(format: "%.1f", meanBatch)) / \(largest)"),
                ("search index catch-ups / longest lag", "\(searchIndexRuns) / \(searchIndexLagMilliseconds) ms"),
            ]
        }
        var jsonFields: String {
            "\"commits\":\(commits),\"mean_batch\":\(String(format: "%.1f", meanBatch)),\"largest_batch\":\(largest),"
                + "\"search_index_runs\":\(searchIndexRuns),\"search_index_lag_ms\":\(searchIndexLagMilliseconds)"
        }
    }

    /// What the stopped server reported, after `stop`; nil for a server the benchmark did not start.
    private(set) var commits: Commits?

    /// Stops a server the benchmark started (SIGTERM, as an operator would), reads the commit figures
    /// from its last log line, and removes its files. Its exit status, or the signal that ended it.
    func stop() -> Int32? {
        if let peer {
            directory = nil
            return peer.stop(timeout: 30)
        }
        guard let process else { return nil }
        let exit = process.stop(with: SIGTERM, timeout: 60)
        if kind == .microblogd,
            let line = process.log.split(separator: "\n").last(where: { $0.contains("event=stopped") })
        {
            func field(_ name: String) -> Int {
                line.split(separator: " ").first { $0.hasPrefix(name + "=") }
                    .flatMap { Int($0.dropFirst(name.count + 1)) } ?? 0
            }
            commits = Commits(
                commits: field("commits"), posts: field("posts_committed"), largest: field("largest_commit"),
                searchIndexRuns: field("search_index_runs"),
                searchIndexLagMilliseconds: field("search_index_longest_lag_ms"))
        }
        directory = nil
        certificate = nil
        return exit?.code
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
