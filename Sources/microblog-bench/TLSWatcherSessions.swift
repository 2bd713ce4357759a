import COpenSSL

/// The client side of TLS for the watchers: one `SSL_CTX` that verifies nothing (the server's
/// certificate is a throw-away one) and one `SSL` per watching socket, driven on the non-blocking socket
/// itself (`SSL_set_fd`) by the thread that polls the watchers, so there is no thread per watcher.
/// Read-ahead is on (a read takes what the socket has, not one record header at a time), so after a
/// read the caller asks `hasPending` before waiting on epoll again.
/// Confined to the thread that owns its `Watchers`; frees every `SSL` and the context when released.
final class TLSWatcherSessions {
    private let context: OpaquePointer
    /// By descriptor (descriptors are small numbers).
    private var sessions: [OpaquePointer?] = []
    /// Sessions whose handshake wants to write (a full socket): retried on every poll, as epoll is
    /// only asked about input.
    private(set) var wantingWrite: Set<Int32> = []

    /// What one read gave.
    enum Read: Equatable {
        /// Plaintext bytes, at the start of the buffer.
        case bytes(Int)
        /// Nothing yet (handshake in progress, session tickets, or a partial record).
        case nothing
        /// The server closed, or TLS failed: the session is over.
        case closed(String)
    }

    init() throws {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw BenchError("SSL_CTX_new failed: \(Self.drainErrors())")
        }
        _ = microblog_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION)
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        // Keeps the load generator's own memory small with thousands of idle sessions.
        _ = microblog_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
        _ = SSL_CTX_ctrl(context, SSL_CTRL_SET_READ_AHEAD, 1, nil)
        self.context = context
    }

    deinit {
        for case let ssl? in sessions { SSL_free(ssl) }
        SSL_CTX_free(context)
    }

    /// Puts a TLS session on the connected, non-blocking socket `fd` and sends its ClientHello.
    func attach(fd: Int32) throws {
        ERR_clear_error()
        guard let ssl = SSL_new(context) else { throw BenchError("SSL_new failed: \(Self.drainErrors())") }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            throw BenchError("SSL_set_fd failed: \(Self.drainErrors())")
        }
        SSL_set_connect_state(ssl)
        while sessions.count <= Int(fd) { sessions.append(nil) }
        sessions[Int(fd)] = ssl
        if case .closed(let reason) = advance(fd: fd, ssl: ssl) {
            throw BenchError("TLS handshake failed at once: \(reason)")
        }
    }

    /// Retries the handshakes that wanted to write; those that failed, with why.
    func retryWrites() -> [(Int32, String)] {
        var failed: [(Int32, String)] = []
        for fd in wantingWrite {
            guard let ssl = sessions[Int(fd)] else { continue }
            if case .closed(let reason) = advance(fd: fd, ssl: ssl) { failed.append((fd, reason)) }
        }
        return failed
    }

    /// Reads plaintext from `fd`'s session into `buffer` (advancing the handshake on the way).
    func read(fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Read {
        guard Int(fd) < sessions.count, let ssl = sessions[Int(fd)] else { return .closed("no TLS session") }
        ERR_clear_error()
        let count = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        if count > 0 { return .bytes(Int(count)) }
        return classify(fd: fd, ssl: ssl, result: count)
    }

    /// Whether OpenSSL holds bytes already read from the socket that epoll will not report again.
    func hasPending(fd: Int32) -> Bool {
        guard Int(fd) < sessions.count, let ssl = sessions[Int(fd)] else { return false }
        return SSL_has_pending(ssl) == 1
    }

    /// Whether `fd`'s handshake has completed.
    func isEstablished(fd: Int32) -> Bool {
        guard Int(fd) < sessions.count, let ssl = sessions[Int(fd)] else { return false }
        return SSL_is_init_finished(ssl) == 1
    }

    /// The protocol version and cipher of `fd`'s session, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
    func describe(fd: Int32) -> String {
        guard Int(fd) < sessions.count, let ssl = sessions[Int(fd)] else { return "none" }
        let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "?"
        let cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)).map { String(cString: $0) } ?? "?"
        return "\(version) \(cipher)"
    }

    private func advance(fd: Int32, ssl: OpaquePointer) -> Read {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            wantingWrite.remove(fd)
            return .nothing
        }
        return classify(fd: fd, ssl: ssl, result: result)
    }

    private func classify(fd: Int32, ssl: OpaquePointer, result: Int32) -> Read {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            wantingWrite.remove(fd)
            return .nothing
        case SSL_ERROR_WANT_WRITE:
            wantingWrite.insert(fd)
            return .nothing
        case SSL_ERROR_ZERO_RETURN:
            return .closed("close_notify from the server")
        case SSL_ERROR_SYSCALL:
            let errors = Self.drainErrors()
            return .closed(errors.isEmpty ? "connection closed" : errors)
        default:
            return .closed(Self.drainErrors())
        }
    }

    private static func drainErrors() -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0, reasons.count < 8 {
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            reasons.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.joined(separator: "; ")
    }
}
