import COpenSSL
import MicroblogModel
import MicroblogSupport

/// A certificate chain and its private key, loaded into an OpenSSL `SSL_CTX` for the TLS door:
/// TLS 1.2 at least (1.3 allowed), and only key exchanges whose price is fixed and close to the client's
/// (`keyExchangeGroups`): a client cannot pick an 8192-bit finite-field group that costs the server
/// 200 ms a handshake.
///
/// `@unchecked Sendable`: the `SSL_CTX` is configured entirely in `init` and never changed after, and
/// OpenSSL allows a configured context to be shared. A reload builds a new context; each connection's
/// `SSL` holds a reference to the one it was made from, so existing sessions keep theirs.
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer
    let certificatePath: String
    let keyPath: String

    /// Loads and checks the files; the error names the file and OpenSSL's reason.
    public init(certificatePath: String, keyPath: String) throws(TLSError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TLSError("cannot create a TLS context: \(OpenSSLErrors.drain())")
        }
        guard microblog_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            SSL_CTX_free(context)
            throw TLSError("cannot require TLS 1.2: \(OpenSSLErrors.drain())")
        }
        guard microblog_SSL_CTX_set1_groups_list(context, Self.keyExchangeGroups) == 1,
            SSL_CTX_set_cipher_list(context, Self.tls12Ciphers) == 1
        else {
            SSL_CTX_free(context)
            throw TLSError("cannot limit the key exchanges: \(OpenSSLErrors.drain())")
        }
        // No renegotiation, whatever the OpenSSL version's default: each would be another handshake.
        _ = SSL_CTX_set_options(context, microblog_SSL_OP_NO_RENEGOTIATION)
        // An idle session (a watcher) then holds no read or write buffer inside OpenSSL.
        _ = microblog_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
        guard SSL_CTX_use_certificate_chain_file(context, certificatePath) == 1 else {
            SSL_CTX_free(context)
            throw TLSError("cannot load the certificate \(certificatePath): \(OpenSSLErrors.drain())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, keyPath, SSL_FILETYPE_PEM) == 1 else {
            SSL_CTX_free(context)
            throw TLSError("cannot load the key \(keyPath): \(OpenSSLErrors.drain())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            SSL_CTX_free(context)
            throw TLSError(
                "the key \(keyPath) does not match the certificate \(certificatePath): \(OpenSSLErrors.drain())")
        }
        self.context = context
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    deinit { SSL_CTX_free(context) }

    /// The key-exchange groups offered: X25519 and P-256, each a fraction of a millisecond on either side.
    /// No finite-field groups (`ffdhe2048` to `ffdhe8192`), which OpenSSL accepts by default.
    static let keyExchangeGroups = "X25519:P-256"
    /// TLS 1.2's cipher suites: ephemeral elliptic-curve key exchange only (no `DHE`), with AEAD ciphers.
    /// TLS 1.3's suites are OpenSSL's defaults, all of which use the groups above.
    static let tls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20"
}

/// A TLS set-up failure, said in words (file and OpenSSL's reason).
public struct TLSError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// OpenSSL's per-thread error queue, read out as text.
enum OpenSSLErrors {
    /// The queued errors' reasons, joined, oldest first; the queue is left empty.
    static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "unknown error" : reasons.joined(separator: "; ")
    }
}
