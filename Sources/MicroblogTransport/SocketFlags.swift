import MicroblogModel
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Flags for `send(2)`.
package enum SocketFlags {
    /// A peer that has gone away gives EPIPE instead of killing the process with SIGPIPE.
    package static let noSignal = Int32(MSG_NOSIGNAL)
}
