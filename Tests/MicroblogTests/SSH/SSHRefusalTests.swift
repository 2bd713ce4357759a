import Testing

@testable import MicroblogSSH

/// `event=ssh_refused what=...` names what was refused as the SSH protocol does, not by libssh's numbers
/// (the numbers below are libssh's, from `libssh/libssh.h`).
@Suite("SSH: what a refusal names")
struct SSHRefusalTests {
    @Test func channelsAreNamedByTheirProtocolType() {
        #expect(SSHRefusal.channel(type: 1) == "channel session")
        #expect(SSHRefusal.channel(type: 2) == "channel direct-tcpip")
        #expect(SSHRefusal.channel(type: 3) == "channel forwarded-tcpip")
        #expect(SSHRefusal.channel(type: 4) == "channel x11")
        #expect(SSHRefusal.channel(type: 5) == "channel auth-agent@openssh.com")
        #expect(SSHRefusal.channel(type: 0) == "channel of an unknown type")
        #expect(SSHRefusal.channel(type: 99) == "channel of an unknown type")
    }

    @Test func channelRequestsAreNamedByTheirProtocolName() {
        #expect(SSHRefusal.channelRequest(subtype: 1, subsystem: nil) == "request pty-req")
        #expect(SSHRefusal.channelRequest(subtype: 2, subsystem: nil) == "request exec")
        #expect(SSHRefusal.channelRequest(subtype: 3, subsystem: nil) == "request shell")
        #expect(SSHRefusal.channelRequest(subtype: 4, subsystem: nil) == "request env")
        #expect(SSHRefusal.channelRequest(subtype: 5, subsystem: "sftp") == "request subsystem sftp")
        #expect(SSHRefusal.channelRequest(subtype: 6, subsystem: nil) == "request window-change")
        #expect(SSHRefusal.channelRequest(subtype: 7, subsystem: nil) == "request x11-req")
        #expect(SSHRefusal.channelRequest(subtype: 0, subsystem: nil) == "request of an unknown type")
    }

    @Test func globalRequestsAreNamedByTheirProtocolName() {
        #expect(SSHRefusal.globalRequest(subtype: 1) == "global tcpip-forward")
        #expect(SSHRefusal.globalRequest(subtype: 2) == "global cancel-tcpip-forward")
        #expect(SSHRefusal.globalRequest(subtype: 3) == "global keepalive@openssh.com")
        #expect(SSHRefusal.globalRequest(subtype: 0) == "global request of an unknown type")
    }
}
