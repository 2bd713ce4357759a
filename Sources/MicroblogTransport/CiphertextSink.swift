import COpenSSL

/// Where one `TLSFilter`'s `SSL` writes its records: a BIO of our own whose write appends to an array,
/// which `take` hands to the connection's output buffer whole. A memory BIO in its place cost each
/// delivery a buffer allocated and freed, a `BUF_MEM` made and freed to let it go when drained, a copy
/// out, and five `BIO_ctrl` calls (issue 27). Confined to the queue that owns its filter (the server
/// queue; the handshake pool's thread while a handshake step is handed there).
///
/// The BIO holds the sink unretained: the filter keeps the sink alive and frees the `SSL`, and with it
/// the BIO, before the sink goes.
final class CiphertextSink {
    private var bytes: [UInt8] = []

    /// What the sink holds allocated.
    var capacity: Int { bytes.capacity }

    /// What has been written since the last `take`; the sink is left empty and holds no memory.
    func take() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &bytes)
        return taken
    }

    /// A new BIO writing into this sink; nil when OpenSSL cannot make one.
    func makeBIO() -> OpaquePointer? {
        guard let method = Self.method.pointer, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    fileprivate func append(_ data: UnsafeRawPointer, _ count: Int) {
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
    }

    /// The BIO method, made once and never changed after (OpenSSL lets threads share a `BIO_METHOD`).
    private static let method = SinkMethod()
}

/// `@unchecked Sendable`: the `BIO_METHOD` is set up in `init` and only read after, as OpenSSL allows.
private struct SinkMethod: @unchecked Sendable {
    let pointer: OpaquePointer?

    init() {
        // A new BIO type index; should OpenSSL have none left, the sink's type is told by its name alone.
        let index = BIO_get_new_index()
        guard let method = BIO_meth_new(max(index, 0) | BIO_TYPE_SOURCE_SINK, "microblogd ciphertext sink") else {
            pointer = nil
            return
        }
        _ = BIO_meth_set_write(method) { bio, data, length in
            guard let bio, let data, length > 0, let sink = BIO_get_data(bio) else { return length == 0 ? 0 : -1 }
            Unmanaged<CiphertextSink>.fromOpaque(sink).takeUnretainedValue().append(data, Int(length))
            return length
        }
        _ = BIO_meth_set_ctrl(method) { _, command, _, _ in
            // Everything written is taken at once: nothing is ever pending, and a flush has nothing to do.
            // Every other request (kTLS among them) is not supported.
            command == BIO_CTRL_FLUSH ? 1 : 0
        }
        pointer = method
    }
}
