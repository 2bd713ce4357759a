import Dispatch
import Testing

@testable import MicroblogSupport

@Suite struct QueueBoundTests {
    @Test func readsAndChangesOnItsQueue() {
        let queue = DispatchQueue(label: "test.bound")
        let bound = QueueBound([1, 2], on: queue)
        let total = queue.sync {
            bound.value.append(3)
            return bound.withValue { values in
                values.append(4)
                return values.reduce(0, +)
            }
        }
        #expect(total == 10)
        #expect(queue.sync { bound.value } == [1, 2, 3, 4])
    }

    /// Touched from another queue, it stops the process rather than race its owner: in release builds
    /// too, which is what `swift test -c release` runs.
    @Test func stopsWhenReadOffItsQueue() async {
        await #expect(processExitsWith: .failure) {
            let bound = QueueBound(0, on: DispatchQueue(label: "test.owner"))
            _ = DispatchQueue(label: "test.elsewhere").sync { bound.value }
        }
    }

    @Test func stopsWhenChangedOffItsQueue() async {
        await #expect(processExitsWith: .failure) {
            let bound = QueueBound(0, on: DispatchQueue(label: "test.owner"))
            DispatchQueue(label: "test.elsewhere").sync { bound.value += 1 }
        }
    }
}
