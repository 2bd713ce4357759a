import CLibPQ
import MicroblogModel
import MicroblogStorage
import MicroblogSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SQLite's `?` placeholders, rewritten as PostgreSQL's `$n`.
extension PostgresConnection {
    /// Rewrites the placeholders of `sql` as PostgreSQL's `$n`, numbered as SQLite numbers them: `?NNN` is
    /// parameter NNN (`?1` may appear twice), and a bare `?` is one more than the largest number so far.
    /// `count` is the largest number, which is how many values the statement takes (as
    /// `sqlite3_bind_parameter_count` says). A `?` inside a '…' string, a "…" identifier, a `--` comment or
    /// a `/* … */` comment is left alone. PostgreSQL's other quotings (E'…' with backslash escapes, $$…$$) are
    /// not recognised: the store's SQL does not use them.
    static func numberingPlaceholders(_ sql: String) -> (sql: String, count: Int) {
        enum Context { case code, string, identifier, lineComment, blockComment }
        var context = Context.code
        let bytes = Array(sql.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 8)
        var largest = 0
        var previous: UInt8 = 0
        var index = 0
        // Every delimiter is ASCII, so scanning UTF-8 bytes never splits a character.
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            // The byte that may pair with the next one: none after a pair was used ("/*/" stays a comment).
            var pairable = byte
            switch (context, byte) {
            case (.code, UInt8(ascii: "?")):
                let digits = bytes[index...].prefix { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
                index += digits.count
                let number = digits.isEmpty ? largest + 1 : Int(String(decoding: digits, as: UTF8.self)) ?? 0
                largest = max(largest, number)
                output.append(UInt8(ascii: "$"))
                output.append(contentsOf: String(number).utf8)
                previous = 0
                continue
            case (.code, UInt8(ascii: "'")): context = .string
            case (.code, UInt8(ascii: "\"")): context = .identifier
            case (.code, UInt8(ascii: "-")) where previous == UInt8(ascii: "-"): context = .lineComment
            case (.code, UInt8(ascii: "*")) where previous == UInt8(ascii: "/"):
                context = .blockComment
                pairable = 0
            // A doubled quote ('' or "") ends the literal and opens it again, which leaves it open.
            case (.string, UInt8(ascii: "'")), (.identifier, UInt8(ascii: "\"")): context = .code
            case (.lineComment, UInt8(ascii: "\n")): context = .code
            case (.blockComment, UInt8(ascii: "/")) where previous == UInt8(ascii: "*"):
                context = .code
                pairable = 0
            default: break
            }
            output.append(byte)
            previous = pairable
        }
        return (String(decoding: output, as: UTF8.self), largest)
    }
}
