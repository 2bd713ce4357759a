import COpenSSL
import MicroblogTestSupport
import Testing

@testable import MicroblogTransport

/// `TLSFilter` against an OpenSSL client in the same process, the ciphertext carried by hand between
/// them: no socket, no other program.
@Suite struct TLSFilterTests {
    @Test func drainedBuffersAreFreedAndTheStreamStillWorks() throws {
        let files = try TLSFiles()
        let filter = try TLSFilter(context: TLSContext(certificatePath: files.certificate, keyPath: files.key))
        let client = try InMemoryTLSClient()
        try client.handshake(with: filter)
        #expect(filter.bufferCapacity == 0, "the ClientHello and the server's flight are not kept")

        // Client to server, more than one record, the ciphertext fed in two pieces that split a record.
        let upward = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let ciphertext = client.encrypt(upward)
        var received: [UInt8] = []
        for piece in [ciphertext[..<(ciphertext.count / 2)], ciphertext[(ciphertext.count / 2)...]] {
            Array(piece).withUnsafeBytes { filter.feed($0) }
            #expect(filter.readPlaintext(received: &received) == .wantMore)
            #expect(filter.bufferCapacity == 0, "what was fed is freed once OpenSSL has it")
        }
        #expect(received == upward)

        // Server to client, likewise.
        let downward = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(filter.encrypt(downward))
        client.receive(filter.takeCiphertext())
        #expect(filter.bufferCapacity == 0, "what was taken out is freed")
        #expect(client.readAll() == downward)
        #expect(filter.takeCiphertext().isEmpty, "taken once")

        // Two writes before one take: their records follow each other in what is taken.
        #expect(filter.encrypt(Array("first\r\n".utf8)))
        #expect(filter.encrypt(Array("second\r\n".utf8)))
        client.receive(filter.takeCiphertext())
        #expect(filter.bufferCapacity == 0)
        #expect(client.readAll() == Array("first\r\nsecond\r\n".utf8))

        // Both ends of the stream: close_notify each way.
        filter.shutdown()
        client.receive(filter.takeCiphertext())
        #expect(client.sawCloseNotify())
        client.closeNotify().withUnsafeBytes { filter.feed($0) }
        var none: [UInt8] = []
        #expect(filter.readPlaintext(received: &none) == .closedByPeer)
        #expect(filter.bufferCapacity == 0)
    }
}

extension TLSFilter {
    /// Reads all the plaintext available, appending it to `received`.
    fileprivate func readPlaintext(received: inout [UInt8]) -> Step {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var collected: [UInt8] = []
        let step = buffer.withUnsafeMutableBytes { raw in
            readPlaintext(into: raw) { piece in
                collected.append(contentsOf: piece)
                return true
            }
        }
        received += collected
        return step
    }
}

/// An OpenSSL client whose ciphertext goes through two memory BIOs, for driving a `TLSFilter` by hand.
/// Verifies nothing about the server's certificate (the tests' are throw-away ones).
private final class InMemoryTLSClient {
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    private let input: OpaquePointer
    private let output: OpaquePointer

    init() throws {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TestFailure("SSL_CTX_new failed") }
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        guard let ssl = SSL_new(context), let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem())
        else {
            SSL_CTX_free(context)
            throw TestFailure("SSL_new or BIO_new failed")
        }
        SSL_set_bio(ssl, input, output)
        SSL_set_connect_state(ssl)
        (self.context, self.ssl, self.input, self.output) = (context, ssl, input, output)
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Runs the handshake with `filter` (on this thread), then lets `filter` read what came with its end,
    /// as `Connection` does, and takes the session tickets it sent.
    func handshake(with filter: TLSFilter) throws {
        for _ in 0..<10 where !(filter.isEstablished && SSL_is_init_finished(ssl) == 1) {
            _ = SSL_do_handshake(ssl)
            send().withUnsafeBytes { filter.feed($0) }
            switch filter.handshake() {
            case .failed(let reason): throw TestFailure("handshake failed: \(reason)")
            default: break
            }
            if filter.isEstablished {
                var none: [UInt8] = []
                _ = filter.readPlaintext(received: &none)
            }
            receive(filter.takeCiphertext())
        }
        guard filter.isEstablished, SSL_is_init_finished(ssl) == 1 else {
            throw TestFailure("the handshake did not finish")
        }
        _ = readAll()  // the session tickets
    }

    func encrypt(_ plaintext: [UInt8]) -> [UInt8] {
        _ = plaintext.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        return send()
    }

    func closeNotify() -> [UInt8] {
        _ = SSL_shutdown(ssl)
        return send()
    }

    func receive(_ ciphertext: [UInt8]) {
        _ = ciphertext.withUnsafeBytes { BIO_write(input, $0.baseAddress, Int32($0.count)) }
    }

    /// The plaintext that has arrived.
    func readAll() -> [UInt8] {
        var plaintext: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            guard count > 0 else { return plaintext }
            plaintext += buffer[..<Int(count)]
        }
    }

    func sawCloseNotify() -> Bool {
        var byte: UInt8 = 0
        return SSL_get_error(ssl, SSL_read(ssl, &byte, 1)) == SSL_ERROR_ZERO_RETURN
    }

    /// What the client has written, taken out.
    private func send() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(output))
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { BIO_read(output, $0.baseAddress, Int32($0.count)) }
        return Array(bytes[..<max(0, Int(read))])
    }
}
