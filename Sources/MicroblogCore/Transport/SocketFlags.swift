// CLibSSH is imported here only so that MSG_NOSIGNAL is found: libssh's headers include <netdb.h>, and in
// the release build (whole-module) the Clang importer attributes glibc's socket macros to the CLibSSH module
// that first included them, so a file that imports Glibc alone no longer sees MSG_NOSIGNAL ("cannot find in
// scope"). Debug builds are not affected. Every `send` in the module takes its flags from here.
import CLibSSH
import MicroblogModel
import MicroblogPostgres
import MicroblogProtocol
import MicroblogSQLite
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Flags for `send(2)`.
enum SocketFlags {
    /// A peer that has gone away gives EPIPE instead of killing the process with SIGPIPE.
    static let noSignal = Int32(MSG_NOSIGNAL)
}
