import MicroblogModel
import MicroblogSupport
import Testing

@Suite("Web session tokens and form text")
struct SessionTokenTests {
    @Test func tokensAreFreshAndOnlyTheirHashesAndDerivationsAreShown() {
        let one = SessionToken.make()
        let two = SessionToken.make()
        #expect(one != two && SessionToken.isWellFormed(one) && SessionToken.isWellFormed(two))
        // SHA-256 of "abc" (FIPS 180-2's first example).
        #expect(SessionToken.stored("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let form = SessionToken.derived(one, purpose: "form")
        #expect(form != SessionToken.stored(one) && form != SessionToken.derived(one, purpose: "signin"))
        #expect(
            form == SessionToken.derived(one, purpose: "form") && form != SessionToken.derived(two, purpose: "form"))
        for bad in [
            "", String(repeating: "A", count: 64), String(repeating: "a", count: 63), one + "0", "g" + one.dropFirst(),
        ] {
            #expect(!SessionToken.isWellFormed(bad), "\(bad)")
        }
        #expect(SessionToken.same(one, one) && !SessionToken.same(one, two) && !SessionToken.same(one, one + "a"))
    }

    @Test func aTextareasLineBreaksBecomeSpaces() {
        #expect(WebSessionRules.postText(fromForm: "one line") == "one line")
        #expect(WebSessionRules.postText(fromForm: "first\r\nsecond\nthird\rfourth") == "first second third fourth")
        #expect(WebSessionRules.postText(fromForm: "ends with space \r\n\r\nnext") == "ends with space next")
        #expect(WebSessionRules.postText(fromForm: "\r\nleading") == "leading")
        #expect(WebSessionRules.postText(fromForm: "a\n\n\n b") == "a b")
    }
}
