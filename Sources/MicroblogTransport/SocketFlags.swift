import MicroblogModel
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Flags for `send(2)`.
public enum SocketFlags {
    /// A peer that has gone away gives EPIPE instead of killing the process with SIGPIPE.
    public static let noSignal = Int32(MSG_NOSIGNAL)
}
