import Foundation
import MicroblogTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `microblog-bench attack NAME`: starts the given microblogd with what the attack needs, sets the attack
/// up, then measures the probe user's latency while calm, during each attack phase, and after it, one
/// line per phase, with the server's CPU, memory and log growth and the attack's own counts beside it.
/// Runs on the calling thread; the attack's threads are on its `AttackRun`s.
struct AttackHarness {
    var name: String
    var attack: Attack
    var binary: String
    var seconds: Double
    var calmSeconds: Double
    var warmupSeconds: Double
    var replyTimeout: Double
    var serverArguments: [String]

    /// Runs the attack; the exit status (0 when the server survived and stopped cleanly).
    func run() -> Int32 {
        let needs = attack.needs
        let server: ServerUnderTest
        // Holds the database when the attack seeds it on a server of its own first.
        var seededDirectory: TemporaryDirectory?
        do {
            var database: String?
            if !needs.seedLimits.isEmpty {
                let directory = try TemporaryDirectory(prefix: "microblog-attack-")
                seededDirectory = directory
                database = directory.path + "/attack.db"
                try seed(database: directory.path + "/attack.db", limits: needs.seedLimits + serverArguments)
            }
            let certificate = needs.tls ? try ThrowawayCertificate() : nil
            server = try ServerUnderTest(
                binary: binary, limits: needs.limits + serverArguments, cpu: nil, database: database,
                tls: certificate, ssh: needs.ssh)
        } catch {
            Progress.say("microblog-bench: \(error)")
            return 1
        }
        let target = AttackTarget(
            host: server.host, port: server.port, tlsPort: server.tlsPort, sshPort: server.sshPort)
        print("attack \(name) on \(binary)")
        print(
            "server pid \(server.pid ?? 0), plain port \(server.port)"
                + (server.tlsPort.map { ", TLS port \($0)" } ?? "") + (server.sshPort.map { ", SSH port \($0)" } ?? "")
                + "; arguments beyond the defaults: "
                + (needs.limits + serverArguments).joined(separator: " ").ifEmpty("none"))
        fflush(nil)
        let status = measure(server: server, target: target, prepared: seededDirectory != nil)
        let exit = server.stop()
        seededDirectory = nil
        print("server exit: \(exit.map(String.init) ?? "did not stop in time")")
        return status == 0 && exit == 0 ? 0 : 1
    }

    /// Runs the attack's `prepare` on a server of its own with `limits` on `database`, then stops it.
    private func seed(database: String, limits: [String]) throws {
        let seeding = try ServerUnderTest(binary: binary, limits: limits, cpu: nil, database: database)
        print("seeding on a first server with \(limits.joined(separator: " "))")
        fflush(nil)
        defer { _ = seeding.stop() }
        try attack.prepare(
            target: AttackTarget(host: seeding.host, port: seeding.port, tlsPort: nil, sshPort: nil))
    }

    private func measure(server: ServerUnderTest, target: AttackTarget, prepared: Bool) -> Int32 {
        if !prepared {
            do {
                try attack.prepare(target: target)
            } catch {
                Progress.say("microblog-bench: setting up \(name): \(error)")
                return 1
            }
        }
        let probe: LatencyProbe
        do {
            probe = try LatencyProbe(target: target, replyTimeout: replyTimeout)
        } catch {
            Progress.say("microblog-bench: the probe could not log in: \(error)")
            return 1
        }
        let meter = ServerMeter(server: server)
        meter.begin()
        report("calm", probe.measure(seconds: calmSeconds), meter: meter, run: nil)
        for (index, phase) in attack.phases.enumerated() {
            let run = AttackRun(maximumSeconds: warmupSeconds + seconds + 60)
            meter.begin()
            attack.start(phase: index, target: target, run: run)
            if let pid = server.pid { ServerMeter.sampleMemory(pid: pid, run: run) }
            run.pause(warmupSeconds)
            let measured = probe.measure(seconds: seconds)
            let stoppedInTime = run.stop()
            report(phase, measured, meter: meter, run: run)
            if !stoppedInTime { print("  (some attack threads were still blocked when the phase ended)") }
            guard server.isRunning else {
                print("the server is gone after \(phase)")
                return 1
            }
        }
        // Time for the server to notice the attackers' closes before the memory figure after them.
        usleep(1_000_000)
        meter.begin()
        report("after", probe.measure(seconds: calmSeconds), meter: meter, run: nil)
        return 0
    }

    private func report(_ phase: String, _ measured: LatencyProbe.Phase, meter: ServerMeter, run: AttackRun?) {
        let figures = meter.end()
        var line =
            (phase + ":").padding(toLength: 18, withPad: " ", startingAt: 0) + "help "
            + LatencyProbe.summary(measured.help)
            + "; post " + LatencyProbe.summary(measured.posts)
        if measured.timeouts > 0 { line += "; probe timeouts \(measured.timeouts)" }
        if !measured.errors.isEmpty { line += "; probe errors " + Self.list(measured.errors) }
        print(line)
        var details = String(
            format: "                  server cpu %.2f s/s; rss %.1f MiB", figures.cpuPerSecond, figures.residentMiB)
        if let counters = run?.counters, let peak = counters[ServerMeter.peakCounter] {
            details += String(format: " (peak %.1f MiB)", Double(peak) / 1024)
        }
        details += String(format: "; log %.0f B/s", figures.logBytesPerSecond)
        if !figures.logEvents.isEmpty { details += " (" + Self.list(figures.logEvents, limit: 4) + ")" }
        print(details)
        if let counters = run?.counters.filter({ $0.key != ServerMeter.peakCounter }), !counters.isEmpty {
            let rates = counters.sorted { $0.key < $1.key }.map {
                "\($0.key) \($0.value) (" + String(format: "%.1f", Double($0.value) / figures.seconds) + "/s)"
            }
            print("                  attacker: " + rates.joined(separator: ", "))
        }
        fflush(nil)
    }

    private static func list(_ counts: [String: Int], limit: Int = 10) -> String {
        counts.sorted { $0.value > $1.value }.prefix(limit).map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}

/// The server's side of a phase: its CPU time, memory and log growth, from /proc and its log file.
/// Used by the harness's thread.
final class ServerMeter {
    private let server: ServerUnderTest
    private var started = Date()
    private var cpuAtStart = 0.0
    private var logSizeAtStart = 0
    static let peakCounter = "server rss peak KiB"
    /// At most this much of a phase's log is read to count its events.
    static let eventScanBytes = 32 << 20

    struct Figures {
        var seconds: Double
        var cpuPerSecond: Double
        var residentMiB: Double
        var logBytesPerSecond: Double
        var logEvents: [String: Int]
    }

    init(server: ServerUnderTest) { self.server = server }

    func begin() {
        started = Date()
        cpuAtStart = server.cpuSeconds ?? 0
        logSizeAtStart = logSize
    }

    func end() -> Figures {
        let seconds = max(0.001, Date().timeIntervalSince(started))
        let size = logSize
        return Figures(
            seconds: seconds, cpuPerSecond: ((server.cpuSeconds ?? 0) - cpuAtStart) / seconds,
            residentMiB: Double(server.residentKiB ?? 0) / 1024,
            logBytesPerSecond: Double(size - logSizeAtStart) / seconds,
            logEvents: events(from: logSizeAtStart, to: size))
    }

    private var logSize: Int {
        guard let path = server.logPath, let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        else { return 0 }
        return (attributes[.size] as? NSNumber)?.intValue ?? 0
    }

    /// `event=` names of the log lines written between the two offsets (the first 32 MiB of them).
    private func events(from start: Int, to end: Int) -> [String: Int] {
        guard end > start, let path = server.logPath, let file = FileHandle(forReadingAtPath: path) else { return [:] }
        defer { try? file.close() }
        try? file.seek(toOffset: UInt64(start))
        guard let data = try? file.read(upToCount: min(end - start, Self.eventScanBytes)) else { return [:] }
        var counts: [String: Int] = [:]
        for line in data.split(separator: 10) {
            guard let range = line.firstRange(of: Array("event=".utf8)) else { continue }
            let name = line[range.upperBound...].prefix { $0 != 32 }
            counts[String(decoding: name, as: UTF8.self), default: 0] += 1
        }
        return counts
    }

    /// Samples the server's resident memory every 200 ms while `run` runs; the peak goes into its counters.
    static func sampleMemory(pid: Int32, run: AttackRun) {
        run.spawn {
            var peak = 0
            while run.shouldRun {
                if let kib = residentKiB(pid: pid), kib > peak {
                    run.count(peakCounter, kib - peak)
                    peak = kib
                }
                usleep(200_000)
            }
        }
    }

    static func residentKiB(pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }
}

extension String {
    fileprivate func ifEmpty(_ fallback: String) -> String { isEmpty ? fallback : self }
}
