import MicroblogModel
import Synchronization

/// A budget of log lines per key: at most `budget` lines per `interval` seconds for one key (an event,
/// or an event and a kind), so a fault or a remote peer that repeats a line many times a second cannot
/// flood the log. Lines over the budget are counted, never lost silently: the next line written for the
/// key carries `suppressed=N`, and when a burst ends with lines still uncounted, `endedBursts` returns
/// them for a summary line. A pure value: the caller passes the time (monotonic seconds).
public struct LogRateLimiter: Sendable, Equatable {
    /// Lines let through per key in one interval.
    public static let defaultBudget = 5
    /// Seconds in one interval.
    public static let defaultInterval = 10.0

    public let budget: Int
    public let interval: Double

    /// What happened to one key in the current interval.
    struct Window: Sendable, Equatable {
        var started: Double
        var written: Int
        var suppressed: Int
        /// The level and event of the key's last line, for the summary.
        var level: Logger.Level
        var event: String
    }

    private(set) var windows: [String: Window] = [:]

    public init(budget: Int = LogRateLimiter.defaultBudget, interval: Double = LogRateLimiter.defaultInterval) {
        self.budget = max(1, budget)
        self.interval = interval
    }

    /// Whether a line for `key` is written.
    public enum Decision: Equatable, Sendable {
        /// Write it; `suppressed` lines of this key were left out since the last one written (0: none).
        case write(suppressed: Int)
        /// Leave it out (it is counted).
        case drop
    }

    /// Decides for one line of `key` at `now`.
    public mutating func admit(
        _ key: String, level: Logger.Level = .info, event: String = "", now: Double
    ) -> Decision {
        guard var window = windows[key], now - window.started < interval else {
            // A new interval: the count left from the last one goes with this line.
            let carried = windows[key]?.suppressed ?? 0
            windows[key] = Window(started: now, written: 1, suppressed: 0, level: level, event: event)
            return .write(suppressed: carried)
        }
        window.level = level
        window.event = event
        if window.written < budget {
            window.written += 1
            windows[key] = window
            return .write(suppressed: 0)
        }
        window.suppressed += 1
        windows[key] = window
        return .drop
    }

    /// A key whose interval ended with lines left out, and nothing since.
    public struct EndedBurst: Equatable, Sendable {
        public var key: String
        public var level: Logger.Level
        public var event: String
        public var suppressed: Int
    }

    /// The bursts whose interval has ended by `now` with lines left out; forgets every ended interval, so
    /// the keys held stay those active in the last `interval`. `all` ends every interval (at exit).
    public mutating func endedBursts(now: Double, all: Bool = false) -> [EndedBurst] {
        var ended: [EndedBurst] = []
        for (key, window) in windows where all || now - window.started >= interval {
            if window.suppressed > 0 {
                ended.append(
                    EndedBurst(key: key, level: window.level, event: window.event, suppressed: window.suppressed))
            }
            windows[key] = nil
        }
        return ended.sorted { $0.key < $1.key }
    }
}

/// A `LogRateLimiter` shared by every copy of a `Logger`. Thread-safe: the value is behind a mutex.
final class SharedLogRateLimiter: Sendable {
    private let limiter: Mutex<LogRateLimiter>

    init(_ limiter: LogRateLimiter) { self.limiter = Mutex(limiter) }

    func admit(_ key: String, level: Logger.Level, event: String, now: Double) -> LogRateLimiter.Decision {
        limiter.withLock { $0.admit(key, level: level, event: event, now: now) }
    }

    func endedBursts(now: Double, all: Bool) -> [LogRateLimiter.EndedBurst] {
        limiter.withLock { $0.endedBursts(now: now, all: all) }
    }
}
