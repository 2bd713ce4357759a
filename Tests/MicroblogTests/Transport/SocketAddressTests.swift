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

@Suite("SocketAddress: what per-address limits count by")
struct SocketAddressTests {
    @Test func anIPv6AddressCountsByItsSlash64() {
        #expect(SocketAddress.limitKey("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64")
        #expect(SocketAddress.limitKey("2001:db8:1:2::ffff") == "2001:db8:1:2::/64")
        #expect(SocketAddress.limitKey("2001:db8:1:3::1") == "2001:db8:1:3::/64")
    }

    @Test func otherAddressesStayAsTheyAre() {
        #expect(SocketAddress.limitKey("192.0.2.7") == "192.0.2.7")
        #expect(SocketAddress.limitKey("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(SocketAddress.limitKey("::1") == "::1")
        #expect(SocketAddress.limitKey("fe80::1%eth0") == "fe80::1%eth0")
        #expect(SocketAddress.limitKey("unknown") == "unknown")
    }
}
