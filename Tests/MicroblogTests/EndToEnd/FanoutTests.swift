import Foundation
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

@Suite("End to end: a post to many watchers, sent on several threads")
struct FanoutTests {
    @Test func slicesCoverEveryIndexOnce() {
        for count in [0, 1, 5, 128, 1000, 1001] {
            for chunks in 1...5 {
                let ranges = (0..<chunks).map { FlushScheduler.slice($0, of: chunks, count: count) }
                #expect(ranges.flatMap { Array($0) } == Array(0..<count), "count \(count), chunks \(chunks)")
            }
        }
    }

    /// More watchers than `FlushScheduler.defaultParallelThreshold`, so the sends run on several threads;
    /// every watcher gets every post, whole and in order, and the server stays consistent afterwards.
    @Test func everyWatcherGetsEveryPostInOrder() throws {
        let server = try TestServer {
            $0.sendThreads = 4
            $0.settings.postRate = 0
            $0.settings.maxConnectionsPerIP = 0
        }
        let watcherCount = FlushScheduler.defaultParallelThreshold + 72
        var watchers: [TestClient] = []
        for _ in 0..<watcherCount { watchers.append(try server.greetedClient()) }
        try server.waitFor("every watcher subscribed") { $0.watching >= watcherCount }
        let alice = try server.registeredClient("alice")
        let posts = 20
        for number in 1...posts { alice.send("post \(number) to everyone") }
        for _ in 1...posts { try alice.readUntil { $0.hasPrefix("* posted #") } }
        for (index, watcher) in watchers.enumerated() {
            for number in 1...posts {
                let line = try watcher.readLine()
                #expect(line.hasSuffix(" alice: post \(number) to everyone"), "watcher \(index): \(line)")
            }
        }
        // Half the watchers leave; the rest still get the next post, and the server counts them right.
        for watcher in watchers[..<(watcherCount / 2)] { watcher.send("/quit") }
        // alice watches too.
        try server.waitFor("the leavers gone") { $0.watching == watcherCount - watcherCount / 2 + 1 }
        alice.send("after the leavers")
        try alice.readUntil { $0.hasPrefix("* posted #") }
        for watcher in watchers[(watcherCount / 2)...] {
            #expect(try watcher.readLine().hasSuffix(" alice: after the leavers"))
        }
    }
}
