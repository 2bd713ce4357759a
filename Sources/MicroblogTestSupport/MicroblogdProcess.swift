import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real `microblogd` process, spawned so that it inherits nothing but its standard descriptors (see
/// `CleanSpawn`), with its log written to a file so a chatty run can never fill a pipe and block the
/// server on `write(2)`. Started, asked for its port and stopped with a signal by its one owner (a test
/// or the benchmark); not shared between threads.
public final class MicroblogdProcess {
    public let pid: pid_t
    /// The port from its `listening on 127.0.0.1:PORT` line.
    public let port: UInt16
    /// Its first line on standard output (the listening line).
    public let firstLine: String
    public let logPath: String
    /// Holds the log when the caller named no log file.
    private let logDirectory: TemporaryDirectory?
    /// The read end of its standard output, kept open so a late print never fails.
    private let output: Int32
    /// What it printed on standard output so far (the listening line first).
    public private(set) var printed: String
    private var exit: Exit?

    /// How the process ended.
    public struct Exit: Equatable, Sendable, CustomStringConvertible {
        public enum Reason: Sendable { case exit, signal }
        public var reason: Reason
        /// The exit status, or the signal's number.
        public var code: Int32
        public init(reason: Reason, code: Int32) {
            self.reason = reason
            self.code = code
        }
        public var description: String { "\(reason) \(code)" }

        /// An exit with `code` (0: a clean stop).
        public static func exited(_ code: Int32) -> Exit { Exit(reason: .exit, code: code) }
        /// An end by `signal`.
        public static func signalled(_ signal: Int32) -> Exit { Exit(reason: .signal, code: signal) }
    }

    /// Starts `executable` with `arguments` (which should include `--port 0`) and waits up to
    /// `startTimeout` seconds for its listening line. `launcher`: a program and its arguments that run
    /// it (`setpriv` to change user, `taskset` to pin it to a CPU); they must exec it, so that the pid
    /// is microblogd's. `logPath`: where its standard error goes; nil for a temporary file removed with
    /// this value.
    public init(
        executable: String, arguments: [String], launcher: [String] = [], logPath: String? = nil,
        startTimeout: Double = 15
    ) throws {
        logDirectory = logPath == nil ? try TemporaryDirectory(prefix: "microblogd-log-") : nil
        let logPath = logPath ?? logDirectory!.path + "/server.log"
        self.logPath = logPath
        var pipeEnds: [Int32] = [0, 0]
        guard let pipe2 = CleanSpawn.glibc("pipe2", as: CleanSpawn.Pipe2.self), pipe2(&pipeEnds, O_CLOEXEC) == 0 else {
            throw TestFailure("pipe2 failed")
        }
        let output = pipeEnds[0]
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        let program = launcher.first ?? executable
        let programArguments = launcher.dropFirst() + (launcher.isEmpty ? [] : [executable]) + arguments
        let started = Result {
            guard log >= 0 else { throw TestFailure("cannot open \(logPath): errno \(errno)") }
            return try CleanSpawn.start(program, Array(programArguments), output: pipeEnds[1], errors: log)
        }
        // The child has its own copies; the write end must go, or the pipe never reports its end.
        if log >= 0 { close(log) }
        close(pipeEnds[1])
        let child: pid_t
        do { child = try started.get() } catch {
            close(output)
            throw error
        }
        pid = child
        self.output = output

        // The listening line comes, or the pipe closes because the process ended.
        var collected: [UInt8] = []
        let deadline = Date().addingTimeInterval(startTimeout)
        while !collected.contains(UInt8(ascii: "\n")) && Date() < deadline {
            var pollFD = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&pollFD, 1, 100) >= 0 else { continue }
            guard pollFD.revents != 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            collected += chunk[0..<count]
        }
        let line = String(decoding: collected, as: UTF8.self)
        printed = line
        firstLine = line.split(separator: "\n").first.map(String.init) ?? ""
        guard let match = firstLine.firstMatch(of: /listening on 127\.0\.0\.1:(\d+)/), let port = UInt16(match.1)
        else {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
            close(output)
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw TestFailure("microblogd did not start: \(line.debugDescription); log: \(log)")
        }
        self.port = port
    }

    deinit {
        if exit == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        close(output)
    }

    /// Whether the process still runs (an ended one is reaped and its exit kept).
    public var isRunning: Bool { reap() == nil }

    /// The exit if the process has ended (reaping it), nil while it runs.
    private func reap() -> Exit? {
        if let exit { return exit }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        // The <sys/wait.h> macros do not import: the low 7 bits are the signal, 0 for an exit.
        let signal = status & 0x7f
        let exit = signal == 0 ? Exit(reason: .exit, code: (status >> 8) & 0xff) : Exit(reason: .signal, code: signal)
        self.exit = exit
        return exit
    }

    /// Sends `signal` and waits up to `timeout` seconds for the process to end. Nil when it did not
    /// (it is then killed, so no test leaves a server behind).
    public func stop(with signal: Int32 = SIGTERM, timeout: Double = 15) -> Exit? {
        if let exit { return exit }
        kill(pid, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let exit = reap() { return exit }
            usleep(5_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        exit = Exit(reason: .signal, code: SIGKILL)
        return nil
    }

    /// Reads standard output until what it printed satisfies `done`, or `timeout` seconds pass; returns
    /// everything printed so far.
    @discardableResult
    public func readPrinted(timeout: Double = 10, until done: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while !done(printed) && Date() < deadline {
            var pollFD = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&pollFD, 1, 100) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            printed += String(decoding: chunk[0..<count], as: UTF8.self)
        }
        return printed
    }

    /// What it wrote to standard error so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
