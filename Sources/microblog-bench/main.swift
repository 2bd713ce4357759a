import Foundation

// microblog-bench: starts microblogd (or targets a running one) and runs a scenario. Options parsing
// and printing only; the scenarios live in their own files.
let arguments = Array(CommandLine.arguments.dropFirst())
let usage = """
    usage: microblog-bench SCENARIO [options]      (build with -c release for meaningful numbers)

    scenarios:
      soak     hundreds of clients connecting, logging in, posting, reading and leaving at random,
               then the server's descriptors and memory before and after

    options:
      --clients N        concurrent clients (soak: default 200)
      --duration S       seconds to run (soak: default 60)
      --seed N           random seed (default 1)
      --server PATH      microblogd binary to start (default: the one beside this program)
      --host H --port P  use a running server instead of starting one
      --cpu N            pin the started server to CPU N (taskset), so load and server can be kept apart
      --json             print one JSON object instead of a table
    """

guard let scenario = arguments.first, !scenario.hasPrefix("-") else {
    print(usage)
    exit(arguments.contains("--help") ? 0 : 2)
}
var options: [String: String] = [:]
var flags: Set<String> = []
var index = 1
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

let server: ServerUnderTest
do {
    if let host = options["--host"], let port = options["--port"].flatMap(UInt16.init) {
        server = ServerUnderTest(host: host, port: port)
    } else {
        let binary =
            options["--server"]
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("microblogd").path
        server = try ServerUnderTest(
            binary: binary, limits: ServerUnderTest.liftedForLoad, cpu: options["--cpu"].flatMap(Int.init))
        Progress.say(
            "started microblogd on port \(server.port); limits lifted: \(server.liftedLimits.joined(separator: " "))")
    }
} catch {
    Progress.say("microblog-bench: \(error)")
    exit(1)
}

switch scenario {
case "soak":
    let soak = SoakScenario(
        server: server, clients: number("--clients", 200), duration: Double(number("--duration", 60)),
        seed: UInt64(number("--seed", 1)))
    var report = soak.run()
    report.serverExit = server.stop()
    SoakReport.print(report, clients: soak.clients, json: flags.contains("--json"), lifted: server.liftedLimits)
    exit(report.counters.unexpected.isEmpty && (report.serverExit ?? 0) == 0 ? 0 : 1)
default:
    Progress.say("microblog-bench: unknown scenario \(scenario)\n\n\(usage)")
    _ = server.stop()
    exit(2)
}
