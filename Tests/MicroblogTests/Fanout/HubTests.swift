import Dispatch
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

/// Records what a hub hands it. Used on one queue at a time.
private final class Recorder: LiveSubscriber {
    var received: [String] = []
    func receiveLive(_ event: EncodedEvent) -> LiveOutcome {
        if case .notice(let text) = event.message { received.append(text) }
        return .delivered
    }
}

@Suite("Hub: who receives a broadcast, and when")
struct HubTests {
    private func event(_ text: String) -> EncodedEvent { EncodedEvent(.notice(text), at: .now()) }

    @Test func withoutAQueueDeliveryIsImmediateAndSkipsTheExcluded() {
        let hub = Hub()
        let author = Recorder()
        let reader = Recorder()
        hub.add(author)
        hub.add(reader)
        hub.broadcast(event("one"), excluding: author)
        #expect(reader.received == ["one"])
        #expect(author.received.isEmpty)
        hub.remove(reader)
        hub.broadcast(event("two"))
        #expect(reader.received == ["one"])
        #expect(author.received == ["two"])
    }

    @Test func withAQueueATurnsBroadcastsArriveTogetherInOrder() {
        let queue = DispatchQueue(label: "hub-test")
        let hub = Hub(queue: queue)
        let first = Recorder()
        let second = Recorder()
        let late = Recorder()
        let gone = Recorder()
        var duringTurn: [String] = ["unset"]
        queue.sync {
            for subscriber in [first, second, gone] { hub.add(subscriber) }
            hub.broadcast(event("a"), excluding: first)
            hub.broadcast(event("b"))
            hub.broadcast(event("c"), excluding: second)
            // Nothing has arrived yet: delivery waits for the end of this turn.
            duringTurn = first.received + second.received
            // Whoever is subscribed at delivery receives it.
            hub.add(late)
            hub.remove(gone)
        }
        queue.sync {}
        #expect(duringTurn.isEmpty)
        #expect(first.received == ["b", "c"])
        #expect(second.received == ["a", "b"])
        #expect(late.received == ["a", "b", "c"])
        #expect(gone.received.isEmpty)
        // Counted: a, b, c to late; b, c to first; a, b to second.
        #expect(queue.sync { hub.delivered } == 7)
    }

    @Test func aBroadcastDuringDeliveryIsDeliveredInTheNextBlock() {
        let queue = DispatchQueue(label: "hub-test-nested")
        let hub = Hub(queue: queue)
        final class Echo: LiveSubscriber {
            let hub: Hub
            var received: [String] = []
            init(hub: Hub) { self.hub = hub }
            func receiveLive(_ event: EncodedEvent) -> LiveOutcome {
                guard case .notice(let text) = event.message else { return .skipped }
                received.append(text)
                if text == "ping" { hub.broadcast(EncodedEvent(.notice("pong"), at: .now())) }
                return .delivered
            }
        }
        let echo = Echo(hub: hub)
        queue.sync {
            hub.add(echo)
            hub.broadcast(event("ping"))
        }
        queue.sync {}
        queue.sync {}
        #expect(echo.received == ["ping", "pong"])
    }

    @Test func postFactsCarryWhatFiltersNeed() throws {
        let original = PostReference(id: 3, author: "carol", authorID: 9)
        let post = Post(
            id: 7, authorID: 2, author: "bob", text: "hi @alice #swift", createdAt: .now(), mentionIDs: [1],
            mentions: ["alice"], tags: ["swift"], repostOf: original)
        let event = EncodedEvent(.post(post, live: true), at: .now())
        let facts = try #require(event.facts)
        #expect(facts.id == 7 && facts.authorID == 2 && facts.originalAuthorID == 9)
        #expect(facts.mentionIDs == [1] && facts.tags == ["swift"])
        #expect(EncodedEvent(.notice("x"), at: .now()).facts == nil)
    }

    /// The newest posts walked, for greetings: unknown until seeded, kept as posts are walked, forgotten
    /// when one of them is deleted, and a seed read before a walk is not taken.
    @Test func theNewestPostsWalkedAreRememberedForGreetings() {
        let hub = Hub()
        hub.recentCapacity = 2
        func post(_ id: Int64) -> Post {
            Post(id: id, authorID: 1, author: "ann", text: "post \(id)", createdAt: .now())
        }
        func broadcast(_ id: Int64) { hub.broadcast(EncodedEvent(.post(post(id), live: true), at: .now())) }
        #expect(hub.recentPosts == nil)
        // A read made before a walk is stale: not taken.
        let before = hub.recentGeneration
        broadcast(1)
        hub.seedRecent([post(1)], generation: before)
        #expect(hub.recentPosts == nil)
        hub.seedRecent([post(1)], generation: hub.recentGeneration)
        #expect(hub.recentPosts?.map(\.id) == [1])
        broadcast(2)
        broadcast(3)
        #expect(hub.recentPosts?.map(\.id) == [2, 3])
        // Out of id order (another node's, late): forgotten, to be read again.
        broadcast(2)
        #expect(hub.recentPosts == nil)
        hub.seedRecent([post(2), post(3)], generation: hub.recentGeneration)
        hub.broadcast(EncodedEvent(.deleted(ids: [9]), at: .now()))
        #expect(hub.recentPosts?.map(\.id) == [2, 3])
        hub.broadcast(EncodedEvent(.deleted(ids: [3]), at: .now()))
        #expect(hub.recentPosts == nil)
        hub.seedRecent([post(2)], generation: hub.recentGeneration)
        hub.forgetRecent()
        #expect(hub.recentPosts == nil)
    }
}
