import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
import MicroblogTestSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

#if canImport(Glibc)
    import Glibc
#endif

/// What the SSH door's tests need around a `TestServer`: its host key pinned in a known_hosts file, a
/// throw-away client key, askpass scripts for passwords, and the OpenSSH client started with all that.
final class SSHKit {
    let directory: TemporaryDirectory
    let server: TestServer
    let port: UInt16
    let knownHosts: String
    /// A throw-away Ed25519 key made with ssh-keygen: `clientKey` and `clientKey.pub`.
    let clientKey: String

    init(
        log: LogCapture? = nil, loginTimeout: Double = SSHConfiguration.defaultLoginTimeout,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws {
        directory = try TemporaryDirectory()
        let hostKeyPath = directory.path + "/host_key"
        server = try TestServer(log: log?.logger() ?? .silent) {
            $0.ssh = SSHConfiguration(port: 0, hostKeyPath: hostKeyPath, loginTimeout: loginTimeout)
            configure(&$0)
        }
        port = try #require(server.server.sshPort)
        let hostKey = try #require(server.server.sshHostKey)
        knownHosts = directory.path + "/known_hosts"
        try "[127.0.0.1]:\(port) \(hostKey.publicKeyLine)\n".write(
            toFile: knownHosts, atomically: true, encoding: .utf8)
        clientKey = directory.path + "/client_key"
        let made = CleanSpawn.run(
            "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", clientKey])
        guard made.status == 0 else { throw TestFailure("ssh-keygen failed: \(made.output)") }
    }

    /// The client's public key line, as `/key add` takes it.
    var publicKeyLine: String {
        get throws {
            try String(contentsOfFile: clientKey + ".pub", encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
        }
    }

    /// Starts `ssh -p PORT USER@127.0.0.1 ARGUMENTS…`, checking the host key. With `password`, it is typed
    /// through SSH_ASKPASS (by keyboard-interactive or password authentication, as `methods` allows);
    /// with `key`, the throw-away key is offered; with neither, only `none` is tried (a guest).
    func ssh(
        _ user: String, _ arguments: [String] = [], password: String? = nil, key: Bool = false,
        methods: String? = nil, options: [String] = []
    ) throws -> SSHClientProcess {
        var environment: [String: String] = ["TERM": "xterm"]
        var settings = [
            "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts, "-o", "IdentitiesOnly=yes",
            "-o", "NumberOfPasswordPrompts=1",
        ]
        if let password {
            let askpass = directory.path + "/askpass-\(UInt64.random(in: 0...UInt64.max))"
            try "#!/bin/sh\necho '\(password)'\n".write(toFile: askpass, atomically: true, encoding: .utf8)
            guard chmod(askpass, 0o700) == 0 else { throw TestFailure("chmod askpass") }
            environment["SSH_ASKPASS"] = askpass
            environment["SSH_ASKPASS_REQUIRE"] = "force"
            environment["DISPLAY"] = ":0"
        } else {
            settings += ["-o", "BatchMode=yes"]
        }
        if key {
            settings += ["-i", clientKey]
        } else {
            settings += ["-o", "PubkeyAuthentication=no"]
        }
        if let methods { settings += ["-o", "PreferredAuthentications=" + methods] }
        return try SSHClientProcess(
            port: Int(port), arguments: settings + options + ["\(user)@127.0.0.1"] + arguments, environment: environment
        )
    }
}

/// The OpenSSH client as a child process (started by `CleanSpawn`, so it gets its signals, SIGWINCH
/// among them), with its standard input, output and error on pipes.
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
