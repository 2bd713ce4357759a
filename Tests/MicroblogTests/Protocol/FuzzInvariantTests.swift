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

    /// Records each invariant `input` breaks as an issue (with the input, to replay), instead of the
    /// fuzz target's crash that would end the whole test run.
    static func expectInvariants(_ input: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        for broken in FuzzTarget.violations(input) {
            Issue.record("\(broken); input: \(input)", sourceLocation: sourceLocation)
        }
    }

    /// The output checks report what they promise to, each broken rule in its own sentence.
    @Test func outputChecksReportEachBrokenRule() {
        #expect(FuzzTarget.outputViolations(Array("* posted #1\r\n".utf8), mode: .text).isEmpty)
        // IAC is never UTF-8 either: two rules broken.
        let iac = FuzzTarget.outputViolations([0x41, 255, 13, 10], mode: .text)
        #expect(iac.count == 2 && iac.contains { $0.hasPrefix("no IAC") })
        #expect(FuzzTarget.outputViolations([0x41, 10], mode: .json).map { $0.prefix(13) } == ["every json li"])
        #expect(
            FuzzTarget.outputViolations([0xC3, 0x28, 13, 10], mode: .text).map { $0.prefix(11) } == ["text output"])
    }

    @Test func randomInputsKeepEveryInvariant() {
        var random = SplitMix64(seed: 20_261_126)
        for _ in 0..<3000 {
            let length = random.below(200)
            let input = (0..<length).map { _ in Self.alphabet[random.below(Self.alphabet.count)] }
            Self.expectInvariants(input)
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
            Self.expectInvariants(input)
        }
    }
}
