import Dispatch
import MicroblogServer
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#endif

// Options, signals, start: nothing else lives here.
let options: Options
do {
    options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    ServerLifecycle.printError("microblogd: \(error)")
    exit(2)
}
switch options.action {
case .help:
    print(Options.usage)
    exit(0)
case .version:
    print("microblogd \(Options.version)")
    exit(0)
case .toolHelp:
    print(Options.toolUsage)
    exit(0)
case .tool(let tool):
    exit(ToolRunner.run(tool))
case .serve:
    break
}

ProcessSetup.ignoreSIGPIPE()
let fileLimit = ProcessSetup.raiseOpenFileLimit()
let log = Logger(minimum: options.logLevel)
let server: Server
do {
    server = try Server(configuration: options.configuration, log: log)
} catch {
    ServerLifecycle.printError("microblogd: cannot start: \(error)")
    exit(1)
}
// Before the listening line: a script may signal as soon as it reads that line.
let signals = ShutdownSignals(queue: server.queue, handler: ServerLifecycle.shutdownHandler(for: server))
let reload =
    server.tlsPort == nil && options.motdPath == nil
    ? nil : ReloadSignal(queue: server.queue, handler: ServerLifecycle.reloadHandler(for: server))
let address = server.start()
log.info(
    "start",
    [
        "version": Options.version, "address": address, "db": DatabaseLocation(options.databasePath).redacted,
        "plaintext_passwords": options.configuration.settings.plaintextPasswords ? "allow" : "deny",
        "registration": options.configuration.settings.registration.rawValue, "open_files_limit": fileLimit,
        "send_threads": options.sendThreads, "send_path": server.sendPath,
        "changed_limits": options.changedLimits.isEmpty ? "none" : options.changedLimits.joined(separator: " "),
    ])
print(
    "microblogd \(Options.version) listening on \(address) (database \(DatabaseLocation(options.databasePath).redacted))"
)
if options.proxyProtocol {
    print("every connection must begin with a PROXY header (--proxy-protocol): connect through the proxy")
} else {
    print("connect with:  telnet \(server.connectHost) \(server.port)   or:  nc \(server.connectHost) \(server.port)")
    if !options.configuration.settings.plaintextPasswords {
        print("  (there to read and watch: passwords only over the secure doors below, --plaintext-passwords deny)")
    }
}
if let tlsAddress = server.tlsBoundAddress, let tlsPort = server.tlsPort {
    log.info(
        "tls_listening",
        ["address": tlsAddress, "cert": options.tlsCertificate ?? "-", "key": options.tlsKey ?? "-"])
    // -quiet: without it, s_client reads a line that starts with Q as "quit" and one with R as "renegotiate".
    print("TLS on \(tlsAddress):  openssl s_client -quiet -connect \(server.connectHost):\(tlsPort)")
}
if let sshAddress = server.sshBoundAddress, let sshPort = server.sshPort, let key = server.sshHostKey {
    log.info(
        "ssh_listening",
        [
            "address": sshAddress, "fingerprint": key.fingerprint,
            "host_key": options.configuration.ssh?.hostKeyPath ?? "-",
        ])
    // Two lines: with the fingerprint on the same one, it is over 100 columns.
    print("SSH on \(sshAddress):  ssh -p \(sshPort) NAME@\(server.connectHost)")
    print("  the SSH host key is \(key.fingerprint)")
}
if let webAddress = server.webBoundAddress, let webPort = server.webPort {
    log.info("web_listening", ["address": webAddress])
    print("web on \(webAddress):  http://\(server.connectHost):\(webPort)/")
}
fflush(nil)
withExtendedLifetime((signals, reload)) { dispatchMain() }
