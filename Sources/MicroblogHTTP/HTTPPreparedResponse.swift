import CMicroHTTPD

/// A response handed to libmicrohttpd once, body and header fields copied there, and then queued on as
/// many connections as ask for it without another copy: libmicrohttpd counts its references, and the
/// last connection to finish with it, or this object, frees it. Confined to its daemon's queue.
public final class HTTPPreparedResponse {
    public let response: HTTPResponse
    let pointer: OpaquePointer

    public init?(_ response: HTTPResponse) {
        let made = response.body.withUnsafeBytes { raw in
            MHD_create_response_from_buffer(
                raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), MHD_ResponseMemoryMode(rawValue: 2)!)  // MUST_COPY
        }
        guard let made else { return nil }
        for (name, value) in response.headers { MHD_add_response_header(made, name, value) }
        self.response = response
        pointer = made
    }

    deinit { MHD_destroy_response(pointer) }
}
