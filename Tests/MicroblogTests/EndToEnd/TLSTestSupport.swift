import Foundation
@testable import MicroblogDomain
@testable import MicroblogFanout
import MicroblogModel
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
import MicroblogServer
@testable import MicroblogStorage
@testable import MicroblogSupport
import MicroblogTestSupport
@testable import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The `openssl` command-line tool: makes throw-away certificates and is the real TLS client.
enum OpenSSLTool {
    static let path = "/usr/bin/openssl"

    static var isAvailable: Bool { access(path, X_OK) == 0 }

    /// A self-signed P-256 certificate for `commonName` and its key, written to `certificate` and `key`.
    static func makeCertificate(commonName: String, certificate: String, key: String) throws {
        let result = CleanSpawn.run(
            path,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=\(commonName)", "-days", "1", "-keyout", key, "-out", certificate,
            ])
        guard result.status == 0 else { throw TestFailure("openssl req failed: \(result.output)") }
    }

    /// The subject of the certificate served on `port`, as `openssl s_client` prints it.
    static func servedSubject(port: UInt16) throws -> String {
        let result = CleanSpawn.run(path, ["s_client", "-connect", "127.0.0.1:\(port)"], timeout: 10)
        guard let line = result.output.split(separator: "\n").first(where: { $0.hasPrefix("subject=") }) else {
            throw TestFailure("no subject from s_client (status \(result.status)): \(result.output)")
        }
        return String(line)
    }
}

/// A TLS client program connected to a TLS port, driven through a socket pair: its standard input and
/// output are one end, `client` (the usual test client) the other. By default `openssl s_client -quiet`;
/// `socat` with `SClient.socat`. Stops the program when released.
final class SClient {
    let client: TestClient
    private let pid: pid_t

    static let socatPath = "/usr/bin/socat"

    /// `socat - openssl:127.0.0.1:PORT` without certificate verification (the tests' are self-signed).
    static func socat(port: UInt16) throws -> SClient {
        try SClient(program: socatPath, arguments: ["-", "openssl:127.0.0.1:\(port),verify=0"])
    }

    convenience init(port: UInt16) throws {
        try self.init(
            program: OpenSSLTool.path, arguments: ["s_client", "-connect", "127.0.0.1:\(port)", "-quiet"])
    }

    init(program: String, arguments: [String]) throws {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw TestFailure("socketpair failed: errno \(errno)")
        }
        let errors = open("/dev/null", O_WRONLY | O_CLOEXEC)
        defer {
            Glibc.close(errors)
            Glibc.close(pair[1])
        }
        do {
            pid = try CleanSpawn.start(program, arguments, input: pair[1], output: pair[1], errors: errors)
        } catch {
            Glibc.close(pair[0])
            throw error
        }
        client = TestClient(connected: pair[0])
    }

    deinit {
        client.close()
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}

/// A temporary directory with a self-signed certificate (`cert.pem`, `key.pem`) for `commonName`.
struct TLSFiles {
    let directory: TemporaryDirectory
    var certificate: String { directory.path + "/cert.pem" }
    var key: String { directory.path + "/key.pem" }

    init(commonName: String = "first") throws {
        directory = try TemporaryDirectory()
        try OpenSSLTool.makeCertificate(commonName: commonName, certificate: certificate, key: key)
    }

    func configuration(handshakeTimeout: Double = TLSConfiguration.defaultHandshakeTimeout) -> TLSConfiguration {
        TLSConfiguration(port: 0, certificatePath: certificate, keyPath: key, handshakeTimeout: handshakeTimeout)
    }
}
