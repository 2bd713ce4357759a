import MicroblogModel
import MicroblogSupport

/// Telnet command and option codes (RFC 854, RFC 856 BINARY, RFC 857 ECHO, RFC 858 SUPPRESS-GO-AHEAD).
public enum Telnet {
    public static let iac: UInt8 = 255
    public static let dont: UInt8 = 254
    public static let `do`: UInt8 = 253
    public static let wont: UInt8 = 252
    public static let will: UInt8 = 251
    public static let sb: UInt8 = 250
    public static let ga: UInt8 = 249
    public static let el: UInt8 = 248
    public static let ec: UInt8 = 247
    public static let ayt: UInt8 = 246
    public static let ao: UInt8 = 245
    public static let ip: UInt8 = 244
    public static let brk: UInt8 = 243
    public static let dm: UInt8 = 242
    public static let nop: UInt8 = 241
    public static let se: UInt8 = 240

    /// RFC 856: 8-bit data. Without it a telnet client may clear the eighth bit of what it sends, so
    /// UTF-8 (東 is E6 9D B1) reaches the server damaged, or turns into its escape character (0x1D).
    public static let optionBinary: UInt8 = 0
    public static let optionEcho: UInt8 = 1
    public static let optionSuppressGoAhead: UInt8 = 3
    /// RFC 1073: the client reports its window's width and height.
    public static let optionWindowSize: UInt8 = 31
}

/// A telnet command found in the input stream and removed from it.
public enum TelnetCommand: Equatable, Sendable {
    case will(UInt8)
    case wont(UInt8)
    case `do`(UInt8)
    case dont(UInt8)
    /// IAC SB option ... IAC SE, with IAC IAC already undone. Data beyond the decoder's limit is dropped.
    case subnegotiation(option: UInt8, data: [UInt8])
    /// Any other two-byte command (NOP, AYT, IP, BRK, GA, ...). EC and EL are applied to the line instead.
    case other(UInt8)
}
