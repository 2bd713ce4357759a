/// Our side of telnet option negotiation, following RFC 1143's "Q method" so that negotiation never
/// loops and a request made while an earlier one is unanswered is remembered, not lost.
///
/// The only option we ever enable is ECHO, and only while a password is typed: WILL ECHO tells a telnet
/// client to stop echoing locally, WONT ECHO gives echo back. Everything a peer offers (WILL) is refused
/// with DONT; everything it asks of us (DO) that we do not do is refused with WONT. A value type; owned
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

    private var echo: OptionState = .no

    public init() {}

    /// True while we want echo on (the client should not echo locally), agreed or still being asked.
    public var isEchoing: Bool {
        switch echo {
        case .yes, .wantYes(queued: false), .wantNo(queued: true): return true
        case .no, .wantYes(queued: true), .wantNo(queued: false): return false
        }
    }

    /// The bytes that answer a command from the peer (often none).
    public mutating func answer(_ command: TelnetCommand) -> [UInt8] {
        switch command {
        case .do(let option) where option == Telnet.optionEcho:
            switch echo {
            case .no: return [Telnet.iac, Telnet.wont, option]  // we never echo unasked
            case .yes: return []
            case .wantNo(queued: false): echo = .no  // RFC 1143: DONT answered by WILL; stay off
            case .wantNo(queued: true): echo = .yes
            case .wantYes(queued: false): echo = .yes
            case .wantYes(queued: true):
                echo = .wantNo(queued: false)
                return [Telnet.iac, Telnet.wont, option]
            }
            return []
        case .dont(let option) where option == Telnet.optionEcho:
            switch echo {
            case .no: return []
            case .yes:
                echo = .no
                return [Telnet.iac, Telnet.wont, option]
            case .wantNo(queued: false), .wantYes: echo = .no
            case .wantNo(queued: true):
                echo = .wantYes(queued: false)
                return [Telnet.iac, Telnet.will, option]
            }
            return []
        case .do(let option):
            return [Telnet.iac, Telnet.wont, option]
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
        switch (on, echo) {
        case (true, .no):
            echo = .wantYes(queued: false)
            return [Telnet.iac, Telnet.will, Telnet.optionEcho]
        case (true, .wantNo(queued: false)): echo = .wantNo(queued: true)
        case (true, .wantYes(queued: true)): echo = .wantYes(queued: false)
        case (false, .yes):
            echo = .wantNo(queued: false)
            return [Telnet.iac, Telnet.wont, Telnet.optionEcho]
        case (false, .wantYes(queued: false)): echo = .wantYes(queued: true)
        case (false, .wantNo(queued: true)): echo = .wantNo(queued: false)
        default: break  // already in, or already heading to, the wanted state
        }
        return []
    }
}
