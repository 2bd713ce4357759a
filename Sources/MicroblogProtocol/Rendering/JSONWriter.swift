/// Builds one JSON object as UTF-8 bytes.
struct JSONWriter {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var first = true

    mutating func field(_ name: String, _ value: String) {
        key(name)
        string(value)
    }

    mutating func field(_ name: String, _ value: Int64) {
        key(name)
        bytes += Array(String(value).utf8)
    }

    /// A number already written as JSON (digits, one point): a double's formatted value.
    mutating func number(_ name: String, _ text: String) {
        key(name)
        bytes += Array(text.utf8)
    }

    mutating func field(_ name: String, _ value: Bool) {
        key(name)
        bytes += Array((value ? "true" : "false").utf8)
    }

    mutating func field(_ name: String, _ values: [Int64]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        bytes += Array(values.map(String.init).joined(separator: ",").utf8)
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func field(_ name: String, _ values: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(13)
        bytes.append(10)
        return bytes
    }

    private mutating func key(_ name: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Escapes `"`, `\` and every byte below 0x20 (as RFC 8259 requires), plus U+2028 and U+2029,
    /// which some JavaScript-based JSON consumers treat as line ends.
    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = Array(value.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            switch byte {
            case 0x22: bytes += [0x5C, 0x22]
            case 0x5C: bytes += [0x5C, 0x5C]
            case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
            case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
            case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
            case 0..<0x20: escape(UInt16(byte))
            case 0xE2
            where index + 2 < utf8.count && utf8[index + 1] == 0x80
                && (utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9):
                escape(utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029)
                index += 2
            default: bytes.append(byte)
            }
            index += 1
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ unit: UInt16) {
        let v = Int(unit)
        bytes += [
            0x5C, UInt8(ascii: "u"), Self.hex[(v >> 12) & 15], Self.hex[(v >> 8) & 15], Self.hex[(v >> 4) & 15],
            Self.hex[v & 15],
        ]
    }
}
