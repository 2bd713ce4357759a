import Testing

@testable import microblog_fuzz

/// The fuzz target's invariants (see Sources/microblog-fuzz), run on seeded random and mutated inputs in
/// every test run; `.ci/fuzz` runs the same target under libFuzzer with coverage guidance.
@Suite struct FuzzInvariantTests {
    /// Bytes that matter to the decoder and parser, weighted towards trouble.
    static let alphabet: [UInt8] =
        [
            255, 255, 250, 240, 251, 252, 253, 254, 246, 247, 248, 13, 10, 0, 9, 32, 47, 47, 0x1B, 0xC3, 0xA9, 0xE2,
            0x80, 0xAE,
        ]
        + Array("/register /login /post /feed before since /watch on off /mode json /help /quit alice 42 #7 x".utf8)

    static let seeds: [[UInt8]] = [
        Array("/register alice password1\r\nhello world\n/feed before 10 5\r\0/mode json\n".utf8),
        [255, 251, 1, 255, 250, 24, 0, 65, 255, 240] + Array("/who\r\n".utf8),
        Array("caf\u{E9} \u{202E}evil\n\u{1B}[2J\n//slash\n".utf8),
    ]

    @Test func randomInputsKeepEveryInvariant() {
        var random = SplitMix64(seed: 20_261_126)
        for _ in 0..<3000 {
            let length = random.below(200)
            let input = (0..<length).map { _ in Self.alphabet[random.below(Self.alphabet.count)] }
            FuzzTarget.run(input)
        }
    }

    @Test func mutatedSeedsKeepEveryInvariant() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<3000 {
            var input = Self.seeds[random.below(Self.seeds.count)]
            for _ in 0..<(1 + random.below(8)) {
                let position = random.below(input.count + 1)
                switch random.below(4) {
                case 0: input.insert(Self.alphabet[random.below(Self.alphabet.count)], at: position)
                case 1: if position < input.count { input.remove(at: position) }
                case 2: if position < input.count { input[position] = UInt8(truncatingIfNeeded: random.next()) }
                default: input.insert(contentsOf: input[position...].prefix(16), at: position)
                }
            }
            FuzzTarget.run(input)
        }
    }
}
