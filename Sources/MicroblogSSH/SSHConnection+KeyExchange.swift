import CLibSSH
import MicroblogSupport

/// Where an SSH connection's key exchange stands. Confined to the server queue, as its `SSHConnection`.
struct SSHKeyExchangeState {
    /// True once the keys are exchanged: messages flow.
    var done = false
    /// The event that polls the session for messages, made once the keys are exchanged.
    var event: ssh_event?
    /// A key-exchange step runs on the connection's `handshakes` pool: the session is that thread's until
    /// it returns, so both sources are held and a release waits for it (`releaseWhenReturned`).
    var inFlight = false
    var releaseWhenReturned = false
}

/// The key exchange, on the server queue or handed off to the handshake pool a step at a time.
extension SSHConnection {
    /// Runs one step of the key exchange on `handshakes`, with both sources held meanwhile; then goes on
    /// here. The session is handed to the pool's thread and back, and nothing here touches it meanwhile.
    func exchangeKeysElsewhere(on handshakes: FairPool) {
        keyExchange.inFlight = true
        updateReading()
        setWriting(false)
        let handOff = HandOff(session)
        handshakes.submit(
            for: peerHost, { HandOff(ssh_handle_key_exchange(handOff.value)) },
            completion: { [self] (result: HandOff<Int32>) in
                keyExchange.inFlight = false
                if keyExchange.releaseWhenReturned { return release() }
                guard !finished else { return }
                updateReading()
                if keyExchangeStepped(result.value) { step() }
            })
    }

    /// After a step of the key exchange: true once the keys are exchanged (the turn goes on), false while
    /// it waits for the client or after it failed (the connection is then finished).
    func keyExchangeStepped(_ result: Int32) -> Bool {
        if result == SSH_AGAIN {
            updateWriteInterest()
            return false
        }
        guard result == SSH_OK else {
            log.info(
                "ssh_handshake_failed", ["conn": id, "peer": peer, "reason": errorText()],
                limitKey: "ssh_handshake_failed")
            finish()
            return false
        }
        keyExchange.done = true
        keyExchange.event = ssh_event_new()
        ssh_event_add_session(keyExchange.event, session)
        return true
    }
}
