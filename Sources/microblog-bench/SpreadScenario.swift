import Foundation
import MicroblogTestSupport

/// `spread`: more watching sessions than one process may hold (20,000 descriptors here), over several
/// nodes on one PostgreSQL, read by several load-generator processes (`watch`, below), each holding
/// its share of the watchers spread over every node. This process posts to the first node at a fixed
/// rate and merges the generators' latencies: p50/p99/max from a post's send to its last watcher.
struct SpreadScenario {
    let nodes: [ServerUnderTest]
    let watchers: Int
    let generators: Int
    let rate: Double
    let posts: Int

    struct Report {
        var deliveries = 0
        var expected = 0
        var closed = 0
        var latency = Percentiles([])
        var kibPerSessionByNode: [Double] = []
        var seconds = 0.0
    }

    /// One `watch` process: started, then told to finish by closing its standard input.
    private final class Generator {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let latencyFile: String
        var buffered = ""

        init(arguments: [String], latencyFile: String) throws {
            self.latencyFile = latencyFile
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = arguments + ["--out", latencyFile]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
        }

        /// Waits (up to `deadline`) for a line of standard output starting with `prefix`.
        func waitFor(_ prefix: String, until deadline: Double) throws -> String {
            while Date().timeIntervalSince1970 < deadline {
                if let line = buffered.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                    return String(line)
                }
                // `availableData` blocks: wait for output with what is left of the deadline first.
                let left = Int32(max(1, min(60_000, (deadline - Date().timeIntervalSince1970) * 1000)))
                var ready = pollfd(fd: output.fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, left) > 0 else { continue }
                let data = output.fileHandleForReading.availableData
                guard !data.isEmpty else { break }
                buffered += String(decoding: data, as: UTF8.self)
            }
            throw BenchError("a load generator did not say \(prefix): \(buffered.suffix(300))")
        }
    }

    func run() throws -> Report {
        var report = Report()
        let before = nodes.map(\.residentKiB)
        let directory = try TemporaryDirectory(prefix: "microblog-spread-")
        let ports = nodes.map { String($0.port) }.joined(separator: ",")
        var started: [Generator] = []
        defer {
            for generator in started where generator.process.isRunning { generator.process.terminate() }
        }
        let share = (watchers + generators - 1) / generators
        for index in 0..<generators {
            let count = min(share, watchers - index * share)
            guard count > 0 else { break }
            started.append(
                try Generator(
                    arguments: [
                        "watch", "--host", nodes[0].host, "--ports", ports, "--watchers", String(count), "--first",
                        String(index * share),
                    ], latencyFile: directory.path + "/latencies-\(index)"))
        }
        Progress.say("\(started.count) load generators opening \(watchers) watchers over \(nodes.count) nodes")
        for generator in started {
            _ = try generator.waitFor("ready", until: Date().timeIntervalSince1970 + 600)
        }
        let after = nodes.map(\.residentKiB)
        let perNode = nodes.indices.map { index in
            watchers / nodes.count + (index < watchers % nodes.count ? 1 : 0)
        }
        report.kibPerSessionByNode = nodes.indices.map { index in
            guard let low = before[index], let high = after[index], perNode[index] > 0 else { return 0 }
            return Double(high - low) / Double(perNode[index])
        }

        let run = Int(Date().timeIntervalSince1970) % 100_000
        let poster = try accountClients(1, on: nodes[0], prefix: "s\(run)p", password: "bench-password")[0]
        let start = Date().timeIntervalSince1970
        Progress.say("posting \(posts) posts at \(rate) a second")
        for number in 0..<posts {
            let due = start + Double(number) / rate
            let wait = due - Date().timeIntervalSince1970
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            poster.send("t=\(Watchers.nowNanoseconds()) n=\(number)")
        }
        // The generators stop once every post has reached their watchers, or at this deadline.
        for generator in started {
            try? generator.input.fileHandleForWriting.write(contentsOf: Data("done \(posts)\n".utf8))
            try? generator.input.fileHandleForWriting.close()
        }
        var latencies: [Int] = []
        for generator in started {
            let line = try generator.waitFor("finished", until: Date().timeIntervalSince1970 + 120)
            func field(_ name: String) -> Int {
                line.split(separator: " ").first { $0.hasPrefix(name + "=") }.flatMap {
                    Int($0.dropFirst(name.count + 1))
                } ?? 0
            }
            report.deliveries += field("deliveries")
            report.closed += field("closed")
            generator.process.waitUntilExit()
            let text = (try? String(contentsOfFile: generator.latencyFile, encoding: .utf8)) ?? ""
            latencies += text.split(separator: "\n").compactMap { Int($0) }
        }
        report.seconds = Date().timeIntervalSince1970 - start
        report.expected = posts * watchers
        report.latency = Percentiles(latencies)
        return report
    }

    static func print(_ report: Report, nodes: Int, watchers: Int, generators: Int) {
        func number(_ value: Double) -> String { String(format: "%.2f", value) }
        let rows: [(String, String)] = [
            ("nodes / load generators", "\(nodes) / \(generators)"),
            ("watching sessions", String(watchers)),
            ("deliveries / expected", "\(report.deliveries) / \(report.expected)"),
            ("lost deliveries", String(report.expected - report.deliveries)),
            ("watching connections closed", String(report.closed)),
            (
                "latency p50 / p90 / p99 / max (ms)",
                "\(number(report.latency.p50)) / \(number(report.latency.p90)) / \(number(report.latency.p99)) / \(number(report.latency.max))"
            ),
            ("RSS per session by node (KiB)", report.kibPerSessionByNode.map(number).joined(separator: " / ")),
        ]
        for (name, value) in rows { Swift.print(name.padding(toLength: 38, withPad: " ", startingAt: 0) + value) }
    }
}

/// `watch` (started by `spread`): opens `--watchers N` watching sessions spread over `--ports`, says
/// `ready`, reads deliveries until told `done P` on standard input (P posts were sent) and all P have
/// reached every one of its watchers (or 60 s after `done`), writes each latency in microseconds to `--out`, one a
/// line, and says `finished deliveries=N closed=N`.
enum WatchProcess {
    static func run(host: String, ports: [UInt16], watchers: Int, first: Int, out: String) throws {
        let group = try Watchers(door: .plain)
        for (index, port) in ports.enumerated() {
            // The same spread as every other generator's: watcher k goes to node k % nodes.
            let mine = (first..<(first + watchers)).filter { $0 % ports.count == index }.count
            if mine > 0 { try group.open(count: mine, host: host, port: port, timeout: 300) }
        }
        group.forgetDeliveries()
        print("ready")
        fflush(nil)
        // Standard input says `done P` once the P posts are sent.
        let told = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var sent = 0
        Thread {
            let line = readLine() ?? ""
            sent = Int(line.split(separator: " ").last ?? "") ?? 0
            told.signal()
        }.start()
        var deadline = Double.infinity
        var target = Int.max
        while Date().timeIntervalSince1970 < deadline && group.deliveries < target {
            group.poll(timeoutMilliseconds: 20)
            if deadline == .infinity && told.wait(timeout: .now()) == .success {
                deadline = Date().timeIntervalSince1970 + 60
                target = sent * watchers
            }
        }
        let text = group.latencies.map(String.init).joined(separator: "\n")
        try text.write(toFile: out, atomically: false, encoding: .utf8)
        print("finished deliveries=\(group.deliveries) closed=\(group.closed)")
        fflush(nil)
    }
}
