import Foundation
import MicroblogServer
import MicroblogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The real clients the web door is checked with: Python scripts in `Tests/WebClients/` run by Debian's
/// Python, over feedparser, the twtxt reference client's parser, the Prometheus client's parser, and
/// Playwright driving Debian's Chromium. `.ci/run` installs them all; on a machine without one, the tests
/// that need it are skipped with a message saying how to install it (as the nginx and openssl tests are).
enum WebClients {
    /// Debian's Python, not whatever `python3` comes first on PATH: apt installs feedparser and
    /// prometheus_client for it, and `.ci/run` installs playwright and twtxt into it with pip.
    static let python = "/usr/bin/python3"
    /// Debian's Chromium: Playwright drives it, and never downloads browsers of its own.
    static let chromium = "/usr/bin/chromium"
    /// `Tests/WebClients/`, beside this test target (outside it, so SwiftPM leaves the scripts alone).
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("WebClients").path

    /// True when Debian's Python can import every module named (`"feedparser"`, `"playwright, twtxt"`).
    static func canImport(_ modules: String) -> Bool {
        access(python, X_OK) == 0 && CleanSpawn.run(python, ["-c", "import " + modules]).status == 0
    }

    static let hasFeedparser = canImport("feedparser")
    static let hasTwtxt = canImport("twtxt")
    static let hasPrometheusClient = canImport("prometheus_client")
    static let hasBrowser = access(chromium, X_OK) == 0 && canImport("playwright")

    /// Runs `script` with `arguments` to its end and decodes the one JSON line it prints.
    static func report<Report: Decodable>(
        _ type: Report.Type, _ script: String, _ arguments: [String], timeout: Double = 60
    ) throws -> Report {
        let client = try WebClient(script, arguments)
        let report = try client.read(type, timeout: timeout)
        let status = try client.finish(timeout: timeout)
        guard status == 0 else { throw TestFailure("\(script) exited with \(status): \(client.errorOutput)") }
        return report
    }
}

/// One script of `Tests/WebClients/` run by `WebClients.python` (started with `CleanSpawn`, so it holds no
/// other test's socket): its standard input and output are one end of a socket pair, `channel` the
/// other, which carries JSON lines both ways; its standard error is kept for the failure messages. When
/// released it is asked to end (its input closes) and killed if it does not.
final class WebClient {
    let channel: TestClient
    let script: String
    private let pid: pid_t
    private let errors: Int32
    private var exited = false

    init(_ script: String, _ arguments: [String]) throws {
        self.script = script
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw TestFailure("socketpair failed: errno \(errno)")
        }
        let errorsPath = NSTemporaryDirectory() + "microblogd-webclient-" + UUID().uuidString
        errors = open(errorsPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        unlink(errorsPath)
        defer { Glibc.close(pair[1]) }
        do {
            guard errors >= 0 else { throw TestFailure("cannot create \(errorsPath): errno \(errno)") }
            pid = try CleanSpawn.start(
                WebClients.python, [WebClients.directory + "/" + script] + arguments, input: pair[1],
                output: pair[1], errors: errors)
        } catch {
            Glibc.close(pair[0])
            if errors >= 0 { Glibc.close(errors) }
            throw error
        }
        channel = TestClient(connected: pair[0])
    }

    deinit {
        channel.close()
        if !exited {
            // A script waiting for the test reads the end of its input and closes its browser itself.
            if (try? finish(timeout: 10)) == nil {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
        Glibc.close(errors)
    }

    /// What the script wrote to its standard error so far.
    var errorOutput: String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var offset: off_t = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(errors, $0.baseAddress, $0.count, offset) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
            offset += off_t(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The script's next line, decoded as `Report`. A `{"step": "error"}` line, a line that does not decode,
    /// the script's end or the timeout throw, with what the script said on its standard error.
    func read<Report: Decodable>(_ type: Report.Type, timeout: Double) throws -> Report {
        let line: [UInt8]
        do {
            line = try channel.readLineBytes(timeout: timeout)
        } catch {
            throw TestFailure("\(script): no report (\(error)); its errors:\n\(errorOutput)")
        }
        let data = Data(line)
        if let failure = try? JSONDecoder().decode(ScriptError.self, from: data), failure.step == "error" {
            throw TestFailure("\(script) failed: \(failure.error)\n\(failure.trace ?? "")\(errorOutput)")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw TestFailure("\(script): \(error) in \(String(decoding: line, as: UTF8.self))")
        }
    }

    /// Sends `value` as one JSON line.
    func send<Value: Encodable>(_ value: Value) throws {
        let data = try JSONEncoder().encode(value)
        channel.send(String(decoding: data, as: UTF8.self))
    }

    /// Waits for the script to end and returns its exit status (128 + N for signal N).
    func finish(timeout: Double) throws -> Int32 {
        var status: Int32 = 0
        let ended = waitUntil(timeout: timeout) { waitpid(pid, &status, WNOHANG) == pid }
        guard ended else { throw TestFailure("\(script) did not end within \(timeout) s") }
        exited = true
        // The <sys/wait.h> macros do not import: an exit has 0 in the low 7 bits and its code above.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    private struct ScriptError: Decodable {
        var step: String
        var error: String
        var trace: String?
    }
}

/// A server with its web door, and posts made over the plain door, each as the server recorded it: its
/// id, author, text and time, read from a JSON-mode watcher on the plain door (the truth the web door's
/// pages and feeds are compared with).
final class PostedSite {
    struct Post {
        var id: Int64
        var author: String
        var text: String
        /// The post's time to the millisecond, from the watcher's `at`: `2026-12-07T17:01:44.400Z`.
        var at: String
        /// The post answered, for a reply.
        var replyTo: (id: Int64, author: String)?

        /// `at` to the second, as Atom and twtxt readers give it: `2026-12-07T17:01:44Z`.
        var second: String { String(at.prefix(19)) + "Z" }
    }

    /// Texts a web page or a feed must show as text, not act on: markup, attribute breaks, `javascript:`
    /// URLs, XML's `]]>` and `-->`, entities already escaped, quotes, scripts written right to left, emoji
    /// joined by ZWJ. Each is at most 80 characters, so a feed's entry title is the whole text.
    static let hostileTexts: [(author: String, text: String)] = [
        ("mallory", #"<script>alert(1)</script> "><img src=x onerror=alert(1)> #hostile"#),
        ("mallory", #"javascript:alert(document.cookie) <a href="javascript:alert(1)">x</a> #hostile"#),
        ("mallory", #"quotes "double" 'single' & &amp; &lt;b&gt; ]]> --> \ #hostile"#),
        ("alice", "café naïve 日本語 مرحبا עברית 👩‍💻 Ωmega ﷺ #hostile #café"),
        ("alice", "see https://example.com/a?b=1&c=2#top and @mallory, not javascript:void(0)"),
    ]

    /// Texts the posting rules refuse (`bad_text`): a bidi override, control characters, an escape sequence.
    static let refusedTexts = ["rtl \u{202E}txt.exe", "bell \u{07} and tab \u{09}", "clear \u{1B}[2J", "c1 \u{9B}31m"]

    let server: TestServer
    /// `http://127.0.0.1:PORT`, the web door's address.
    let base: String
    private(set) var posts: [Post] = []
    private var clients: [String: TestClient] = [:]
    private let watcher: TestClient

    init() throws {
        server = try TestServer {
            $0.web = WebConfiguration(port: 0)
            $0.settings.postRate = 0
        }
        guard let port = server.server.webPort else { throw TestFailure("the web door did not start") }
        base = "http://127.0.0.1:\(port)"
        watcher = try server.greetedClient()
        try watcher.switchToJSON()
    }

    /// How many connections the plain door holds: the watcher and one client for each author.
    var plainConnections: Int { 1 + clients.count }

    /// Every author's password.
    static let password = "password1"

    /// The client logged in as `author` (registered on first use, with `password`).
    func client(_ author: String) throws -> TestClient {
        if let client = clients[author] { return client }
        let client = try server.registeredClient(author, password: Self.password)
        clients[author] = client
        return client
    }

    /// Posts `text` as `author` over the plain door, as a reply to `replyTo` if given; returns the post as
    /// the server recorded it.
    @discardableResult
    func post(_ author: String, _ text: String, replyTo: Int64? = nil) throws -> Post {
        let line = replyTo.map { "/reply \($0) " + text } ?? text
        let answer = try client(author).run(line)
        guard let id = answer.firstMatch(of: /^\* posted #(\d+)/).flatMap({ Int64($0.1) }) else {
            throw TestFailure("\(line) -> \(answer)")
        }
        let event = try watcher.readJSONUntil { $0["type"] as? String == "post" && $0["id"] as? Int == Int(id) }.last
        guard let event, event["text"] as? String == text, event["author"] as? String == author,
            let at = event["at"] as? String, at.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil
        else { throw TestFailure("the live post #\(id) is not what was posted: \(String(describing: event))") }
        let parent = replyTo.map { id in (id: id, author: posts.first { $0.id == id }?.author ?? "") }
        let post = Post(id: id, author: author, text: text, at: at, replyTo: parent)
        posts.append(post)
        return post
    }

    /// The post with `text` made elsewhere (the web door's form), as the watcher saw it live; recorded.
    func watched(_ text: String) throws -> Post {
        let event = try watcher.readJSONUntil { $0["type"] as? String == "post" && $0["text"] as? String == text }.last
        guard let event, let id = event["id"] as? Int, let author = event["author"] as? String,
            let at = event["at"] as? String
        else { throw TestFailure("no live post \(text.debugDescription)") }
        let post = Post(id: Int64(id), author: author, text: text, at: at, replyTo: nil)
        posts.append(post)
        return post
    }

    /// Sends `text` as a post by `author`, which must be refused; returns the error line.
    @discardableResult
    func refused(_ author: String, _ text: String) throws -> String {
        let answer = try client(author).run(text)
        guard answer.hasSuffix("(bad_text)") else { throw TestFailure("\(text.debugDescription) -> \(answer)") }
        return answer
    }

    /// Makes every hostile post, a reply to the first, and tries every refused text.
    func postHostileTexts() throws {
        for (author, text) in Self.hostileTexts { try post(author, text) }
        try post("alice", "a reply to <b>mallory</b> & co #hostile", replyTo: posts[0].id)
        for text in Self.refusedTexts { try refused("mallory", text) }
    }
}
