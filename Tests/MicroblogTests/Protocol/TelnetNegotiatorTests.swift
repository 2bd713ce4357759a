@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

/// Our side of option negotiation: refuse everything but ECHO, never answer an acknowledgement.
@Suite struct TelnetNegotiatorTests {
    private let iac = Telnet.iac
    private let echo = Telnet.optionEcho
    private let suppressGoAhead = Telnet.optionSuppressGoAhead

    @Test(arguments: [Telnet.optionSuppressGoAhead, 24, 31, 34, 0, 255])
    func refusesWhatThePeerAsksOfUs(option: UInt8) {
        var negotiator = TelnetNegotiator()
        #expect(negotiator.answer(.do(option)) == [Telnet.iac, Telnet.wont, option])
        #expect(negotiator.isEchoing == false)
    }

    @Test(arguments: [Telnet.optionEcho, Telnet.optionSuppressGoAhead, 24, 31, 0, 255])
    func refusesWhatThePeerOffers(option: UInt8) {
        var negotiator = TelnetNegotiator()
        #expect(negotiator.answer(.will(option)) == [Telnet.iac, Telnet.dont, option])
        #expect(negotiator.isEchoing == false)
    }

    @Test(arguments: [Telnet.optionEcho, Telnet.optionSuppressGoAhead, 24, 31])
    func negativeCommandsNeedNoAnswer(option: UInt8) {
        var negotiator = TelnetNegotiator()
        #expect(negotiator.answer(.wont(option)) == [])
        #expect(negotiator.answer(.dont(option)) == [])
        #expect(negotiator.isEchoing == false)
    }

    /// Character mode asks for BINARY both ways, so a telnet client sends UTF-8 with its eighth bit.
    @Test func binaryIsOfferedAndAskedForOnceAndAcceptedOnlyWhenAsked() {
        var negotiator = TelnetNegotiator()
        let binary = Telnet.optionBinary
        #expect(negotiator.set(binary, true) == [iac, Telnet.will, binary])
        #expect(negotiator.answer(.do(binary)) == [])
        #expect(negotiator.wants(binary))
        #expect(negotiator.askForBinary() == [iac, Telnet.do, binary])
        #expect(negotiator.askForBinary() == [])
        #expect(negotiator.answer(.will(binary)) == [])
        #expect(negotiator.peerSendsBinary)
        // Withdrawn by the client: acknowledged with DONT.
        #expect(negotiator.answer(.wont(binary)) == [iac, Telnet.dont, binary])
        #expect(!negotiator.peerSendsBinary)
        // Refused outright: nothing more is said.
        var refused = TelnetNegotiator()
        _ = refused.askForBinary()
        #expect(refused.answer(.wont(binary)) == [])
        #expect(!refused.peerSendsBinary)
    }

    @Test func otherCommandsAndSubnegotiationsNeedNoAnswer() {
        var negotiator = TelnetNegotiator()
        #expect(negotiator.answer(.other(Telnet.ayt)) == [])
        #expect(negotiator.answer(.other(Telnet.nop)) == [])
        #expect(negotiator.answer(.subnegotiation(option: 24, data: [0])) == [])
    }

    @Test func doEchoWhileNotEchoingIsRefused() {
        var negotiator = TelnetNegotiator()
        #expect(negotiator.answer(.do(echo)) == [iac, Telnet.wont, echo])
        #expect(negotiator.isEchoing == false)
    }

    @Test func setEchoOnOffersEchoOnce() {
        var negotiator = TelnetNegotiator()
        #expect(negotiator.isEchoing == false)
        #expect(negotiator.setEcho(true) == [iac, Telnet.will, echo])
        #expect(negotiator.isEchoing)
        #expect(negotiator.setEcho(true) == [])
        #expect(negotiator.isEchoing)
    }

    @Test func doEchoAcknowledgesOurOfferWithoutAnAnswer() {
        var negotiator = TelnetNegotiator()
        _ = negotiator.setEcho(true)
        #expect(negotiator.answer(.do(echo)) == [])
        #expect(negotiator.isEchoing)
        // A repeated DO while echoing is still no reason to answer (RFC 1143: no loops).
        #expect(negotiator.answer(.do(echo)) == [])
        #expect(negotiator.setEcho(true) == [])
        #expect(negotiator.isEchoing)
    }

    @Test func setEchoOffWithdrawsEchoAndDontIsAnAcknowledgement() {
        var negotiator = TelnetNegotiator()
        _ = negotiator.setEcho(true)
        _ = negotiator.answer(.do(echo))
        #expect(negotiator.setEcho(false) == [iac, Telnet.wont, echo])
        #expect(negotiator.isEchoing == false)
        #expect(negotiator.answer(.dont(echo)) == [])
        #expect(negotiator.isEchoing == false)
        #expect(negotiator.setEcho(false) == [])
    }

    @Test func setEchoOffWhenNeverOnSendsNothing() {
        var negotiator = TelnetNegotiator()
        #expect(negotiator.setEcho(false) == [])
        #expect(negotiator.isEchoing == false)
    }

    @Test func dontEchoWhileEchoingIsAnsweredWithWont() {
        var negotiator = TelnetNegotiator()
        _ = negotiator.setEcho(true)
        _ = negotiator.answer(.do(echo))
        #expect(negotiator.answer(.dont(echo)) == [iac, Telnet.wont, echo])
        #expect(negotiator.isEchoing == false)
        // Now off: a further DONT is not answered, and echo can be offered again.
        #expect(negotiator.answer(.dont(echo)) == [])
        #expect(negotiator.setEcho(true) == [iac, Telnet.will, echo])
    }

    @Test func dontEchoRefusingOurOfferIsNotAnswered() {
        var negotiator = TelnetNegotiator()
        _ = negotiator.setEcho(true)
        #expect(negotiator.answer(.dont(echo)) == [])
        #expect(negotiator.isEchoing == false)
        #expect(negotiator.setEcho(false) == [])
    }

    @Test func echoCanBeOfferedAgainAfterItWasTurnedOff() {
        var negotiator = TelnetNegotiator()
        _ = negotiator.setEcho(true)
        _ = negotiator.answer(.do(echo))
        _ = negotiator.setEcho(false)
        _ = negotiator.answer(.dont(echo))
        #expect(negotiator.setEcho(true) == [iac, Telnet.will, echo])
        #expect(negotiator.answer(.do(echo)) == [])
        #expect(negotiator.isEchoing)
    }

    @Test func otherOptionsDoNotDisturbEcho() {
        var negotiator = TelnetNegotiator()
        _ = negotiator.setEcho(true)
        _ = negotiator.answer(.do(echo))
        #expect(negotiator.answer(.do(suppressGoAhead)) == [iac, Telnet.wont, suppressGoAhead])
        #expect(negotiator.answer(.dont(suppressGoAhead)) == [])
        #expect(negotiator.answer(.wont(echo)) == [])
        #expect(negotiator.isEchoing)
    }

    /// The reverse race: echo offered and withdrawn before the client's DO arrives; both ends settle off.
    @Test func echoWithdrawnBeforeTheClientAcceptedIt() {
        var negotiator = TelnetNegotiator()
        var client = EchoingClient()
        var inFlight = negotiator.setEcho(true)
        inFlight += negotiator.setEcho(false)
        client.receive(inFlight)
        for _ in 0..<10 {
            let replies = client.takeReplies()
            if replies.isEmpty { break }
            for command in replies { client.receive(negotiator.answer(command)) }
        }
        #expect(!negotiator.isEchoing)
        #expect(!client.serverEchoes)
    }

    /// A prompt ends (WONT ECHO) and the next begins (echo wanted again) before the client's DONT ECHO
    /// arrives, as with pipelined input over a slow link. RFC 1143 queues the new request until the DONT
    /// comes; whatever the order of bytes, both ends must settle with echo on, or the password shows.
    @Test func echoWantedAgainBeforeTheClientAcknowledgedItsWithdrawal() {
        var negotiator = TelnetNegotiator()
        var client = EchoingClient()
        client.receive(negotiator.setEcho(true))
        for command in client.takeReplies() { client.receive(negotiator.answer(command)) }
        #expect(negotiator.isEchoing && client.serverEchoes)

        // Both of our changes are on the wire before any answer comes back.
        var inFlight = negotiator.setEcho(false)
        inFlight += negotiator.setEcho(true)
        client.receive(inFlight)
        for _ in 0..<10 {
            let replies = client.takeReplies()
            if replies.isEmpty { break }
            for command in replies { client.receive(negotiator.answer(command)) }
        }
        #expect(negotiator.isEchoing, "we think echo is off while a password is asked for")
        #expect(client.serverEchoes, "the client echoes the password locally")
    }
}

/// A telnet client that accepts the server's ECHO offers and withdrawals, as RFC 1143 allows.
private struct EchoingClient {
    private(set) var serverEchoes = false
    private var replies: [TelnetCommand] = []

    mutating func receive(_ bytes: [UInt8]) {
        var index = 0
        while index + 2 < bytes.count {
            precondition(bytes[index] == Telnet.iac, "unexpected bytes \(bytes)")
            let verb = bytes[index + 1]
            let option = bytes[index + 2]
            index += 3
            guard option == Telnet.optionEcho else { continue }
            if verb == Telnet.will && !serverEchoes {
                serverEchoes = true
                replies.append(.do(option))
            } else if verb == Telnet.wont && serverEchoes {
                serverEchoes = false
                replies.append(.dont(option))
            }
        }
    }

    mutating func takeReplies() -> [TelnetCommand] {
        defer { replies = [] }
        return replies
    }
}
