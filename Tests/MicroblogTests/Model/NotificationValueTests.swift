@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport
import Testing

@testable import MicroblogServer
@testable import MicroblogModel

@Suite("Notification values")
struct NotificationValueTests {
    private let at = Timestamp(milliseconds: 1_000)

    @Test func aPostTellsWhomItMentionsAndTheAuthorItAnswersOnceEach() {
        var reply = Post(
            id: 9, authorID: 2, author: "bob", text: "@carol and @alice", createdAt: at, mentionIDs: [3, 1, 2],
            replyTo: PostReference(id: 4, author: "alice", authorID: 1))
        #expect(
            NewNotification.about(reply).map { "\($0.recipientID) \($0.kind.rawValue) \($0.postID ?? 0)" } == [
                "3 mention 9", "1 mention 9",
            ])
        reply.mentionIDs = []
        #expect(NewNotification.about(reply).map(\.kind) == [.reply])
        reply.replyTo = PostReference(id: 4, author: "bob", authorID: 2)
        #expect(NewNotification.about(reply).isEmpty)
    }

    @Test func aRepostTellsTheOriginalsAuthorAboutTheOriginal() {
        let repost = Post(
            id: 9, authorID: 2, author: "bob", text: "x", createdAt: at,
            repostOf: PostReference(id: 4, author: "alice", authorID: 1))
        #expect(
            NewNotification.about(repost) == [
                NewNotification(recipientID: 1, kind: .repost, actorID: 2, postID: 4, createdAt: at)
            ])
    }

    @Test func settingsAreStoredAsWordsAndUnknownWordsAreIgnored() {
        let settings = NotificationSettings(off: [.mention, .follow], bell: true)
        #expect(settings.storedOff == "follow mention")
        #expect(NotificationSettings(storedOff: "mention dm follow", bell: true) == settings)
    }

    @Test func textAndJSONRenderings() {
        let note = AccountNotification(
            id: 7, recipientID: 1, kind: .like, actorID: 2, actor: "bob", postID: 12, createdAt: at)
        let text = String(decoding: TextRenderer.render(.notification(note, live: true), now: at), as: UTF8.self)
        #expect(text.hasPrefix("~ n7 ") && text.hasSuffix(" bob liked your post #12\r\n"), "\(text)")
        let json = String(decoding: JSONRenderer.render(.notification(note, live: true)), as: UTF8.self)
        #expect(
            json == "{\"type\":\"notification\",\"id\":7,\"kind\":\"like\",\"from\":\"bob\",\"post\":12,"
                + "\"at\":\"1970-01-01T00:00:01.000Z\",\"live\":true}\r\n", "\(json)")
        #expect(!text.utf8.contains(0x07) && !json.utf8.contains(0x07))
        var reply = note
        reply.kind = .reply
        reply.postID = 15
        reply.replyTo = 12
        let replyText = String(decoding: TextRenderer.render(.notification(reply, live: false), now: at), as: UTF8.self)
        #expect(replyText.hasSuffix(" bob replied to your post #12 with #15\r\n"), "\(replyText)")
        let replyJSON = String(decoding: JSONRenderer.render(.notification(reply, live: false)), as: UTF8.self)
        #expect(replyJSON.contains("\"post\":15,\"reply_to\":12,"), "\(replyJSON)")
    }
}
