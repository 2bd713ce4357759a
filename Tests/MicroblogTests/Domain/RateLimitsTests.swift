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

@Suite("TokenBucket: a rate with a burst, on the caller's clock")
struct TokenBucketTests {
    @Test func aFullBucketGivesItsBurstThenSaysHowLongToWait() {
        var bucket = TokenBucket(rate: 2, burst: 3, now: 100)
        #expect(bucket.take(now: 100) == nil)
        #expect(bucket.take(now: 100) == nil)
        #expect(bucket.take(now: 100) == nil)
        // Empty: one token comes back after 1 / rate seconds.
        #expect(bucket.take(now: 100) == 0.5)
        #expect(bucket.take(now: 100.25) == 0.25)
        #expect(bucket.take(now: 100.5) == nil)
        #expect(bucket.take(now: 100.5) == 0.5)
    }

    @Test func refillingStopsAtTheBurst() {
        var bucket = TokenBucket(rate: 10, burst: 2, now: 0)
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == nil)
        // An hour idle refills two tokens, not 36,000.
        #expect(bucket.take(now: 3600) == nil)
        #expect(bucket.take(now: 3600) == nil)
        #expect(bucket.take(now: 3600) != nil)
    }

    @Test func aRateOfZeroIsUnlimited() {
        var bucket = TokenBucket(rate: 0, burst: 1, now: 0)
        #expect(bucket.isUnlimited)
        for _ in 0..<1000 { #expect(bucket.take(now: 0) == nil) }
        #expect(bucket.isFull(now: 0))
    }

    @Test func theBurstIsAtLeastOne() {
        var bucket = TokenBucket(rate: 1, burst: 0, now: 0)
        #expect(bucket.burst == 1)
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == 1)
    }

    @Test func hasTokenTakesNothing() {
        var bucket = TokenBucket(rate: 1, burst: 1, now: 0)
        #expect(bucket.hasToken(now: 0))
        #expect(bucket.hasToken(now: 0))
        #expect(bucket.take(now: 0) == nil)
        #expect(!bucket.hasToken(now: 0.5))
        #expect(bucket.hasToken(now: 1))
    }

    @Test func isFullOnlyOnceEveryTokenIsBack() {
        var bucket = TokenBucket(rate: 1, burst: 3, now: 0)
        #expect(bucket.isFull(now: 0))
        #expect(bucket.take(now: 0) == nil)
        #expect(bucket.take(now: 0) == nil)
        #expect(!bucket.isFull(now: 1.5))
        #expect(bucket.isFull(now: 2))
    }

    @Test func timeGoingBackwardsAddsNoTokens() {
        var bucket = TokenBucket(rate: 1, burst: 1, now: 10)
        #expect(bucket.take(now: 10) == nil)
        #expect(bucket.take(now: 5) != nil)
        #expect(bucket.take(now: 10.5) == 0.5)
    }
}

@Suite("LoginThrottle: failed logins wait longer and longer")
struct LoginThrottleTests {
    @Test func theFreeFailuresCostNothingThenTheWaitDoubles() {
        var throttle = LoginThrottle()
        throttle.freeFailures = 3
        throttle.maxDelay = 300
        throttle.recordFailure(["alice"], now: 0)
        throttle.recordFailure(["alice"], now: 0)
        #expect(throttle.wait(for: ["alice"], now: 0) == nil)
        throttle.recordFailure(["alice"], now: 0)
        #expect(throttle.wait(for: ["alice"], now: 0) == 1)
        throttle.recordFailure(["alice"], now: 1)
        #expect(throttle.wait(for: ["alice"], now: 1) == 2)
        throttle.recordFailure(["alice"], now: 3)
        #expect(throttle.wait(for: ["alice"], now: 3) == 4)
        #expect(throttle.wait(for: ["alice"], now: 6) == 1)
        #expect(throttle.wait(for: ["alice"], now: 7) == nil)
    }

    @Test func theWaitIsCappedAtTheMaximum() {
        var throttle = LoginThrottle()
        throttle.maxDelay = 60
        var now = 0.0
        for _ in 0..<40 {
            throttle.recordFailure(["bob"], now: now)
            now += 1
        }
        let wait = throttle.wait(for: ["bob"], now: now - 1)
        #expect(wait == 60)
    }

    @Test func theLongestWaitOfTheKeysCounts() {
        var throttle = LoginThrottle()
        throttle.freeFailures = 1
        throttle.recordFailure(["account", "address"], now: 0)
        throttle.recordFailure(["address"], now: 0)
        throttle.recordFailure(["address"], now: 0)
        #expect(throttle.wait(for: ["account"], now: 0) == 1)
        #expect(throttle.wait(for: ["address"], now: 0) == 4)
        #expect(throttle.wait(for: ["account", "address"], now: 0) == 4)
        #expect(throttle.wait(for: ["someone else"], now: 0) == nil)
    }

    @Test func aSuccessClearsOnlyItsKey() {
        var throttle = LoginThrottle()
        throttle.freeFailures = 1
        throttle.recordFailure(["alice", "10.0.0.1"], now: 0)
        throttle.recordSuccess("alice")
        #expect(throttle.wait(for: ["alice"], now: 0) == nil)
        #expect(throttle.wait(for: ["10.0.0.1"], now: 0) == 1)
        #expect(throttle.count == 1)
    }

    @Test func failuresAreForgottenAfterAQuietSpell() {
        var throttle = LoginThrottle()
        throttle.freeFailures = 2
        throttle.forgetAfter = 900
        throttle.recordFailure(["carol"], now: 0)
        // Long after the first failure, the count starts again: this one is free.
        throttle.recordFailure(["carol"], now: 901)
        #expect(throttle.wait(for: ["carol"], now: 901) == nil)
        throttle.recordFailure(["carol"], now: 902)
        #expect(throttle.wait(for: ["carol"], now: 902) == 1)
    }

    @Test func pruningDropsOnlyEntriesThatNoLongerMatter() {
        var throttle = LoginThrottle()
        throttle.freeFailures = 1
        throttle.maxDelay = 300
        throttle.forgetAfter = 100
        throttle.recordFailure(["old"], now: 0)
        for _ in 0..<10 { throttle.recordFailure(["waiting"], now: 0) }
        throttle.recordFailure(["recent"], now: 150)
        throttle.prune(now: 200)
        // "old" is quiet and free to try; "waiting" must still wait (until 300); "recent" is recent.
        #expect(throttle.count == 2)
        #expect(throttle.wait(for: ["waiting"], now: 200) == 100)
        throttle.prune(now: 400)
        #expect(throttle.count == 0)
    }
}
