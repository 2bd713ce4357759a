import Dispatch
import MicroblogModel
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Sending: a flush's `send` (or its io_uring submission) and what follows it, on the server queue or
/// on a flush's send thread while the server queue waits (see `FlushScheduler`).
extension Connection {
    /// What one attempt to send the pending output came to.
    enum SendOutcome {
        case drained
        case full(progressed: Bool)
        case failed
    }

    /// Sends what is buffered; called by the `FlushScheduler` at the end of a turn and by the write source.
    func flush() {
        flushScheduled = false
        guard !isClosed else { return }
        seal()
        guard !isClosed else { return }
        finishFlush(sendPending())
    }

    /// Sends as much pending output as the socket takes. It touches only this connection's buffer and
    /// descriptor, so the `FlushScheduler` may run it for different connections on several threads at
    /// once while the server queue waits for all of them (see `FlushScheduler.flushAll`).
    func sendPending() -> SendOutcome {
        var progressed = false
        while !output.isEmpty {
            var failure: Int32 = 0
            let written = output.buffer.drain { bytes in
                let result = Glibc.send(fd, bytes.baseAddress, bytes.count, SocketFlags.noSignal)
                if result < 0 {
                    failure = errno
                    return 0
                }
                return result
            }
            if written > 0 {
                progressed = true
                continue
            }
            if failure == EINTR { continue }
            if failure == EAGAIN || failure == EWOULDBLOCK || failure == 0 { return .full(progressed: progressed) }
            return .failed
        }
        return .drained
    }

    /// For a `SendRing`, on the same terms as `sendPending`: the descriptor, the bytes pending, and a copy
    /// of the first `space.count` of them.
    var socket: Int32 { fd }
    var pendingCount: Int { output.pendingBytes }
    func copyPending(into space: UnsafeMutableRawBufferPointer) {
        output.buffer.withPending { pending in
            space.copyMemory(from: UnsafeRawBufferPointer(rebasing: pending.prefix(space.count)))
        }
    }

    /// What a `SendRing`'s send of the first `length` pending bytes came to (`result`: bytes taken, or
    /// `-errno`), as `sendPending` would say it: when all of them went and more is pending (more than
    /// the ring takes per send), the rest goes by `send` calls of its own.
    func finishRingSend(result: Int, length: Int) -> SendOutcome {
        guard length > 0 else { return sendPending() }
        guard result >= 0 else {
            let code = Int32(-result)
            if code == EAGAIN || code == EWOULDBLOCK { return .full(progressed: false) }
            if code == EINTR { return sendPending() }
            return .failed
        }
        output.buffer.consume(result)
        if output.isEmpty { return .drained }
        if result < length { return .full(progressed: result > 0) }
        switch sendPending() {
        case .full: return .full(progressed: true)
        case let outcome: return outcome
        }
    }

    /// Acts on what `sendPending` did: arms the write source, closes, or reports the drain. Server queue only.
    func finishFlush(_ outcome: SendOutcome) {
        // A batch acts on its outcomes after all its sends, in order: what an earlier connection's event
        // ran (a drain that runs queued commands: /kick, /ban, ...) may have closed this one meanwhile.
        guard !isClosed else { return }
        switch outcome {
        case .full(let progressed):
            output.noteStalled(progressed: progressed)
            armWriteSource()
        case .failed:
            close(reason: .error)
        case .drained:
            disarmWriteSource()
            output.noteDrained()
            // Written to since its send (by an earlier connection's event in the same batch): not drained
            // yet. That write scheduled the next flush, which will say so.
            guard output.isEmpty && plaintext.isEmpty else { return scheduleFlush() }
            switch output.takeDrainAction() {
            case .close(let reason): close(reason: reason)
            case .reportDrained: onEvent?(.drained)
            case nil: break
            }
        }
    }

    /// Clears the flush mark as `flush` does. False when the connection must not be sent on in round
    /// `round`: it is closed, or it is already in this round (two threads must never share a connection).
    func prepareForParallelFlush(round: Int) -> Bool {
        flushScheduled = false
        guard !isClosed, parallelFlushRound != round else { return false }
        seal()
        guard !isClosed else { return false }
        parallelFlushRound = round
        return true
    }
}
