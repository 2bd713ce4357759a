import Foundation
import MicroblogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `pages`: `GET /` with keep-alive from many connections, the web door against nginx serving the same
/// page saved as a file, with the same load tool (wrk, one thread, `connections` connections) and the
/// same pinning: each server on CPU `cpu`, wrk on `loadCPU`. Rounds alternate the two servers; the
/// figure is each one's requests per second, and the ratio of their means.
struct PagesScenario {
    var connections = 100
    var seconds = 10
    var rounds = 2
    var posts = 20
    var cpu: Int? = 0
    var loadCPU: Int? = 1

    struct Round {
        var microblogd: Double
        var nginx: Double
    }

    /// `server` must have its web door open.
    func run(server: ServerUnderTest) throws -> [Round] {
        guard let httpPort = server.httpPort else { throw BenchError("pages needs the web door (--http-port)") }
        guard let wrk = Self.onPath("wrk"), let nginx = Self.onPath("nginx") ?? Self.existing("/usr/sbin/nginx")
        else { throw BenchError("pages needs wrk and nginx (apt-get install wrk nginx)") }
        // A page of `posts` posts, as a visitor sees it.
        let poster = try BlockingClient(port: server.port)
        poster.send("/register pagesbench pagesbench-password")
        _ = try poster.readUntil { $0.contains("you are registered") }
        for number in 1...max(posts, 1) {
            poster.send("post \(number) for the pages benchmark, with a #tag and a link https://example.com/\(number)")
            _ = try poster.readUntil { $0.hasPrefix("* posted #") }
        }
        let page = try Self.get(port: httpPort, path: "/")
        let directory = try TemporaryDirectory(prefix: "microblog-bench-nginx-")
        try FileManager.default.createDirectory(atPath: directory.path + "/site", withIntermediateDirectories: true)
        try Data(page).write(to: URL(fileURLWithPath: directory.path + "/site/index.html"))
        let nginxPort = try PeerServers.freePort()
        let configuration = """
            daemon off;
            master_process off;
            worker_processes 1;
            error_log \(directory.path)/error.log;
            pid \(directory.path)/nginx.pid;
            events { worker_connections 4096; }
            http {
                access_log off;
                # As a static site is served: the file sent by sendfile(2), its descriptor kept open.
                sendfile on;
                tcp_nopush on;
                tcp_nodelay on;
                open_file_cache max=16 inactive=60s;
                keepalive_requests 100000000;
                keepalive_timeout 60;
                types { text/html html; }
                charset utf-8;
                server {
                    listen 127.0.0.1:\(nginxPort);
                    root \(directory.path)/site;
                    index index.html;
                }
            }

            """
        try configuration.write(toFile: directory.path + "/nginx.conf", atomically: true, encoding: .utf8)
        let peer = try PeerProcess(
            executable: nginx, arguments: ["-p", directory.path, "-c", directory.path + "/nginx.conf"],
            launcher: PeerServers.launcher(cpu: cpu), logPath: directory.path + "/nginx.log")
        defer { _ = peer.stop(timeout: 10) }
        let served = waitUntil(timeout: 10) { (try? Self.get(port: nginxPort, path: "/")) == page }
        guard served else { throw BenchError("nginx did not serve the saved page: \(peer.log)") }
        var measured: [Round] = []
        for round in 1...max(rounds, 1) {
            Progress.say("pages: round \(round): microblogd")
            let ours = try measure(wrk: wrk, port: httpPort)
            Progress.say("pages: round \(round): nginx")
            let theirs = try measure(wrk: wrk, port: nginxPort)
            measured.append(Round(microblogd: ours, nginx: theirs))
        }
        return measured
    }

    /// wrk's requests per second against `port`'s `/`; non-2xx answers are an error.
    private func measure(wrk: String, port: UInt16) throws -> Double {
        let launcher = PeerServers.launcher(cpu: loadCPU)
        let arguments = ["-t1", "-c\(connections)", "-d\(seconds)s", "http://127.0.0.1:\(port)/"]
        let program = launcher.first ?? wrk
        let rest = Array(launcher.dropFirst()) + (launcher.isEmpty ? [] : [wrk]) + arguments
        let result = CleanSpawn.run(program, rest, timeout: Double(seconds) + 30)
        let output = result.output
        guard result.status == 0 else { throw BenchError("wrk failed (\(result.status)): \(output)") }
        if output.contains("Non-2xx or 3xx responses") { throw BenchError("wrk saw error answers: \(output)") }
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
            let value = Double(line.split(separator: " ", omittingEmptySubsequences: true).last ?? "")
        else { throw BenchError("no Requests/sec in wrk's output: \(output)") }
        return value
    }

    /// The body of `GET path` (one request, Content-Length framed).
    static func get(port: UInt16, path: String) throws -> [UInt8] {
        let client = try BlockingClient(port: port)
        _ = client.sendBytes(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        let bytes = try client.readBytesUntilClosed()
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: [13, 10, 13, 10]) }) else {
            throw BenchError("no response head from port \(port)")
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 200") else { throw BenchError("port \(port) answered: \(head)") }
        return Array(bytes[(end + 4)...])
    }

    private static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { $0 + "/" + name }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    private static func existing(_ path: String) -> String? {
        FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
