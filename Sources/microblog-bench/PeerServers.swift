import Foundation
import MicroblogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The servers `compare` measures microblogd against, each started fresh on a free loopback port,
/// pinned to `cpu` with taskset (which execs it, so the pid read for memory and CPU is the server's).
enum PeerServers {
    /// `redis-server` on PATH, or nil when it is not installed.
    static var redisBinary: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { $0 + "/redis-server" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// redis-server with persistence off, bound to 127.0.0.1 (protected mode off: the watchers come from
    /// many loopback source addresses), as many clients as its descriptors allow, and no output-buffer
    /// limit for pub/sub clients (its default, 32 MiB hard and 8 MiB for 60 s, is a slow-subscriber
    /// guard a burst must not trip: microblogd's own limit is lifted too).
    static func startRedis(binary: String, cpu: Int?) throws -> ServerUnderTest {
        let directory = try TemporaryDirectory(prefix: "microblog-bench-redis-")
        let port = try freePort()
        let arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "no", "--save", "",
            "--appendonly", "no", "--maxclients", "25000", "--client-output-buffer-limit", "pubsub 0 0 0",
            "--dir", directory.path, "--logfile", "",
        ]
        let peer = try PeerProcess(
            executable: binary, arguments: arguments, launcher: launcher(cpu: cpu),
            logPath: directory.path + "/redis.log")
        // Up when it accepts a connection (or given up on when it has ended).
        var up = false
        _ = waitUntil(timeout: ServerUnderTest.startTimeout) {
            if let fd = try? BlockingClient.connect(host: "127.0.0.1", port: port) {
                close(fd)
                up = true
            }
            return up || !peer.isRunning
        }
        guard up else {
            _ = peer.stop(timeout: 5)
            throw BenchError("redis-server did not start on port \(port): \(peer.log)")
        }
        return ServerUnderTest(
            kind: .redis, port: port, pid: peer.pid, process: nil, peer: peer, directory: directory)
    }

    /// The bare broadcast loop: this program again, as `microblog-bench bare-loop --port 0`, which prints
    /// its listening line first like microblogd.
    static func startBareLoop(cpu: Int?) throws -> ServerUnderTest {
        let directory = try TemporaryDirectory(prefix: "microblog-bench-bare-")
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        let process = try MicroblogdProcess(
            executable: executable, arguments: ["bare-loop", "--port", "0"], launcher: launcher(cpu: cpu),
            logPath: directory.path + "/bare-loop.log")
        return ServerUnderTest(
            kind: .bareLoop, port: process.port, pid: process.pid, process: process, peer: nil,
            directory: directory)
    }

    static func launcher(cpu: Int?) -> [String] {
        cpu.map { ["/usr/bin/taskset", "-c", String($0)] } ?? []
    }

    /// A port free on 127.0.0.1 now (the kernel's pick for a socket bound and closed again).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let found = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard found else { throw BenchError("no free port: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// A server process with no listening line to wait for: spawned clean (see `CleanSpawn`), its output
/// and errors to `logPath`, stopped with SIGTERM by its one owner.
final class PeerProcess {
    let pid: pid_t
    let logPath: String
    private var exitCode: Int32?

    init(executable: String, arguments: [String], launcher: [String], logPath: String) throws {
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else { throw BenchError("cannot open \(logPath): errno \(errno)") }
        defer { close(log) }
        let program = launcher.first ?? executable
        let rest = Array(launcher.dropFirst()) + (launcher.isEmpty ? [] : [executable]) + arguments
        pid = try CleanSpawn.start(program, rest, output: log, errors: log)
        self.logPath = logPath
    }

    deinit { _ = stop(timeout: 5) }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var isRunning: Bool { reap() == nil }

    /// Its exit status (128 + the signal when one ended it), reaping it; nil while it runs.
    private func reap() -> Int32? {
        if let exitCode { return exitCode }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        // The <sys/wait.h> macros do not import: an exit has 0 in the low 7 bits and its code above.
        exitCode = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return exitCode
    }

    /// SIGTERM, then up to `timeout` seconds for the end (SIGKILL after that: nil).
    func stop(timeout: Double) -> Int32? {
        if let exitCode { return exitCode }
        kill(pid, SIGTERM)
        if waitUntil(timeout: timeout, { reap() != nil }) { return exitCode }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        exitCode = 128 + SIGKILL
        return nil
    }
}
