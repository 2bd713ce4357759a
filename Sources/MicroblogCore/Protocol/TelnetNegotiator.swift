/// Our side of telnet option negotiation (RFC 854, with RFC 1143's rule against answering an
/// acknowledgement). The only option we ever enable is ECHO, and only while a password is typed:
/// WILL ECHO tells a telnet client to stop echoing locally, WONT ECHO gives echo back.
/// Everything a peer offers (WILL) is refused with DONT; everything it asks of us (DO) that we do not
/// do is refused with WONT. A value type; owned with its connection's session.
public struct TelnetNegotiator: Sendable {
    private enum OptionState: Sendable {
        case no, yes, wantYes, wantNo
    }

    private var echo: OptionState = .no

    public init() {}

    /// True while we have offered or agreed to echo (the client should not echo locally).
    public var isEchoing: Bool { echo == .yes || echo == .wantYes }

    /// The bytes that answer a command from the peer (often none).
    public mutating func answer(_ command: TelnetCommand) -> [UInt8] {
        switch command {
        case .do(let option) where option == Telnet.optionEcho:
            switch echo {
            case .wantYes: echo = .yes
            case .yes: break
            case .wantNo: echo = .no  // RFC 1143: DO while we asked to stop is answered by stopping.
            case .no: return [Telnet.iac, Telnet.wont, option]
            }
            return []
        case .dont(let option) where option == Telnet.optionEcho:
            switch echo {
            case .yes:
                echo = .no
                return [Telnet.iac, Telnet.wont, option]
            case .wantYes, .wantNo: echo = .no
            case .no: break
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

    /// The bytes that turn our echo on (so the client hides what is typed) or off again.
    public mutating func setEcho(_ on: Bool) -> [UInt8] {
        if on {
            guard echo == .no || echo == .wantNo else { return [] }
            echo = .wantYes
            return [Telnet.iac, Telnet.will, Telnet.optionEcho]
        } else {
            guard echo == .yes || echo == .wantYes else { return [] }
            echo = .wantNo
            return [Telnet.iac, Telnet.wont, Telnet.optionEcho]
        }
    }
}
