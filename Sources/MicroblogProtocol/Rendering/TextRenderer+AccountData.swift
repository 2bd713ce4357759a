import MicroblogModel
import MicroblogSupport

/// Text of what belongs to one account: `/key list`'s keys, and `/export`, JSON Lines in text mode too.
extension TextRenderer {
    static func render(_ data: ServerMessage.AccountData, for reader: TextReader) -> [UInt8] {
        switch data {
        case .sshKey(let key, let fingerprint):
            let added = reader.time(key.addedAt)
            let comment = key.comment.isEmpty ? "" : " \(key.comment)"
            return line("  \(key.number) \(key.type) \(fingerprint)\(comment) (added \(added))")
        case .exportRecord, .exportEnd:
            // JSON Lines in text mode too: what /export is for.
            return JSONRenderer.render(data)
        }
    }
}
