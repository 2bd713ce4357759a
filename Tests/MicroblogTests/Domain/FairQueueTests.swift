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

@Suite("FairQueue")
struct FairQueueTests {
    /// One address with a long backlog does not keep another's single job waiting behind all of it.
    @Test func keysTakeTurnsAndEachKeepsItsOrder() {
        var queue = FairQueue<String>()
        for index in 0..<100 { queue.append("a\(index)", for: "hammer") }
        queue.append("b0", for: "person")
        queue.append("c0", for: "third")
        queue.append("b1", for: "person")
        var order: [String] = []
        while let item = queue.next() { order.append(item) }
        #expect(order.count == 103)
        #expect(Array(order.prefix(6)) == ["a0", "b0", "c0", "a1", "b1", "a2"])
        #expect(order.filter { $0.hasPrefix("a") } == (0..<100).map { "a\($0)" })
        #expect(queue.count == 0 && queue.next() == nil)
    }
}
