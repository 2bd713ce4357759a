@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

@Suite("Metrics: the minute and latency windows")
struct MetricsTests {
    @Test func theMinuteWindowForgetsWhatIsOlderThanAMinute() {
        var window = MinuteWindow()
        window.add(5, at: 1000.2)
        window.add(7, at: 1030.9)
        #expect(window.total(at: 1031) == 12)
        #expect(window.total(at: 1059.9) == 12)
        #expect(window.total(at: 1060.0) == 7)
        #expect(window.total(at: 1091) == 0)
        window.add(1, at: 5000)
        #expect(window.total(at: 5000) == 1)
    }

    @Test func countsInOneSecondAddUp() {
        var window = MinuteWindow()
        window.add(1, at: 10.0)
        window.add(2, at: 10.5)
        window.add(3, at: 10.99)
        #expect(window.total(at: 10.99) == 6)
        #expect(window.total(at: 11) == 6)
    }

    @Test func aSecondsSlotIsClearedBeforeItIsReusedAMinuteLater() {
        var window = MinuteWindow()
        window.add(5, at: 10)
        window.add(1, at: 40)
        #expect(window.total(at: 69.9) == 6)
        // Second 70 shares second 10's slot: the old count must not be added to the new one.
        window.add(2, at: 70)
        #expect(window.total(at: 70) == 3)
        #expect(window.total(at: 100) == 2)
    }

    @Test func anEmptyWindowCountsNothing() {
        var window = MinuteWindow()
        #expect(window.total(at: 0) == 0)
        #expect(window.total(at: 12_345) == 0)
    }

    @Test func latencyPercentilesCoverTheLastMinute() {
        var window = LatencyWindow()
        for index in 1...100 { window.add(Double(index) / 1000, at: 10) }
        let values = window.percentiles([0.5, 0.99], now: 10)
        #expect(values[0] == 0.051 && values[1] == 0.1)
        #expect(window.count(now: 69) == 100)
        #expect(window.count(now: 71) == 0)
        #expect(window.percentiles([0.5], now: 71) == [nil])
    }
}
