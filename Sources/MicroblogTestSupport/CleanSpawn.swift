import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `posix_spawn` passing the child nothing but its three standard descriptors. Foundation's `Process`
/// passes on every descriptor without close-on-exec (other tests' client sockets among them), and a
/// socket held open by some other process never closes for its peer.
public enum CleanSpawn {
    /// Starts `path` with `arguments`, standard input from `input` (by default /dev/null), standard
    /// output and error to the given descriptors, every signal at its default and none blocked.
    public static func start(
        _ path: String, _ arguments: [String], input: Int32? = nil, output: Int32, errors: Int32
    ) throws -> pid_t {
        guard let closeFrom = glibc("posix_spawn_file_actions_addclosefrom_np", as: AddCloseFrom.self) else {
            throw TestFailure("posix_spawn_file_actions_addclosefrom_np (glibc 2.34) is missing")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        _ = closeFrom(&actions, 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArguments = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, path, &actions, &attributes, cArguments, environ)
        guard result == 0 else { throw TestFailure("cannot start \(path): error \(result)") }
        return child
    }

    /// Runs a tool to its end (at most `timeout` seconds) and returns its status and its output
    /// (standard output and error together); 127 when it cannot be run.
    public static func run(_ path: String, _ arguments: [String], timeout: Double = 30) -> (
        status: Int32, output: String
    ) {
        let outputPath = NSTemporaryDirectory() + "microblogd-tool-" + UUID().uuidString
        let output = open(outputPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { return (127, "cannot create \(outputPath)") }
        unlink(outputPath)
        defer { close(output) }
        guard let child = try? start(path, arguments, output: output, errors: output) else {
            return (127, "cannot start \(path)")
        }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        while waitpid(child, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(child, SIGKILL)
                waitpid(child, &status, 0)
                return (124, "\(path) did not finish in \(timeout) s")
            }
            usleep(2_000)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        lseek(output, 0, SEEK_SET)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        // The <sys/wait.h> macros do not import: an exit has 0 in the low 7 bits and its code above.
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: bytes, as: UTF8.self))
    }

    // GNU extensions the Glibc module does not import.
    public typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    public typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    public static func glibc<Function>(_ name: String, as type: Function.Type) -> Function? {
        dlsym(nil, name).map { unsafeBitCast($0, to: type) }
    }
}
