import Foundation
import MicroblogTestSupport

// microblog-bench: starts microblogd (or targets a running one) and runs a scenario. Options parsing
// and printing only; the scenarios live in their own files.
let arguments = Array(CommandLine.arguments.dropFirst())
let usage = """
    usage: microblog-bench SCENARIO [options]      (build with -c release for meaningful numbers)

    scenarios:
      idle     N sessions connected and watching: server memory per session  (--watchers N)
      fanout   N watchers, posts at R a second: delivery latency, throughput, loss
               (--watchers N --rate R --posts P)
      burst    N watchers, P posts as fast as they are acknowledged, from several connections
               (--watchers N --posts P --posters C, default 10)
      ingest   C connections posting as fast as they are acknowledged  (--clients C --duration S,
               --mentions others: each post mentions another poster, who gets a notification, and
               carries a tag; --mentions self: each mentions its own author (no notification) and
               carries a tag; --mentions tag / mention: a tag alone, or its author alone;
               --in-flight N: each keeps N posts in flight, one more sent per answer, instead of 32 at
               a time; --mode json: the posters switch to JSON mode first, as bots do)
      login    K accounts logging in at once: time until all are in  (--clients K)
      spread   N watchers over --nodes M nodes on one PostgreSQL (--db), read by --generators G processes
               (default one per 19,000 watchers), posts at --rate R (default 1) to the first node:
               p50/p99/max from post to each watcher, memory per session on each node
               (--watchers N, default 100000, --posts P, default 30)
      soak     hundreds of clients connecting, logging in, posting, reading and leaving at random,
               then the server's descriptors and memory before and after
      attack   NAME: one attack on a shared queue (see below), and another user's latency before,
               during and after it
      pages    GET / with keep-alive from --clients C connections (default 100), the web door against
               nginx serving the same page saved as a file, with wrk on --load-cpu and each server on
               --cpu, --repeat R rounds (default 2) of --duration S seconds (default 10); needs wrk, nginx
      compare  the fan-out scenarios against microblogd, redis-server pub/sub (when installed) and a
               bare broadcast loop, each started fresh per scenario on CPU --cpu (default 0), this
               load generator on --load-cpu (default 1); one table, and microblogd's ratios to both
               (--scenarios a,b,c,d,e,g by default; f: 1 post/s to 19000 watchers, on request;
               g: one client pipelines --pipelined-posts P posts, default 200, in one write without
               waiting for acknowledgements; --watchers N, default 10000, --posts P and --posters C for
               the burst d; --repeat N: N rounds of each scenario, each round starting with the next
               server, and the median of the rounds' ratios; --doors plain,tls,ssh,web or all:
               microblogd's rows once per door its watchers come in by, each door's ratio to plain,
               which the list must hold; default plain)

    options:
      --watchers N       watching sessions (default 1000)
      --rate R           posts per second (fanout; default 10)
      --posts P          posts to send (fanout: default 10 x rate; burst: default 1000)
      --clients N        concurrent clients (soak: default 200)
      --duration S       seconds to run (soak: default 60)
      --seed N           random seed (default 1)
      --server PATH      microblogd binary to start (default: the one beside this program)
      --host H --port P  use a running server instead of starting one (--tls-port P: its TLS door,
                         --ssh-port P: its SSH door, --http-port P: its web door)
      --door D           the door the watchers come in by (idle, fanout, burst): plain (default), tls
                         (the bench makes a throw-away certificate and starts the server with a TLS
                         port; posts still go over the plain port), ssh (the server gets an SSH port
                         and a new host key; each watcher is a libssh guest session with a shell and
                         no terminal), web (the server gets an HTTP port; each watcher is an HTTP/1.1
                         connection reading the live stream GET /events, as a browser's EventSource),
                         both: plain, then tls, all: plain, tls, ssh, then web, or a list such as
                         plain,web: each on a fresh server, and a table of them with each door's
                         ratio to the first
      --mode json        idle, fanout, burst on the plain door: each watcher sends /mode json once in, as
                         a bot would (the memory per session then includes what that line left behind)
      --connect C        burst (default): open the watchers as fast as the server accepts them;
                         serial: each only when the one before it has been greeted, so the memory
                         figure holds sessions alone, without many handshakes at once
      --flood F          fanout: while the posts go out, one address (127.0.10.1) opens connections to
                         a secure door as fast as it can from --in-flight N threads (default 16), each
                         waiting for the server's answer or reset, then resetting: tls (X25519
                         ClientHellos; the server gets a TLS door), ssh (the banner, a KEXINIT and a
                         KEX_ECDH_INIT for curve25519-sha256; the server gets an SSH door) or none (no
                         attacker: the calm sitting); beside it an honest client connects by the plain
                         door and logs in every second, timed. The server keeps the default
                         --handshake-rate (the other limits are lifted as usual). A list such as
                         none,tls,ssh runs each on a fresh server in one sitting, with a table of them
                         and each run's latency ratio to the first. The attacker threads run under
                         SCHED_IDLE, yielding this CPU to the thread timing the deliveries as an
                         attacker on another machine would (--flood-priority normal: they compete)
      --cpu N            pin the started server to CPU N (taskset), so load and server can be kept apart
      --load-cpu N       pin this load generator to CPU N (idle, fanout, burst; compare pins it to 1 by
                         default)
      --db URI           the started servers' database: a PostgreSQL URI (default: a new SQLite file)
      --nodes N          start N servers on --db (PostgreSQL): watchers spread over them, posts on
                         the first (idle, fanout, burst); ingest: the posting connections spread over
                         them, the rate summed
      --json             print one JSON object instead of a table (compare: one per line)

    """ + AttackCatalog.usage

// Each watcher holds a descriptor.
CPUAffinity.raiseDescriptorLimit()

guard let scenario = arguments.first, !scenario.hasPrefix("-") else {
    print(usage)
    exit(arguments.contains("--help") ? 0 : 2)
}
var options: [String: String] = [:]
var flags: Set<String> = []
// `attack NAME`: the attack's name comes before the options.
var index = scenario == "attack" ? 2 : 1
while index < arguments.count {
    let argument = arguments[index]
    if argument == "--json" || argument == "--help" {
        flags.insert(argument)
    } else if argument.hasPrefix("--"), index + 1 < arguments.count {
        options[argument] = arguments[index + 1]
        index += 1
    } else {
        Progress.say("microblog-bench: unknown argument \(argument)")
        exit(2)
    }
    index += 1
}

@MainActor func number(_ name: String, _ fallback: Int) -> Int {
    guard let text = options[name] else { return fallback }
    guard let value = Int(text), value >= 0 else {
        Progress.say("microblog-bench: \(name) must be a whole number")
        exit(2)
    }
    return value
}

let fanoutFamily = ["idle", "fanout", "burst"].contains(scenario)
guard let doors = Door.parse(options["--door"] ?? "plain") else {
    Progress.say("microblog-bench: --door must be plain, tls, ssh, web, both, all or a list such as plain,web")
    exit(2)
}
if let connect = options["--connect"], !["serial", "burst"].contains(connect) {
    Progress.say("microblog-bench: --connect must be serial or burst")
    exit(2)
}
// Without --flood, one run with no flood at all (and the lifted handshake budget).
let floodRuns: [FloodDoor?]? = options["--flood"].map { FloodDoor.parse($0)?.map { Optional($0) } } ?? [nil]
guard let floods = floodRuns else {
    Progress.say("microblog-bench: --flood must be none, tls, ssh or a list such as none,tls,ssh")
    exit(2)
}
if let priority = options["--flood-priority"], !["idle", "normal"].contains(priority) {
    Progress.say("microblog-bench: --flood-priority must be idle or normal")
    exit(2)
}
if options["--flood"] != nil && (scenario != "fanout" || doors.count > 1 && floods.count > 1) {
    Progress.say("microblog-bench: --flood is for fanout, with one --door when it names several runs")
    exit(2)
}
if doors != [.plain] && !fanoutFamily {
    Progress.say("microblog-bench: --door is for idle, fanout and burst (compare takes --doors)")
    exit(2)
}
if max(1, number("--nodes", 1)) > 1 && !fanoutFamily && scenario != "ingest" && scenario != "spread" {
    Progress.say("microblog-bench: --nodes is for idle, fanout, burst and ingest")
    exit(2)
}

/// --server, or the microblogd beside this program.
@MainActor func microblogdBinary() -> String {
    options["--server"]
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("microblogd").path
}

/// The servers under test, the posting node first: started here (with the TLS, SSH or web door when
/// `door` is one of those, and the door `flood` attacks), or the running one named by --host/--port
/// (--tls-port, --ssh-port, --http-port for its doors).
@MainActor func startServers(door: Door, flood: FloodDoor? = nil) -> [ServerUnderTest] {
    if let host = options["--host"], let port = options["--port"].flatMap(UInt16.init) {
        return [
            ServerUnderTest(
                host: host, port: port, tlsPort: options["--tls-port"].flatMap(UInt16.init),
                sshPort: options["--ssh-port"].flatMap(UInt16.init),
                httpPort: options["--http-port"].flatMap(UInt16.init))
        ]
    }
    let binary = microblogdBinary()
    let database = options["--db"]
    let nodeCount = max(1, number("--nodes", 1))
    guard nodeCount == 1 || database != nil else {
        Progress.say("microblog-bench: --nodes needs --db postgresql://... (the nodes share one database)")
        exit(2)
    }
    var nodes: [ServerUnderTest] = []
    do {
        // A new throw-away certificate for each TLS run; the watchers verify nothing about it.
        let certificate = door == .tls || flood == .tls ? try ThrowawayCertificate() : nil
        for index in 0..<nodeCount {
            nodes.append(
                try ServerUnderTest(
                    binary: binary, limits: flood == nil ? ServerUnderTest.liftedForLoad : FloodDoor.serverLimits,
                    cpu: index == 0 ? options["--cpu"].flatMap(Int.init) : nil, database: database, tls: certificate,
                    ssh: door == .ssh || flood == .ssh, web: door == .web))
        }
    } catch {
        Progress.say("microblog-bench: \(error)")
        for node in nodes { _ = node.stop() }
        exit(1)
    }
    Progress.say(
        "started \(nodeCount) microblogd on port\(nodeCount > 1 ? "s" : "") "
            + nodes.map { String($0.port) }.joined(separator: ", ")
            + (door == .tls || flood == .tls
                ? " (TLS door on " + nodes.map { String($0.tlsPort ?? 0) }.joined(separator: ", ") + ")" : "")
            + (door == .ssh || flood == .ssh
                ? " (SSH door on " + nodes.map { String($0.sshPort ?? 0) }.joined(separator: ", ") + ")" : "")
            + (door == .web
                ? " (web door on " + nodes.map { String($0.httpPort ?? 0) }.joined(separator: ", ") + ")" : "")
            + (database == nil ? "" : " (database from --db)")
            + "; limits lifted: \(nodes[0].liftedLimits.joined(separator: " "))")
    return nodes
}

switch scenario {
case "idle", "fanout", "burst":
    if options["--load-cpu"] != nil, !CPUAffinity.pinAllThreads(to: number("--load-cpu", 1)) {
        Progress.say("microblog-bench: could not pin the load generator to CPU \(number("--load-cpu", 1))")
    }
    // One door after the other in one sitting, each on a server of its own, so each memory figure
    // starts from a fresh process.
    var reports: [FanoutScenario.Report] = []
    var succeeded = true
    for (door, flood) in doors.flatMap({ door in floods.map { (door, $0) } }) {
        let nodes = startServers(door: door, flood: flood)
        let server = nodes[0]
        let rate = scenario == "fanout" ? Double(number("--rate", 10)) : 0
        let posts = scenario == "idle" ? 0 : number("--posts", scenario == "fanout" ? Int(rate) * 10 : 1000)
        var fanout = FanoutScenario(server: server, watchers: number("--watchers", 1000), rate: rate, posts: posts)
        fanout.posters = scenario == "burst" ? number("--posters", 10) : 1
        fanout.otherNodes = Array(nodes.dropFirst())
        fanout.door = door
        fanout.jsonMode = options["--mode"] == "json"
        fanout.connectOneAtATime = options["--connect"] == "serial"
        fanout.flood = flood.map {
            FanoutFlood(
                door: $0, inFlight: max(1, number("--in-flight", 16)), idle: options["--flood-priority"] != "normal")
        }
        do {
            let report = try fanout.run()
            for node in nodes.dropFirst() { _ = node.stop() }
            let status = server.stop()
            FanoutScenario.print(
                report, scenario: scenario, json: flags.contains("--json"), lifted: server.liftedLimits,
                commits: server.commits)
            reports.append(report)
            succeeded =
                succeeded && report.deliveries == report.expected && report.watchersClosed == 0
                && (report.refused ?? 0) == 0 && (report.unanswered ?? 0) == 0 && (status ?? 0) == 0
        } catch {
            Progress.say("microblog-bench: \(door.rawValue) door: \(error)")
            for node in nodes { _ = node.stop() }
            exit(1)
        }
    }
    if reports.count > 1 && !flags.contains("--json") {
        print("")
        if floods.count > 1 {
            FloodComparison.print(reports)
        } else {
            DoorComparison.print(reports, scenario: scenario)
        }
    }
    exit(succeeded ? 0 : 1)
case "spread":
    // Several nodes on one PostgreSQL, the watchers read by several generator processes.
    let nodes = startServers(door: .plain)
    let watchers = number("--watchers", 100_000)
    let generators = max(1, number("--generators", (watchers + 18_999) / 19_000))
    let spread = SpreadScenario(
        nodes: nodes, watchers: watchers, generators: generators, rate: Double(max(1, number("--rate", 1))),
        posts: number("--posts", 30))
    do {
        let report = try spread.run()
        let statuses = nodes.map { $0.stop() }
        SpreadScenario.print(report, nodes: nodes.count, watchers: watchers, generators: generators)
        exit(report.deliveries == report.expected && statuses.allSatisfy { ($0 ?? 0) == 0 } ? 0 : 1)
    } catch {
        Progress.say("microblog-bench: \(error)")
        for node in nodes { _ = node.stop() }
        exit(1)
    }
case "watch":
    guard let ports = options["--ports"]?.split(separator: ",").compactMap({ UInt16($0) }), !ports.isEmpty,
        let out = options["--out"]
    else {
        Progress.say("microblog-bench: watch needs --ports P,P,... and --out FILE")
        exit(2)
    }
    do {
        try WatchProcess.run(
            host: options["--host"] ?? "127.0.0.1", ports: ports, watchers: number("--watchers", 1000),
            first: number("--first", 0), out: out)
        exit(0)
    } catch {
        Progress.say("microblog-bench: watch: \(error)")
        exit(1)
    }
case "ingest":
    let nodes = startServers(door: .plain)
    let server = nodes[0]
    var ingest = IngestScenario(
        servers: nodes, connections: number("--clients", 50), duration: Double(number("--duration", 10)))
    if let window = options["--in-flight"] { ingest.inFlight = max(1, Int(window) ?? 64) }
    ingest.jsonMode = options["--mode"] == "json"
    switch options["--mentions"] {
    case nil: break
    case "others": ingest.mentions = .others
    case "self": ingest.mentions = .author
    case "tag": ingest.mentions = .tag
    case "mention": ingest.mentions = .mention
    default:
        Progress.say("microblog-bench: --mentions must be others, self, tag or mention")
        exit(2)
    }
    do {
        let result = try ingest.run()
        let statuses = nodes.dropFirst().map { $0.stop() }
        let status = server.stop()
        let rate = Double(result.acknowledged) / result.seconds
        if flags.contains("--json") {
            print(
                "{\"scenario\":\"ingest\",\"nodes\":\(nodes.count),\"mentions\":\"\(ingest.mentions.rawValue)\","
                    + "\"connections\":\(ingest.connections),\"acknowledged\":\(result.acknowledged),"
                    + "\"seconds\":\(String(format: "%.2f", result.seconds)),\"posts_per_second\":\(Int(rate)),"
                    + "\"p50_ms\":\(result.latency.p50),\"p99_ms\":\(result.latency.p99),\"failures\":\(result.failures)"
                    + (server.commits.map { "," + $0.jsonFields } ?? "") + "}"
            )
        } else {
            print("nodes".padding(toLength: 38, withPad: " ", startingAt: 0) + String(nodes.count))
            print("posting connections".padding(toLength: 38, withPad: " ", startingAt: 0) + String(ingest.connections))
            print(
                "mentions and tags (--mentions)".padding(toLength: 38, withPad: " ", startingAt: 0)
                    + ingest.mentions.rawValue)
            print(
                "acknowledged durable posts".padding(toLength: 38, withPad: " ", startingAt: 0)
                    + String(result.acknowledged))
            print("posts per second".padding(toLength: 38, withPad: " ", startingAt: 0) + String(Int(rate)))
            print(
                "ack latency p50 / p99 / max (ms)".padding(toLength: 38, withPad: " ", startingAt: 0)
                    + String(format: "%.2f / %.2f / %.2f", result.latency.p50, result.latency.p99, result.latency.max))
            print("refused or unanswered".padding(toLength: 38, withPad: " ", startingAt: 0) + String(result.failures))
            for (name, value) in server.commits?.rows ?? [] {
                print(name.padding(toLength: 38, withPad: " ", startingAt: 0) + value)
            }
        }
        let stopped = ([status] + statuses).allSatisfy { ($0 ?? 0) == 0 }
        exit(result.failures == 0 && stopped ? 0 : 1)
    } catch {
        Progress.say("microblog-bench: \(error)")
        for node in nodes { _ = node.stop() }
        exit(1)
    }
case "login":
    let server = startServers(door: .plain)[0]
    let login = LoginScenario(server: server, count: number("--clients", 200))
    do {
        let result = try login.run()
        let status = server.stop()
        let perSecond = Double(login.count) / result.seconds
        if flags.contains("--json") {
            print(
                "{\"scenario\":\"login\",\"logins\":\(login.count),\"seconds\":\(String(format: "%.3f", result.seconds)),"
                    + "\"logins_per_second\":\(Int(perSecond)),\"failures\":\(result.failures)}")
        } else {
            print("logins at once".padding(toLength: 38, withPad: " ", startingAt: 0) + String(login.count))
            print(
                "seconds until all logged in".padding(toLength: 38, withPad: " ", startingAt: 0)
                    + String(format: "%.3f", result.seconds))
            print("logins per second".padding(toLength: 38, withPad: " ", startingAt: 0) + String(Int(perSecond)))
            print("failed".padding(toLength: 38, withPad: " ", startingAt: 0) + String(result.failures))
        }
        exit(result.failures == 0 && (status ?? 0) == 0 ? 0 : 1)
    } catch {
        Progress.say("microblog-bench: \(error)")
        _ = server.stop()
        exit(1)
    }
case "soak":
    let server = startServers(door: .plain)[0]
    let soak = SoakScenario(
        server: server, clients: number("--clients", 200), duration: Double(number("--duration", 60)),
        seed: UInt64(number("--seed", 1)))
    var report = soak.run()
    report.serverExit = server.stop()
    SoakReport.print(report, clients: soak.clients, json: flags.contains("--json"), lifted: server.liftedLimits)
    exit(report.counters.unexpected.isEmpty && (report.serverExit ?? 0) == 0 ? 0 : 1)
case "compare":
    if options["--host"] != nil || options["--db"] != nil {
        Progress.say("microblog-bench: compare starts its own servers (no --host, --db)")
        exit(2)
    }
    let serverCPU = number("--cpu", 0)
    let loadCPU = number("--load-cpu", 1)
    if !CPUAffinity.pinAllThreads(to: loadCPU) {
        Progress.say("microblog-bench: could not pin the load generator to CPU \(loadCPU)")
    }
    let keys = options["--scenarios"].map { $0.split(separator: ",").map(String.init) } ?? Comparison.defaultKeys
    let all = Comparison.scenarios(
        watchers: number("--watchers", 10_000), burstPosts: number("--posts", 1000),
        pipelinedPosts: max(1, number("--pipelined-posts", 200)))
    if let unknown = keys.first(where: { key in !all.contains { $0.key == key } }) {
        Progress.say("microblog-bench: unknown scenario \(unknown) in --scenarios (a, b, c, d, e, f, g)")
        exit(2)
    }
    // The plain door is what the peers are measured against, and what the other doors are divided by.
    guard let compareDoors = Door.parse(options["--doors"] ?? "plain"), compareDoors.contains(.plain) else {
        Progress.say("microblog-bench: --doors must be a list of plain, tls, ssh and web that holds plain (or all)")
        exit(2)
    }
    let redis = PeerServers.redisBinary
    if redis == nil { Progress.say("note: redis-server is not on PATH; Redis is skipped") }
    let comparison = Comparison(
        microblogdBinary: microblogdBinary(), serverCPU: serverCPU, scenarios: all.filter { keys.contains($0.key) },
        burstPosters: number("--posters", 10), redisBinary: redis, doors: compareDoors,
        rounds: max(1, number("--repeat", 1)))
    Progress.say(
        "servers on CPU \(serverCPU), load generator on CPU \(loadCPU); servers: "
            + comparison.kinds.map(\.rawValue).joined(separator: ", ")
            + (compareDoors == [.plain]
                ? "" : "; microblogd's doors: " + compareDoors.map(\.rawValue).joined(separator: ", ")))
    let results = comparison.run()
    ComparisonReport.print(results, json: flags.contains("--json"))
    exit(results.filter { $0.kind == .microblogd }.allSatisfy(\.isClean) ? 0 : 1)
case "attack":
    guard arguments.count > 1, let attack = AttackCatalog.make(arguments[1], number: number, text: { options[$0] })
    else {
        Progress.say("microblog-bench: attack needs a NAME: " + AttackCatalog.names.joined(separator: ", "))
        exit(2)
    }
    signal(SIGPIPE, SIG_IGN)
    let harness = AttackHarness(
        name: arguments[1], attack: attack, binary: options["--binary"] ?? microblogdBinary(),
        seconds: Double(number("--seconds", 15)), calmSeconds: Double(number("--calm", 3)),
        warmupSeconds: Double(number("--warmup", 1)), replyTimeout: Double(number("--reply-timeout", 30)),
        serverArguments: (options["--server-args"] ?? "").split(separator: " ").map(String.init))
    exit(harness.run())
case "pages":
    // The web door's pages against nginx: a server of its own with the web door open.
    let server = startServers(door: .web)[0]
    var pages = PagesScenario()
    pages.connections = max(1, number("--clients", 100))
    pages.seconds = max(1, number("--duration", 10))
    pages.rounds = max(1, number("--repeat", 2))
    pages.cpu = options["--cpu"].flatMap(Int.init) ?? 0
    pages.loadCPU = options["--load-cpu"].flatMap(Int.init) ?? 1
    do {
        let rounds = try pages.run(server: server)
        _ = server.stop()
        let ours = rounds.map(\.microblogd).reduce(0, +) / Double(rounds.count)
        let theirs = rounds.map(\.nginx).reduce(0, +) / Double(rounds.count)
        if flags.contains("--json") {
            let each = rounds.map { "{\"microblogd\":\(Int($0.microblogd)),\"nginx\":\(Int($0.nginx))}" }
            print(
                "{\"scenario\":\"pages\",\"connections\":\(pages.connections),\"rounds\":[\(each.joined(separator: ","))],"
                    + "\"ratio\":\(String(format: "%.2f", ours / theirs))}")
        } else {
            func row(_ name: String, _ value: String) {
                print(name.padding(toLength: 38, withPad: " ", startingAt: 0) + value)
            }
            row("GET / keep-alive, connections", "\(pages.connections), \(pages.seconds) s a run, wrk -t1")
            for (number, round) in rounds.enumerated() {
                row("round \(number + 1): requests/s", "microblogd \(Int(round.microblogd)), nginx \(Int(round.nginx))")
            }
            row("microblogd / nginx (means)", String(format: "x %.2f", ours / theirs))
        }
    } catch {
        _ = server.stop()
        Progress.say("microblog-bench: \(error)")
        exit(1)
    }
case "bare-loop":
    // Hidden: the bare broadcast loop `compare` starts as a server process of its own.
    do {
        let loop = try BroadcastLoop(port: UInt16(number("--port", 0)))
        print("listening on 127.0.0.1:\(loop.port)")
        fflush(nil)
        signal(SIGTERM) { _ in _exit(0) }
        signal(SIGPIPE, SIG_IGN)
        withExtendedLifetime(loop) { dispatchMain() }
    } catch {
        Progress.say("microblog-bench: \(error)")
        exit(1)
    }
default:
    Progress.say("microblog-bench: unknown scenario \(scenario)\n\n\(usage)")
    exit(2)
}
