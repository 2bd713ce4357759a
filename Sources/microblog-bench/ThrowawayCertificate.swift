import MicroblogTestSupport

/// A self-signed P-256 certificate and its key for `localhost`, valid for a day, made by the `openssl`
/// tool in a temporary directory that goes with this value. The watchers verify nothing about it.
final class ThrowawayCertificate {
    static let openssl = "/usr/bin/openssl"
    let certificatePath: String
    let keyPath: String
    private let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(prefix: "microblog-bench-tls-")
        certificatePath = directory.path + "/cert.pem"
        keyPath = directory.path + "/key.pem"
        let result = CleanSpawn.run(
            Self.openssl,
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-keyout", keyPath, "-out", certificatePath,
            ])
        guard result.status == 0 else {
            throw BenchError("openssl req failed (status \(result.status)): \(result.output)")
        }
    }
}
