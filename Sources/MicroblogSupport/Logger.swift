import Dispatch
import MicroblogModel
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Writes one logfmt line per event to standard error:
/// `time=2026-11-26T11:20:05.123Z level=info event=login conn=3 user=alice`.
/// Lines below `minimum` are dropped before they are formatted. Never given a password; a post's text
/// only at `debug`. Thread-safe: a value with immutable state; lines go through `LogWriter`.
///
/// A line logged with a `limitKey` (lines a remote peer or a fault can repeat at a high rate: accept
/// errors, storage faults, refusals, failed logins, slow readers) is rate-limited per key by a
/// `LogRateLimiter` that every copy of the logger shares: past the budget, lines are counted instead of
/// written, and the count appears as `suppressed=N` on the key's next line, or on a summary line
/// (`burst_ended=true`) written by `reportEndedBursts` once the burst is over.
public struct Logger: Sendable {
    public enum Level: String, Sendable, Comparable, CaseIterable {
        case debug, info, warn, error

        private var rank: Int {
            switch self {
            case .debug: 0
            case .info: 1
            case .warn: 2
            case .error: 3
            }
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    /// Where lines go; standard error unless a test captures them.
    let sink: @Sendable (String) -> Void
    /// The least severe level written.
    public let minimum: Level
    /// Shared by every copy, so a key's budget is the process's, not one caller's.
    private let limiter: SharedLogRateLimiter
    /// Monotonic seconds, for the rate limiter; a test may pass its own.
    private let clock: @Sendable () -> Double

    public init(
        minimum: Level = .info, limiter: LogRateLimiter = LogRateLimiter(),
        clock: @escaping @Sendable () -> Double = { MonotonicClock.now() },
        sink: (@Sendable (String) -> Void)? = nil
    ) {
        self.minimum = minimum
        self.limiter = SharedLogRateLimiter(limiter)
        self.clock = clock
        self.sink = sink ?? { LogWriter.standardError.append($0) }
    }

    /// Writes what was logged so far before returning (at exit).
    public static func flush() { LogWriter.standardError.flush() }

    /// A logger that drops everything (for tests that do not look at logs).
    public static let silent = Logger(minimum: .error, sink: { _ in })

    /// True when a line at `level` would be written: lets a caller skip building costly fields.
    public func enabled(_ level: Level) -> Bool { level >= minimum }

    /// Writes one line. With `limitKey`, the line counts against that key's budget (see the type's notes).
    public func log(
        _ level: Level, _ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:],
        limitKey: String? = nil
    ) {
        guard level >= minimum else { return }
        log(level, event, pairs: fields.map { ($0.key, $0.value.description) }, limitKey: limitKey)
    }

    /// The same, with fields built at run time.
    public func log(_ level: Level, _ event: String, pairs: [(String, String)], limitKey: String? = nil) {
        guard level >= minimum else { return }
        var pairs = pairs
        if let limitKey {
            switch limiter.admit(limitKey, level: level, event: event, now: clock()) {
            case .drop: return
            case .write(let suppressed):
                if suppressed > 0 { pairs.append(("suppressed", String(suppressed))) }
            }
        }
        var line = "time=\(UTCTime(.now()).iso8601) level=\(level.rawValue) event=\(event)"
        for (key, value) in pairs {
            line += " \(key)=\(Self.quoted(Self.cut(value)))"
        }
        sink(line)
    }

    /// Writes a summary line for each rate-limited key whose burst has ended with lines left out:
    /// `event=<its event> limit_key=<key> suppressed=N burst_ended=true`. The server calls it every second.
    /// `all` counts every burst still going too, so nothing is lost at exit.
    public func reportEndedBursts(all: Bool = false) {
        for burst in limiter.endedBursts(now: clock(), all: all) where burst.level >= minimum {
            log(
                burst.level, burst.event,
                pairs: [("limit_key", burst.key), ("suppressed", String(burst.suppressed)), ("burst_ended", "true")])
        }
    }

    public func debug(
        _ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:], limitKey: String? = nil
    ) {
        log(.debug, event, fields, limitKey: limitKey)
    }

    public func info(
        _ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:], limitKey: String? = nil
    ) {
        log(.info, event, fields, limitKey: limitKey)
    }

    public func warn(
        _ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:], limitKey: String? = nil
    ) {
        log(.warn, event, fields, limitKey: limitKey)
    }

    public func error(
        _ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:], limitKey: String? = nil
    ) {
        log(.error, event, fields, limitKey: limitKey)
    }

    /// The most bytes of one field's value that a line holds: a value a client gave (a name, a command)
    /// can be as long as a line of input, or an SSH user name of any length.
    public static let maxFieldBytes = 200

    /// `value`, or its first `maxFieldBytes` bytes (whole code points) and `...(N bytes)` with its length.
    static func cut(_ value: String) -> String {
        let length = value.utf8.count
        guard length > maxFieldBytes else { return value }
        var kept = ""
        var bytes = 0
        for scalar in value.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > maxFieldBytes { break }
            kept.unicodeScalars.append(scalar)
        }
        return kept + "...(\(length) bytes)"
    }

    /// Quotes a value with spaces, quotes or `=`; escapes anything that could forge a line. Line breaks and
    /// tabs (a PostgreSQL error has both) become spaces, other control characters U+FFFD.
    static func quoted(_ value: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            let isBreak = scalar == "\n" || scalar == "\r" || scalar == "\t"
            scalars.append(isBreak ? " " : TextSafety.isForbidden(scalar) ? "\u{FFFD}" : scalar)
        }
        let safe = String(scalars)
        let needsQuotes = safe.isEmpty || safe.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" })
        guard needsQuotes else { return safe }
        return "\"" + safe.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
            + "\""
    }
}

/// Lines for standard error, written by a queue of their own: a caller appends a line and goes on,
/// and lines that arrive together leave in one `write(2)`. A post a line costs tens of thousands of
/// system calls a second otherwise. Thread-safe: the buffer is behind a mutex.
final class LogWriter: Sendable {
    static let standardError = LogWriter(fd: 2)

    private let fd: Int32
    private let queue = DispatchQueue(label: "microblogd.log")
    private let pending = Mutex<[UInt8]>([])

    init(fd: Int32) { self.fd = fd }

    /// Beyond this much unwritten log (standard error blocked: a pipe nobody reads), lines are dropped
    /// rather than held without bound or allowed to stall the server.
    static let maxPending = 16 << 20

    func append(_ line: String) {
        let first = pending.withLock { bytes in
            let wasEmpty = bytes.isEmpty
            guard bytes.count < Self.maxPending else { return false }
            bytes += line.utf8
            bytes.append(10)
            return wasEmpty
        }
        if first { queue.async { self.writePending() } }
    }

    /// Waits until every line appended so far is written.
    func flush() {
        queue.sync { writePending() }
    }

    private func writePending() {
        let bytes = pending.withLock { bytes in
            let taken = bytes
            bytes.removeAll(keepingCapacity: true)
            return taken
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }  // nowhere to log to: drop rather than spin
            offset += written
        }
    }
}
