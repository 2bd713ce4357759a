import Foundation
import MicroblogTestSupport
import Testing

/// How the benchmark's posters tell an accepted post from a refused one: on microblogd's real answers,
/// and on Redis's replies to `PUBLISH`.
@Suite struct PostAnswerTests {
    /// Posts pipelined past the default posting rate (a burst of 10, then 1 a second): each gets one
    /// answer, and the refusals count as refused, not as lines that answer nothing.
    @Test func pipelinedPostsPastTheRateAreEachAnsweredAndTheRefusalsCounted() throws {
        let server = try TestServer()
        let poster = try server.registeredClient("poster")
        let posts = 20
        poster.sendBytes(Array((1...posts).map { "post \($0)\n" }.joined().utf8))
        var accepted = 0
        var refused: [String] = []
        let deadline = Date().timeIntervalSince1970 + 10
        while accepted + refused.count < posts {
            let line = try poster.readLine(deadline: deadline)
            switch PostAnswer.microblogd(line) {
            case .accepted: accepted += 1
            case .refused: refused.append(line)
            case nil: continue
            }
        }
        #expect(accepted >= 10 && accepted < posts, "\(accepted) accepted")
        #expect(refused.allSatisfy { $0.contains("posting too fast") }, "\(refused)")
        // Nothing is left over: no post had a second answer before the next command's.
        poster.send("/who")
        let rest = try poster.readUntil { $0.hasPrefix("* ") && $0.contains(" online, ") }
        #expect(rest.allSatisfy { PostAnswer.microblogd($0) == nil }, "\(rest)")
    }

    @Test func linesThatAnswerNoPostAreNeitherAcceptedNorRefused() {
        #expect(PostAnswer.microblogd("* posted #12") == .accepted)
        #expect(PostAnswer.microblogd("! you are posting too fast; try again in 1 s (rate_limited)") == .refused)
        // An error's continuation, wrapped at 80 columns, and a live post.
        #expect(PostAnswer.microblogd("  (rate_limited)") == nil)
        #expect(PostAnswer.microblogd("#12 alice 10:00 t=99 n=0") == nil)
        #expect(PostAnswer.redis(":10000") == .accepted)
        #expect(PostAnswer.redis("-ERR wrong number of arguments for 'publish' command") == .refused)
        #expect(PostAnswer.redis("*3") == nil)
    }
}
