@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Synchronization
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

@Suite("Log rate limiter: a budget per key, nothing lost silently")
struct LogRateLimiterTests {
    @Test func linesOverTheBudgetAreCountedAndTheCountGoesWithTheNextLine() {
        var limiter = LogRateLimiter(budget: 3, interval: 10)
        let first = (0..<3).map { limiter.admit("accept", now: Double($0) * 0.1) }
        #expect(first == [.write(suppressed: 0), .write(suppressed: 0), .write(suppressed: 0)])
        let dropped = (3..<100).map { limiter.admit("accept", now: Double($0) * 0.1) }
        #expect(dropped.allSatisfy { $0 == .drop })
        // The next interval's first line carries the count of the 97 left out.
        #expect(limiter.admit("accept", now: 10.0) == .write(suppressed: 97))
        #expect(limiter.admit("accept", now: 10.1) == .write(suppressed: 0))
    }

    @Test func keysHaveBudgetsOfTheirOwn() {
        var limiter = LogRateLimiter(budget: 1, interval: 10)
        #expect(limiter.admit("accept", now: 0) == .write(suppressed: 0))
        #expect(limiter.admit("accept", now: 1) == .drop)
        #expect(limiter.admit("storage full post", now: 1) == .write(suppressed: 0))
        #expect(limiter.admit("storage busy post", now: 1) == .write(suppressed: 0))
    }

    @Test func anEndedBurstIsReportedOnceAndForgotten() {
        var limiter = LogRateLimiter(budget: 2, interval: 5)
        for second in 0..<10 {
            _ = limiter.admit("login_failed", level: .info, event: "login_failed", now: Double(second) * 0.1)
        }
        _ = limiter.admit("quiet", now: 0)
        #expect(limiter.endedBursts(now: 4.9).isEmpty, "the interval has not ended yet")
        let ended = limiter.endedBursts(now: 5)
        #expect(ended == [.init(key: "login_failed", level: .info, event: "login_failed", suppressed: 8)])
        #expect(limiter.endedBursts(now: 20).isEmpty, "a burst is reported once")
        #expect(limiter.windows.isEmpty, "ended intervals are forgotten, so keys do not pile up")
        // Reported in the summary, so the next line carries no count.
        #expect(limiter.admit("login_failed", now: 21) == .write(suppressed: 0))
    }

    @Test func atExitEveryBurstIsCountedEvenIfItsIntervalGoesOn() {
        var limiter = LogRateLimiter(budget: 1, interval: 10)
        for _ in 0..<4 { _ = limiter.admit("storage full post", level: .error, event: "storage", now: 0) }
        #expect(limiter.endedBursts(now: 1).isEmpty)
        #expect(
            limiter.endedBursts(now: 1, all: true) == [
                .init(key: "storage full post", level: .error, event: "storage", suppressed: 3)
            ])
    }

    @Test func theLoggerWritesTheCountAndTheSummary() {
        let lines = Mutex<[String]>([])
        let now = Mutex<Double>(0)
        let log = Logger(
            minimum: .info, limiter: LogRateLimiter(budget: 2, interval: 10), clock: { now.withLock { $0 } },
            sink: { line in lines.withLock { $0.append(line) } })
        for _ in 0..<50 { log.error("accept", ["error": "accept: Too many open files"], limitKey: "accept") }
        log.info("connect", ["conn": 1])  // not limited
        #expect(lines.withLock { $0.filter { $0.contains("event=accept") }.count } == 2)
        now.withLock { $0 = 11 }
        log.reportEndedBursts()
        let summary = lines.withLock { $0.last } ?? ""
        #expect(
            summary.contains("level=error event=accept limit_key=accept suppressed=48 burst_ended=true"), "\(summary)")

        for _ in 0..<3 { log.error("accept", ["error": "again"], limitKey: "accept") }
        now.withLock { $0 = 22 }
        log.error("accept", ["error": "once more"], limitKey: "accept")
        let carried = lines.withLock { $0.last } ?? ""
        #expect(carried.contains("error=\"once more\" suppressed=1"), "\(carried)")
    }
}
