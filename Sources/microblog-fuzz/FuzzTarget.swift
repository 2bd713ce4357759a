#if !FUZZING
    // The fuzzing build compiles this file into the same module as the core (see .ci/fuzz).
    import MicroblogCore
#endif

/// One fuzz input through the whole input path that needs no socket: telnet/line decoding (in two
/// differently split passes, which must agree), UTF-8 validation, command parsing, post rules, and
/// rendering of whatever comes out in both modes. Crashes and broken invariants stop the process.
enum FuzzTarget {
    static func run(_ bytes: [UInt8]) {
        let maxLine = 64
        var whole = LineDecoder(maxLineBytes: maxLine)
        var split = LineDecoder(maxLineBytes: maxLine)
        let wholeEvents = whole.decode(bytes)
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        let splitEvents = split.decode(bytes[..<cut]) + split.decode(bytes[cut...])
        precondition(wholeEvents == splitEvents, "decoding must not depend on how the input is split")
        for event in wholeEvents {
            guard case .line(let line) = event else { continue }
            precondition(line.count <= maxLine, "no line over the limit reaches the parser")
            precondition(!line.contains(10) && !line.contains(13), "no line end inside a line")
            guard let text = String(validating: line, as: UTF8.self) else { continue }
            guard let parsed = CommandParser.parse(text) else { continue }
            switch parsed {
            case .success(.post(let raw)):
                if case .success(let post) = PostRules.validate(raw) {
                    precondition(TextSafety.firstForbiddenScalar(in: post) == nil, "an accepted post is safe")
                    precondition(post.count <= PostRules.maxCharacters)
                    let message = ServerMessage.post(
                        Post(id: 1, authorID: 1, author: "fuzz", text: post, createdAt: Timestamp(milliseconds: 0)),
                        live: true)
                    check(message)
                }
            case .success:
                break
            case .failure(let error):
                precondition(TextSafety.firstForbiddenScalar(in: error.message) == nil, "errors echo nothing unsafe")
                check(.error(error, command: nil))
            }
        }
    }

    /// Rendered output is valid UTF-8 with no telnet byte, ending in CR LF.
    private static func check(_ message: ServerMessage) {
        for mode in [OutputMode.text, .json] {
            let bytes = Renderer.render(message, mode: mode, now: Timestamp(milliseconds: 0))
            precondition(!bytes.contains(255), "no IAC in output")
            precondition(bytes.suffix(2) == [13, 10], "every line ends with CR LF")
            precondition(String(validating: bytes, as: UTF8.self) != nil, "output is UTF-8")
        }
    }
}

#if FUZZING
    /// libFuzzer's entry point (build with -sanitize=fuzzer; see README).
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
