import Dispatch
import Testing

@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogModel
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogServer
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport

@Suite struct OwnerCallbackTests {
    @Test func runsOnItsOwnerQueue() {
        let owner = DispatchQueue(label: "test.owner")
        let called = DispatchSemaphore(value: 0)
        let callback = OwnerCallback<Int>(on: owner) { value in
            #expect(value == 7)
            called.signal()
        }
        DispatchQueue.global().async { owner.async { callback.call(7) } }
        #expect(called.wait(timeout: .now() + 10) == .success)
    }

    /// Called anywhere else, it stops the process (in release builds too) instead of racing its owner.
    @Test func stopsWhenCalledOffItsOwnerQueue() async {
        await #expect(processExitsWith: .failure) {
            let owner = DispatchQueue(label: "test.owner")
            let callback = OwnerCallback<Void>(on: owner) { _ in }
            DispatchQueue(label: "test.elsewhere").sync { callback.call(()) }
        }
    }
}
