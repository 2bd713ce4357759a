import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// Counts over the last minute, in one-second slots keyed by monotonic second: what was added in the
/// last 60 seconds (the current second included). A value, owned by `Metrics`.
struct MinuteWindow {
    static let seconds = 60
    private var slots = [Int](repeating: 0, count: MinuteWindow.seconds)
    private var newestSecond: Int?

    mutating func add(_ count: Int, at now: Double) {
        let second = Int(now)
        advance(to: second)
        slots[second % Self.seconds] += count
    }

    mutating func total(at now: Double) -> Int {
        advance(to: Int(now))
        return slots.reduce(0, +)
    }

    /// Clears the slots of the seconds between the newest one written and `second`.
    private mutating func advance(to second: Int) {
        guard let newest = newestSecond else {
            newestSecond = second
            return
        }
        guard second > newest else { return }
        if second - newest >= Self.seconds {
            for index in slots.indices { slots[index] = 0 }
        } else {
            for past in (newest + 1)...second { slots[past % Self.seconds] = 0 }
        }
        newestSecond = second
    }
}

/// Durations of the last minute's events (commits), for percentiles. Keeps at most `capacity`, the
/// newest. A value, owned by `Metrics`.
struct LatencyWindow {
    static let capacity = 65_536
    private var samples: [(at: Double, seconds: Double)] = []
    private var start = 0

    mutating func add(_ seconds: Double, at now: Double) {
        samples.append((now, seconds))
        if samples.count - start > Self.capacity { start += 1 }
        prune(now: now)
    }

    /// The `fraction` percentile (0.5, 0.99) of the last minute's durations, in seconds; nil if none.
    mutating func percentiles(_ fractions: [Double], now: Double) -> [Double?] {
        prune(now: now)
        let sorted = samples[start...].map(\.seconds).sorted()
        return fractions.map { fraction in
            guard !sorted.isEmpty else { return nil }
            return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
        }
    }

    mutating func count(now: Double) -> Int {
        prune(now: now)
        return samples.count - start
    }

    private mutating func prune(now: Double) {
        while start < samples.count, now - samples[start].at > Double(MinuteWindow.seconds) { start += 1 }
        if start > 4096 && start > samples.count / 2 {
            samples.removeFirst(start)
            start = 0
        }
    }
}

/// The server's running figures for `/stats` and the periodic stats line. Confined to the server queue.
public final class Metrics {
    let startedAt: Double
    private(set) var peakConnections = 0
    /// Connections closed, by reason (`CloseReason` raw values), and connections refused at a limit.
    private(set) var disconnects: [String: Int] = [:]
    private(set) var refused = 0
    private var committedPosts = MinuteWindow()
    private var deliveries = MinuteWindow()
    private var commitTimes = LatencyWindow()
    /// Live deliveries and drops counted so far by the hub; sampled once a second into `deliveries`.
    private var deliveriesSampled = 0

    init(now: Double) { startedAt = now }

    public func connected(count: Int) { peakConnections = max(peakConnections, count) }

    public func disconnected(_ reason: CloseReason) { disconnects[reason.rawValue, default: 0] += 1 }

    public func refusedConnection() { refused += 1 }

    /// Storage faults logged (`event=storage`) since the start.
    private(set) var storageFaults = 0

    func storageFault() { storageFaults += 1 }

    func committed(posts: Int, seconds: Double, now: Double) {
        committedPosts.add(posts, at: now)
        commitTimes.add(seconds, at: now)
    }

    /// Takes the hub's running total of deliveries into the minute window (called about once a second).
    func sample(deliveredTotal: Int, now: Double) {
        deliveries.add(deliveredTotal - deliveriesSampled, at: now)
        deliveriesSampled = deliveredTotal
    }

    func postsLastMinute(now: Double) -> Int { committedPosts.total(at: now) }

    /// Live deliveries a second, averaged over the last minute (or the uptime, if shorter).
    func deliveriesPerSecond(now: Double) -> Double {
        let span = min(Double(MinuteWindow.seconds), max(1, now - startedAt))
        return Double(deliveries.total(at: now)) / span
    }

    func commitMilliseconds(now: Double) -> (p50: Double?, p99: Double?, count: Int) {
        let values = commitTimes.percentiles([0.5, 0.99], now: now)
        return (values[0].map { $0 * 1000 }, values[1].map { $0 * 1000 }, commitTimes.count(now: now))
    }
}

/// What only the transport and the process know, for `/stats`: handed to the domain by the server.
public struct ProcessFigures: Sendable, Equatable {
    public var connections = 0
    public var residentBytes: Int?
    public var openFiles: Int?
    public var openFilesLimit: Int?
    public var databaseBytes: Int?
    public var walBytes: Int?

    public init() {}
}
