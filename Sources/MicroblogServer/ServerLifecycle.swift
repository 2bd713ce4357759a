import Dispatch
import MicroblogDomain
import MicroblogFanout
import MicroblogModel
import MicroblogPostgres
import MicroblogProtocol
import MicroblogSQLite
import MicroblogSSH
import MicroblogStorage
import MicroblogSupport
import MicroblogTransport

#if canImport(Glibc)
    import Glibc
#endif

/// What the executable does on a shutdown signal, kept out of `main.swift`, whose top-level closures are
/// main-actor isolated and would trap when Dispatch runs them on another queue.
public enum ServerLifecycle {
    public static func shutdownHandler(for server: Server) -> @Sendable (Int32) -> Void {
        { signal in
            server.log.info("signal", ["signal": signal == SIGINT ? "SIGINT" : "SIGTERM"])
            server.shutdown {
                Logger.flush()
                exit(0)
            }
        }
    }

    /// What SIGHUP does: reload the TLS certificate and key (see `Server.reloadTLS`) and the message of the
    /// day (`Server.reloadMotd`).
    public static func reloadHandler(for server: Server) -> @Sendable () -> Void {
        {
            server.log.info("signal", ["signal": "SIGHUP"])
            server.reloadTLS()
            server.reloadMotd()
        }
    }

    /// Writes a line to standard error.
    public static func printError(_ message: String) {
        Logger.flush()  // after whatever was logged before it
        var bytes = Array(message.utf8)
        bytes.append(10)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}
