import MicroblogModel
import MicroblogSupport

/// Our side of telnet option negotiation, following RFC 1143's "Q method" so that negotiation never
/// loops and a request made while an earlier one is unanswered is remembered, not lost.
///
/// Our options are ECHO (while a password is typed, and in character mode: WILL ECHO tells a telnet
/// client to stop echoing locally, WONT ECHO gives echo back), SUPPRESS-GO-AHEAD and BINARY (character
/// mode). Of the peer's, we ask for NAWS (its window size) and BINARY (so it sends 8-bit UTF-8 as it
/// is) in character mode, and accept them then; anything else a peer offers (WILL) is refused with
/// DONT, and anything it asks of us (DO) that we do not do is refused with WONT. A value type; owned
/// with its connection's session.
public struct TelnetNegotiator: Sendable {
    /// RFC 1143's states for our side of one option; `queued` is its OPPOSITE bit: the other state was
    /// asked for while this request was still unanswered.
    private enum OptionState: Sendable, Equatable {
        case no
        case yes
        case wantNo(queued: Bool)
        case wantYes(queued: Bool)
    }

    /// The options we may enable on our side: ECHO (for hidden passwords and character mode),
    /// SUPPRESS-GO-AHEAD and BINARY (character mode). Every other option stays off.
    private static let ours: Set<UInt8> = [Telnet.optionEcho, Telnet.optionSuppressGoAhead, Telnet.optionBinary]
    private var states: [UInt8: OptionState] = [:]
    /// The peer's NAWS (window size): asked for with DO in character mode, and only then accepted.
    public private(set) var peerSendsWindowSize = false
    private var askedForWindowSize = false

    /// The bytes that ask the client to report its window size (IAC DO NAWS), once.
    public mutating func askForWindowSize() -> [UInt8] {
        guard !askedForWindowSize && !peerSendsWindowSize else { return [] }
        askedForWindowSize = true
        return [Telnet.iac, Telnet.do, Telnet.optionWindowSize]
    }

    /// The peer's BINARY (8-bit data from the client): asked for with DO in character mode, and only
    /// then accepted.
    public private(set) var peerSendsBinary = false
    private var askedForBinary = false

    /// The bytes that ask the client to send 8-bit data (IAC DO BINARY), once.
    public mutating func askForBinary() -> [UInt8] {
        guard !askedForBinary && !peerSendsBinary else { return [] }
        askedForBinary = true
        return [Telnet.iac, Telnet.do, Telnet.optionBinary]
    }

    /// The bytes that end BINARY both ways (leaving character mode): WONT BINARY for ours, DONT BINARY
    /// for the client's if it agreed; a later offer asks again.
    public mutating func stopBinary() -> [UInt8] {
        var bytes = set(Telnet.optionBinary, false)
        if peerSendsBinary { bytes += [Telnet.iac, Telnet.dont, Telnet.optionBinary] }
        peerSendsBinary = false
        askedForBinary = false
        return bytes
    }

    public init() {}

    /// True while we want echo on (the client should not echo locally), agreed or still being asked.
    public var isEchoing: Bool { wants(Telnet.optionEcho) }

    /// True once the client has agreed to both options character mode needs.
    public var isCharacterMode: Bool {
        states[Telnet.optionEcho] == .yes && states[Telnet.optionSuppressGoAhead] == .yes
    }

    /// True while we want `option` on, agreed or still being asked.
    public func wants(_ option: UInt8) -> Bool {
        switch states[option] ?? .no {
        case .yes, .wantYes(queued: false), .wantNo(queued: true): return true
        case .no, .wantYes(queued: true), .wantNo(queued: false): return false
        }
    }

    /// The bytes that answer a command from the peer (often none).
    public mutating func answer(_ command: TelnetCommand) -> [UInt8] {
        switch command {
        case .do(let option) where Self.ours.contains(option):
            switch states[option] ?? .no {
            case .no: return [Telnet.iac, Telnet.wont, option]  // we never enable one unasked
            case .yes: return []
            case .wantNo(queued: false): states[option] = .no  // RFC 1143: DONT answered by WILL; stay off
            case .wantNo(queued: true): states[option] = .yes
            case .wantYes(queued: false): states[option] = .yes
            case .wantYes(queued: true):
                states[option] = .wantNo(queued: false)
                return [Telnet.iac, Telnet.wont, option]
            }
            return []
        case .dont(let option) where Self.ours.contains(option):
            switch states[option] ?? .no {
            case .no: return []
            case .yes:
                states[option] = .no
                return [Telnet.iac, Telnet.wont, option]
            case .wantNo(queued: false), .wantYes: states[option] = .no
            case .wantNo(queued: true):
                states[option] = .wantYes(queued: false)
                return [Telnet.iac, Telnet.will, option]
            }
            return []
        case .do(let option):
            return [Telnet.iac, Telnet.wont, option]
        case .will(let option) where option == Telnet.optionWindowSize && askedForWindowSize:
            // The answer to our DO NAWS; the size itself follows in a subnegotiation.
            peerSendsWindowSize = true
            return []
        case .will(let option) where option == Telnet.optionBinary && askedForBinary:
            // The answer to our DO BINARY.
            peerSendsBinary = true
            return []
        case .wont(let option) where option == Telnet.optionBinary:
            // Refused or withdrawn: a later WILL BINARY unasked is refused like any other offer.
            let wasOn = peerSendsBinary
            peerSendsBinary = false
            askedForBinary = false
            return wasOn ? [Telnet.iac, Telnet.dont, option] : []
        case .wont(let option) where option == Telnet.optionWindowSize:
            let wasOn = peerSendsWindowSize
            peerSendsWindowSize = false
            return wasOn ? [Telnet.iac, Telnet.dont, option] : []
        case .will(let option):
            return [Telnet.iac, Telnet.dont, option]
        case .dont, .wont, .subnegotiation, .other:
            // We never enable other options and never accept the peer's, so these need no answer.
            return []
        }
    }

    /// The bytes that turn our echo on (so the client hides what is typed) or off again. A request made
    /// while the previous one is unanswered is queued and sent when the answer comes.
    public mutating func setEcho(_ on: Bool) -> [UInt8] {
        set(Telnet.optionEcho, on)
    }

    /// Asks for `option` (one of ours) on or off.
    public mutating func set(_ option: UInt8, _ on: Bool) -> [UInt8] {
        switch (on, states[option] ?? .no) {
        case (true, .no):
            states[option] = .wantYes(queued: false)
            return [Telnet.iac, Telnet.will, option]
        case (true, .wantNo(queued: false)): states[option] = .wantNo(queued: true)
        case (true, .wantYes(queued: true)): states[option] = .wantYes(queued: false)
        case (false, .yes):
            states[option] = .wantNo(queued: false)
            return [Telnet.iac, Telnet.wont, option]
        case (false, .wantYes(queued: false)): states[option] = .wantYes(queued: true)
        case (false, .wantNo(queued: true)): states[option] = .wantNo(queued: false)
        default: break  // already in, or already heading to, the wanted state
        }
        return []
    }
}
