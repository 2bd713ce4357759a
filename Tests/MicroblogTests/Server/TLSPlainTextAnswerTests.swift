import Testing

@testable import MicroblogServer
@testable import MicroblogTransport

/// A client that speaks plain text to the TLS port is told how to connect; a TLS client never is.
@Suite("TLS door: the answer to plain text")
struct TLSPlainTextAnswerTests {
    @Test func textAndTelnetAreNotTLSAndAHandshakeRecordIs() {
        for byte in Array("hello /help GET PROXY ~".utf8) + [0x09, 0x0A, 0x0D, 0xFF] {
            #expect(TLSFilter.isPlainText(firstByte: byte), "\(byte)")
        }
        // 0x16: a TLS handshake record, what every TLS client sends first. The others (an SSLv2 hello,
        // an alert, binary noise) are left to OpenSSL.
        for byte: UInt8 in [0x16, 0x15, 0x17, 0x80, 0x00, 0x7F, 0xFE, 0x1B] {
            #expect(!TLSFilter.isPlainText(firstByte: byte), "\(byte)")
        }
    }

    @Test func theAnswerNamesTheAddressDialledAndThePlainPort() {
        func answer(_ local: String, _ plainPort: UInt16?) -> String {
            String(decoding: TLSDoor.plainTextAnswer(local: local, plainPort: plainPort), as: UTF8.self)
        }
        #expect(
            answer("127.0.0.1:4243", 4242)
                == "* this port speaks TLS; connect with:\r\n  openssl s_client -quiet -connect 127.0.0.1:4243\r\n"
                + "* or in plain text:\r\n  telnet 127.0.0.1 4242\r\n")
        #expect(
            answer("[::1]:4243", 4242)
                == "* this port speaks TLS; connect with:\r\n  openssl s_client -quiet -connect [::1]:4243\r\n"
                + "* or in plain text:\r\n  telnet ::1 4242\r\n")
        #expect(
            answer("192.0.2.7:443", nil)
                == "* this port speaks TLS; connect with:\r\n  openssl s_client -quiet -connect 192.0.2.7:443\r\n")
        // Every line fits 80 columns, even with a long IPv6 address (a command is never cut: only the
        // longest written-out IPv6 addresses make its line longer).
        let longest = answer("[2001:db8:1234:5678:9abc:def0:1234:5678]:4243", 4242)
        #expect(longest.split(separator: "\r\n").allSatisfy { $0.count <= 80 }, "\(longest)")
    }
}
