import Testing

@testable import MicroblogSupport

/// The flush and pump schedulers' backlog: chunks in arrival order, a block asked for when it was empty
/// and while items are left, and what was taken dropped under steady load.
@Suite struct ChunkedBacklogTests {
    @Test func chunksComeInArrivalOrderAndSayWhenMoreAreLeft() {
        var backlog = ChunkedBacklog<Int>(chunk: 4)
        let first = backlog.append(0)
        #expect(first)
        for item in 1..<10 {
            let asked = backlog.append(item)
            #expect(!asked)
        }
        var (items, more) = backlog.takeChunk()
        #expect(items == [0, 1, 2, 3] && more)
        // Arrivals while chunks are taken go to the back.
        let askedMeanwhile = backlog.append(10)
        #expect(!askedMeanwhile)
        (items, more) = backlog.takeChunk()
        #expect(items == [4, 5, 6, 7] && more)
        (items, more) = backlog.takeChunk()
        #expect(items == [8, 9, 10] && !more)
        #expect(backlog.count == 0)
        // Empty again: the next item asks for a block.
        let askedAgain = backlog.append(11)
        #expect(askedAgain)
    }

    @Test func steadyLoadDoesNotGrowTheList() {
        var backlog = ChunkedBacklog<Int>(chunk: 8)
        for item in 0..<20 { _ = backlog.append(item) }
        var longest = 0
        // Each chunk's items come back at the end, as connections sent to do while others wait.
        for _ in 0..<1000 {
            let (items, _) = backlog.takeChunk()
            for item in items { _ = backlog.append(item) }
            longest = max(longest, backlog.storedCount)
        }
        #expect(backlog.count == 20)
        #expect(longest <= 3 * 20)
    }
}
