import COpenSSL
import MicroblogModel
import MicroblogSupport

/// TLS on one connection: an OpenSSL `SSL` between a memory BIO (input) and a `CiphertextSink` (output),
/// so OpenSSL never touches the socket. Ciphertext read from the socket is fed in (`feed`), the handshake
/// advanced (`handshake`), plaintext read out (`readPlaintext`); plaintext to send is encrypted at once
/// (`encrypt`), and the ciphertext it and the handshake produce is taken out (`takeCiphertext`), as the
/// array OpenSSL's writes were appended to, for the connection's own output buffer, so sending,
/// back-pressure and limits stay the connection's. The input BIO's buffer is freed as soon as it is
/// drained (`releaseIfDrained`) and the sink gives its array away, so an idle session holds neither, as
/// OpenSSL's own record buffers are released between records (`SSL_MODE_RELEASE_BUFFERS`).
/// Confined to the server queue, like its `Connection`. Frees the `SSL` (and both BIOs) when released.
public final class TLSFilter {
    enum Step: Equatable, Sendable {
        /// Done for now: more ciphertext is needed.
        case wantMore
        /// The handshake has completed (reported once).
        case established
        /// The peer sent close_notify: no more plaintext will come.
        case closedByPeer
        /// A protocol error, with OpenSSL's reason; the connection must be closed.
        case failed(String)
    }

    private let ssl: OpaquePointer
    private let input: OpaquePointer
    /// Where OpenSSL's writes go; the `SSL` owns the BIO in front of it, this filter the sink itself.
    private let output: CiphertextSink
    private(set) var isEstablished = false
    /// False until the first ciphertext is fed: the first byte says whether the client speaks TLS at all.
    private(set) var hasInput = false
    /// What a client whose first byte is plainly not TLS (`isPlainText`) is told in clear, given the address
    /// it connected to (`127.0.0.1:4243`), before it is closed; nil: it just fails the handshake.
    let plainTextAnswer: ((String) -> [UInt8])?

    public init(context: TLSContext, plainTextAnswer: ((String) -> [UInt8])? = nil) throws(TLSError) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.context) else {
            throw TLSError("cannot create a TLS connection: \(OpenSSLErrors.drain())")
        }
        let output = CiphertextSink()
        guard let input = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError("cannot create TLS buffers: \(OpenSSLErrors.drain())")
        }
        guard let outputBIO = output.makeBIO() else {
            BIO_free(input)
            SSL_free(ssl)
            throw TLSError("cannot create the TLS output: OpenSSL could not make its BIO (\(OpenSSLErrors.drain()))")
        }
        SSL_set_bio(ssl, input, outputBIO)  // the SSL owns both BIOs from here on
        SSL_set_accept_state(ssl)
        self.ssl = ssl
        self.input = input
        self.output = output
        self.plainTextAnswer = plainTextAnswer
    }

    deinit { SSL_free(ssl) }

    /// True when `firstByte`, the first a client sent, cannot begin TLS: every TLS client starts with a
    /// handshake record, content type 22 (0x16), while a person typing, an HTTP request or a PROXY header
    /// starts with printable ASCII (or a line end, or a tab), and a telnet client's negotiation with IAC
    /// (255). Other bytes are left to OpenSSL, which fails them with an alert, as a TLS client expects.
    static func isPlainText(firstByte: UInt8) -> Bool {
        (0x20...0x7E).contains(firstByte) || firstByte == 0x09 || firstByte == 0x0A || firstByte == 0x0D
            || firstByte == 0xFF
    }

    /// Hands ciphertext from the socket to OpenSSL.
    func feed(_ ciphertext: UnsafeRawBufferPointer) {
        guard let base = ciphertext.baseAddress, ciphertext.count > 0 else { return }
        hasInput = true
        // A memory BIO takes everything it is given.
        _ = BIO_write(input, base, Int32(clamping: ciphertext.count))
    }

    /// Advances the handshake with what has been fed; `.established` once, when it completes.
    func handshake() -> Step {
        guard !isEstablished else { return .wantMore }
        defer { releaseIfDrained(input) }
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isEstablished = true
            return .established
        }
        return classify(result)
    }

    /// Reads the plaintext available into `buffer`, calling `deliver` with each piece, until more
    /// ciphertext is needed (or `deliver` returns false: the reader has gone).
    func readPlaintext(into buffer: UnsafeMutableRawBufferPointer, _ deliver: (UnsafeRawBufferPointer) -> Bool) -> Step
    {
        guard let base = buffer.baseAddress else { return .wantMore }
        defer { releaseIfDrained(input) }
        while true {
            ERR_clear_error()
            let count = SSL_read(ssl, base, Int32(clamping: buffer.count))
            if count > 0 {
                guard deliver(UnsafeRawBufferPointer(rebasing: buffer[0..<Int(count)])) else { return .wantMore }
                continue
            }
            return classify(count)
        }
    }

    /// Encrypts `plaintext` at once; its ciphertext waits in `takeCiphertext`. False on a TLS error.
    func encrypt(_ plaintext: [UInt8]) -> Bool {
        guard isEstablished, !plaintext.isEmpty else { return plaintext.isEmpty }
        ERR_clear_error()
        let written = plaintext.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32(clamping: $0.count)) }
        // The sink takes everything, so a write takes everything or fails.
        return Int(written) == plaintext.count
    }

    /// Queues a close_notify alert, for a clean end after the last output.
    func shutdown() {
        guard isEstablished else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
    }

    /// The ciphertext produced so far (handshake records, encrypted output, alerts); empty if none. The
    /// array is handed over, not copied, and the sink keeps nothing.
    func takeCiphertext() -> [UInt8] { output.take() }

    /// Bytes the input BIO and the sink keep allocated (their buffers' capacity, not what they hold): 0
    /// between uses.
    var bufferCapacity: Int { Int(microblog_BIO_mem_capacity(input)) + output.capacity }

    /// Frees `bio`'s buffer if nothing is left in it. A memory BIO otherwise keeps, for the connection's
    /// life, the capacity of the largest thing ever written to it: the ClientHello, a pasted block. The
    /// next write allocates what it needs again.
    private func releaseIfDrained(_ bio: OpaquePointer) {
        _ = microblog_BIO_release_drained_buffer(bio)
    }

    private func classify(_ result: Int32) -> Step {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return .wantMore
        case SSL_ERROR_ZERO_RETURN:
            return .closedByPeer
        case SSL_ERROR_SYSCALL:
            // With memory BIOs no system call fails: this is an unexpected end of the TLS stream.
            let reasons = OpenSSLErrors.drain()
            return .failed(reasons == "unknown error" ? "unexpected end of the TLS stream" : reasons)
        default:
            return .failed(OpenSSLErrors.drain())
        }
    }
}

/// Handed to the handshake pool and back only through `HandOff`, while its `Connection` leaves it alone.
@available(*, unavailable) extension TLSFilter: Sendable {}
