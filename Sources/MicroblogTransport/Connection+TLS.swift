import Dispatch
import MicroblogModel
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Reading through TLS: the handshake handed to the handshake pool, then decrypting what arrives.
extension Connection {
    /// Runs one step of the handshake with what has been fed on the `handshakes` pool, with reading held
    /// meanwhile, so the server queue never does a key exchange or signs: the step that answers a
    /// ClientHello costs about a millisecond, and a client can start one for every connection it opens.
    /// The filter is handed to the pool's thread and back: nothing on the server queue touches it while
    /// the step runs (reading is held, nothing is written before the handshake, and `close` leaves it).
    func handshakeElsewhere(_ tls: TLSFilter, on handshakes: FairPool, buffer: ReadBuffer) {
        handshakeInFlight = true
        updateReadSource()
        let handOff = HandOff(tls)
        handshakes.submit(
            for: peerHost,
            {
                let step = handOff.value.handshake()
                return HandOff((step, handOff.value.takeCiphertext()))
            },
            completion: { [self] (result: HandOff<(TLSFilter.Step, [UInt8])>) in
                handshakeInFlight = false
                guard !isClosed else { return }
                let (step, ciphertext) = result.value
                queueOutput(ciphertext)
                handshakeStepped(tls, step, buffer: buffer)
                updateReadSource()
                // What came meanwhile, a reset included: Dispatch reports a reset once, and it may have
                // come while the source was held.
                if !output.readPaused && !handshakeInFlight { readAvailable(into: buffer) }
            })
    }

    /// Advances the handshake, then hands the plaintext to `onEvent`; sends what TLS has to say.
    func decrypt(_ tls: TLSFilter, into buffer: ReadBuffer) {
        if !tls.isEstablished {
            let step = tls.handshake()
            queueOutput(tls.takeCiphertext())
            return handshakeStepped(tls, step, buffer: buffer)
        }
        readEstablished(tls, into: buffer)
    }

    /// After a handshake step: reports its end and reads what came with it, or fails.
    func handshakeStepped(_ tls: TLSFilter, _ step: TLSFilter.Step, buffer: ReadBuffer) {
        if case .established = step {
            let handler = onHandshake
            onHandshake = nil
            handler?()
        }
        guard !isClosed else { return }
        if tls.isEstablished { return readEstablished(tls, into: buffer) }
        ended(by: step)
    }

    /// Hands the plaintext available to `onEvent`; sends what TLS has to say.
    func readEstablished(_ tls: TLSFilter, into buffer: ReadBuffer) {
        var step = TLSFilter.Step.wantMore
        if !isClosed {
            step = buffer.bytes.withUnsafeMutableBytes { raw in
                // All of it, even if the session pauses reading: what one read brings in is bounded by
                // the read buffer, as on the plain door, and plaintext left inside OpenSSL would not
                // wake the read source again.
                tls.readPlaintext(into: raw) { [self] plaintext in
                    onEvent?(.input(plaintext))
                    return !isClosed
                }
            }
            if !isClosed { queueOutput(tls.takeCiphertext()) }
        }
        guard !isClosed else { return }
        ended(by: step)
    }

    /// Acts on a step that ends the stream: a TLS failure, or the peer's close_notify.
    func ended(by step: TLSFilter.Step) {
        switch step {
        case .failed(let reason):
            failTLS(reason)
        case .closedByPeer:
            endOfInput()
        case .wantMore, .established:
            break
        }
    }

    /// Ends the connection after a TLS error: the alert OpenSSL wrote tells the client why, so it is
    /// sent before closing (for at most a second); nothing more is read, encrypted or reported.
    func failTLS(_ reason: String) {
        guard !tlsFailed else { return }
        tlsFailed = true
        let handler = onTLSFailure
        onTLSFailure = nil
        queueOutput(tls?.takeCiphertext() ?? [])
        closeAfterFlush(reason: .error, deadline: .seconds(1))
        handler?(reason)
    }

    /// Answers a client on the TLS port that plainly speaks no TLS (someone typing in telnet or nc, an HTTP
    /// request) with one line in clear, which says how to connect, then closes, as nginx answers plain HTTP
    /// on its HTTPS port. Reported as a failed handshake; a TLS client never gets here (`isPlainText`).
    func answerInPlainText(_ answer: (String) -> [UInt8]) {
        tlsFailed = true
        let handler = onTLSFailure
        onTLSFailure = nil
        queueOutput(answer(SocketAddress.local(fd)))
        closeAfterFlush(reason: .error, deadline: .seconds(1))
        handler?("plain text, not TLS (answered in plain text)")
    }
}
