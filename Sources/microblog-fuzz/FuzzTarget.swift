#if !FUZZING
    // The fuzzing build compiles this file into the same module as the core (see .ci/fuzz).
    import MicroblogModel
    import MicroblogProtocol
#endif

/// One fuzz input through the whole input path that needs no socket: telnet/line decoding (in two
/// differently split passes, which must agree), UTF-8 validation, command parsing, post rules, and
/// rendering of whatever comes out in both modes. `violations` says which invariants an input breaks,
/// for tests to report; `run` stops the process on the first, which is how libFuzzer learns of it.
enum FuzzTarget {
    /// Crashes (under libFuzzer: reports and saves the input) if `bytes` break an invariant.
    static func run(_ bytes: [UInt8]) {
        if let broken = violations(bytes).first { preconditionFailure(broken) }
    }

    /// The invariants `bytes` break, each said in a sentence; empty when every one holds.
    static func violations(_ bytes: [UInt8]) -> [String] {
        var broken: [String] = []
        func expect(_ holds: Bool, _ invariant: @autoclosure () -> String) {
            if !holds { broken.append(invariant()) }
        }
        let maxLine = 64
        var whole = LineDecoder(maxLineBytes: maxLine)
        var split = LineDecoder(maxLineBytes: maxLine)
        let wholeEvents = whole.decode(bytes)
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        let splitEvents = split.decode(bytes[..<cut]) + split.decode(bytes[cut...])
        expect(wholeEvents == splitEvents, "decoding must not depend on how the input is split (cut at \(cut))")
        for event in wholeEvents {
            guard case .line(let line) = event else { continue }
            expect(line.count <= maxLine, "no line over the limit reaches the parser: \(line.count) bytes")
            expect(!line.contains(10) && !line.contains(13), "no line end inside a line: \(line)")
            guard let text = String(validating: line, as: UTF8.self) else { continue }
            guard let parsed = CommandParser.parse(text) else { continue }
            switch parsed {
            case .success(.post(let raw)):
                if case .success(let post) = PostRules.validate(raw) {
                    expect(
                        TextSafety.firstForbiddenScalar(in: post) == nil,
                        "an accepted post is safe: \(post.debugDescription)")
                    expect(
                        post.count <= PostRules.maxCharacters, "an accepted post is at most the limit: \(post.count)")
                    let message = ServerMessage.post(
                        Post(id: 1, authorID: 1, author: "fuzz", text: post, createdAt: Timestamp(milliseconds: 0)),
                        live: true)
                    broken += renderingViolations(message)
                }
            case .success:
                break
            case .failure(let error):
                expect(
                    TextSafety.firstForbiddenScalar(in: error.message) == nil,
                    "errors echo nothing unsafe: \(error.message.debugDescription)")
                broken += renderingViolations(.error(error, command: nil))
            }
        }
        return broken
    }

    /// Both renderings of `message` keep the output invariants.
    private static func renderingViolations(_ message: ServerMessage) -> [String] {
        [OutputMode.text, .json].flatMap { mode in
            outputViolations(Renderer.render(message, mode: mode, now: Timestamp(milliseconds: 0)), mode: mode)
        }
    }

    /// Rendered output is valid UTF-8 with no telnet byte, ending in CR LF.
    static func outputViolations(_ bytes: [UInt8], mode: OutputMode) -> [String] {
        var broken: [String] = []
        if bytes.contains(255) { broken.append("no IAC in \(mode) output: \(bytes)") }
        if bytes.suffix(2) != [13, 10] { broken.append("every \(mode) line ends with CR LF: \(bytes)") }
        if String(validating: bytes, as: UTF8.self) == nil { broken.append("\(mode) output is UTF-8: \(bytes)") }
        return broken
    }
}

#if FUZZING
    /// libFuzzer's entry point (build with -sanitize=fuzzer; see .ci/fuzz and docs/architecture.md,
    /// Testing).
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
        FuzzTarget.run(Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
#else
    import Foundation

    /// Without libFuzzer: runs each file given on the command line (a corpus or a crash) once.
    @main
    struct ReplayCorpus {
        static func main() throws {
            for path in CommandLine.arguments.dropFirst() {
                FuzzTarget.run(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            }
            print("ran \(CommandLine.arguments.count - 1) inputs")
        }
    }
#endif
