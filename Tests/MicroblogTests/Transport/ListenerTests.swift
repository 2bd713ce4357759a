import Dispatch
import MicroblogSupport
import MicroblogTestSupport
import Testing

@testable import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The listener's pause after a wakeup of nothing but refusals: a client that opens connections as fast
/// as it can, past its budget, costs the queue one wakeup's accepts per pause.
@Suite struct ListenerTests {
    /// A listener on an ephemeral port with `backlog` clients already connected (waiting in the kernel's
    /// backlog), and how many the listener has accepted so far.
    final class Setup: @unchecked Sendable {  // `accepted` and the listener are used on `queue` only
        let queue = DispatchQueue(label: "listener-test")
        let listener: Listener
        var accepted = 0
        var clients: [BlockingClient] = []

        init(backlog: Int, refusing: @escaping (Int) -> Bool) throws {
            listener = try Listener(host: "127.0.0.1", port: 0, queue: queue)
            let port = UInt16(listener.boundAddress.split(separator: ":").last!)!
            for _ in 0..<backlog { clients.append(try BlockingClient(port: port)) }
            listener.refusalPause = .seconds(60)
            listener.onAccept = { [unowned self] connection in
                accepted += 1
                if refusing(accepted) { listener.refuse(connection) } else { Glibc.close(connection.fd) }
            }
        }

        deinit { for client in clients { client.close() } }

        func state() -> (accepted: Int, paused: Bool) { queue.sync { (accepted, listener.paused) } }
        func stop() { queue.sync { listener.stop() } }
    }

    @Test func aWakeupOfRefusalsOnlyPausesAccepting() throws {
        let setup = try Setup(backlog: 100) { _ in true }
        setup.queue.sync { setup.listener.start() }
        #expect(waitUntil(timeout: 10) { setup.state().paused })
        // One wakeup's worth, then nothing more for the pause.
        #expect(setup.state().accepted == Listener.acceptsPerWakeup)
        setup.stop()
    }

    @Test func aWakeupWithOneConnectionTakenDoesNotPause() throws {
        // Ten waiting: one wakeup takes them all, and admits one.
        let setup = try Setup(backlog: 10) { $0 != 10 }
        setup.queue.sync { setup.listener.start() }
        #expect(waitUntil(timeout: 10) { setup.state().accepted == 10 })
        #expect(!setup.state().paused)
        setup.stop()
    }

    @Test func aShortWakeupOfRefusalsOnlyPausesToo() throws {
        // A client with a few connections at a time never fills a wakeup; it pauses accepting all the same.
        let setup = try Setup(backlog: 5) { _ in true }
        setup.queue.sync { setup.listener.start() }
        #expect(waitUntil(timeout: 10) { setup.state().paused })
        #expect(setup.state().accepted == 5)
        setup.stop()
    }

    @Test func pausingAcceptingLeavesConnectionsInTheBacklogUntilItEnds() throws {
        let setup = try Setup(backlog: 0) { _ in false }
        setup.queue.sync {
            setup.listener.start()
            // Long enough that the check below runs within it on a loaded machine.
            setup.listener.pauseAccepting(for: .seconds(5))
        }
        let port = UInt16(setup.listener.boundAddress.split(separator: ":").last!)!
        for _ in 0..<3 { setup.clients.append(try BlockingClient(port: port)) }
        #expect(setup.state() == (0, true))
        // The pause ends by itself, and the waiting connections are taken then.
        #expect(waitUntil(timeout: 10) { setup.state().accepted == 3 })
        #expect(!setup.state().paused)
        setup.stop()
    }
}
