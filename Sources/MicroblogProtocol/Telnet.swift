import MicroblogModel
import MicroblogSupport

/// Telnet command and option codes (RFC 854, RFC 856 BINARY, RFC 857 ECHO, RFC 858 SUPPRESS-GO-AHEAD).
package enum Telnet {
    package static let iac: UInt8 = 255
    package static let dont: UInt8 = 254
    package static let `do`: UInt8 = 253
    package static let wont: UInt8 = 252
    package static let will: UInt8 = 251
    package static let sb: UInt8 = 250
    package static let ga: UInt8 = 249
    package static let el: UInt8 = 248
    package static let ec: UInt8 = 247
    package static let ayt: UInt8 = 246
    package static let ao: UInt8 = 245
    package static let ip: UInt8 = 244
    package static let brk: UInt8 = 243
    package static let dm: UInt8 = 242
    package static let nop: UInt8 = 241
    package static let se: UInt8 = 240

    /// RFC 856: 8-bit data. Without it a telnet client may clear the eighth bit of what it sends, so
    /// UTF-8 (東 is E6 9D B1) reaches the server damaged, or turns into its escape character (0x1D).
    package static let optionBinary: UInt8 = 0
    package static let optionEcho: UInt8 = 1
    package static let optionSuppressGoAhead: UInt8 = 3
    /// RFC 1073: the client reports its window's width and height.
    package static let optionWindowSize: UInt8 = 31
}

/// A telnet command found in the input stream and removed from it.
package enum TelnetCommand: Equatable, Sendable {
    case will(UInt8)
    case wont(UInt8)
    case `do`(UInt8)
    case dont(UInt8)
    /// IAC SB option ... IAC SE, with IAC IAC already undone. Data beyond the decoder's limit is dropped.
    case subnegotiation(option: UInt8, data: [UInt8])
    /// Any other two-byte command (NOP, AYT, IP, BRK, GA, ...). EC and EL are applied to the line instead.
    case other(UInt8)
}
