import Foundation

/// Another user, measuring what an attack costs everyone else: a logged-in account on the plain port
/// from 127.0.0.1, in JSON mode with the live feed off, that alternately sends `/help` (answered on the
/// server queue alone) and a post (answered after the storage queue commits it), one line every
/// `interval`, each only after the previous reply, and times each from its send to the `ok` or `error`
/// that ends its reply. Used by the harness's thread alone.
final class LatencyProbe {
    /// One phase's measurements, in milliseconds.
    struct Phase {
        var help: [Double] = []
        var posts: [Double] = []
        /// Replies that were errors (`rate_limited`, `storage`, ...), by code.
        var errors: [String: Int] = [:]
        /// Replies that did not come within the reply timeout (the probe then reconnected).
        var timeouts = 0
    }

    static let interval = 0.05
    private let target: AttackTarget
    private let name: String
    private let password = "probe-password-1"
    private let replyTimeout: Double
    private var session: WireSession
    private var sent = 0

    init(target: AttackTarget, name: String = "probe", replyTimeout: Double) throws {
        self.target = target
        self.name = name
        self.replyTimeout = replyTimeout
        session = try Self.connect(target: target, name: name, password: password)
    }

    private static func connect(target: AttackTarget, name: String, password: String) throws -> WireSession {
        let session = try WireSession(target: target, source: "127.0.0.1", timeout: 60)
        try session.registerOrLogIn(name, password: password)
        return session
    }

    /// Probes for `seconds`.
    func measure(seconds: Double) -> Phase {
        var phase = Phase()
        let end = Date().addingTimeInterval(seconds)
        var nextSend = Date()
        while Date() < end {
            let wait = nextSend.timeIntervalSinceNow
            if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
            nextSend = max(nextSend.addingTimeInterval(Self.interval), Date())
            sent += 1
            let isHelp = sent % 2 == 1
            let line = isHelp ? "/help" : "probe post \(sent) during the measurement"
            let start = DispatchTime.now().uptimeNanoseconds
            session.client.send(line)
            do {
                let reply = try session.reply(timeout: replyTimeout)
                let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
                if isHelp { phase.help.append(milliseconds) } else { phase.posts.append(milliseconds) }
                if !WireSession.isOK(reply) { phase.errors[WireSession.outcome(reply), default: 0] += 1 }
            } catch {
                // The worst case is at least the timeout; a fresh session keeps the replies in step.
                if isHelp { phase.help.append(replyTimeout * 1000) } else { phase.posts.append(replyTimeout * 1000) }
                phase.timeouts += 1
                session.client.close()
                guard let fresh = try? Self.connect(target: target, name: name, password: password) else { break }
                session = fresh
            }
        }
        return phase
    }

    /// `count, median, p90, worst` of `values` (milliseconds), as the report shows it.
    static func summary(_ values: [Double]) -> String {
        guard !values.isEmpty else { return "n=0" }
        let sorted = values.sorted()
        func at(_ fraction: Double) -> Double {
            sorted[min(sorted.count - 1, Int(fraction * Double(sorted.count - 1)))]
        }
        return String(
            format: "n=%d p50=%.1f p90=%.1f max=%.1f ms", sorted.count, at(0.5), at(0.9), sorted.last ?? 0)
    }
}
