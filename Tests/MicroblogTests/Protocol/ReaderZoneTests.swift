import Foundation
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

/// Times in the reader's zone (`/tz`): names, offsets with daylight saving time, rendering and the
/// shared renderings of a live event.
@Suite struct ReaderZoneTests {
    /// 2026-11-26T11:20:05.123Z (winter in Paris: UTC+1) and 2026-07-01T11:20:00Z (summer: UTC+2).
    private let winter = Timestamp(milliseconds: 1_795_692_005_123)
    private let summer = Timestamp(milliseconds: 1_782_904_800_000)

    private func post(at time: Timestamp) -> Post {
        Post(id: 42, authorID: 7, author: "alice", text: "hello", createdAt: time)
    }

    @Test func namesAreIANAInAnyCaseAndUTCMeansNone() throws {
        #expect(ReaderZone(named: "Europe/Paris")?.identifier == "Europe/Paris")
        #expect(ReaderZone(named: "europe/PARIS")?.identifier == "Europe/Paris")
        #expect(ReaderZone(named: "Mars/Olympus") == nil)
        #expect(ReaderZone(named: "") == nil)
        #expect(ReaderZone(named: "UTC") == nil && ReaderZone.isUTC("utc") && ReaderZone.isUTC("GMT"))
        let paris = try #require(ReaderZone(named: "Europe/Paris"))
        #expect(paris.offsetSeconds(at: winter) == 3600)
        #expect(paris.offsetSeconds(at: summer) == 7200)
    }

    @Test func textShowsTheReadersClockAndJSONStaysUTC() throws {
        let kathmandu = try #require(ReaderZone(named: "Asia/Kathmandu"))  // UTC+5:45 all year
        let line = { (zone: ReaderZone?) in
            String(
                decoding: TextRenderer.render(
                    .post(self.post(at: self.winter), live: true), now: self.winter, zone: zone), as: UTF8.self)
        }
        #expect(line(nil) == "#42 11:20 alice: hello\r\n")
        #expect(line(kathmandu) == "#42 17:05 alice: hello\r\n")
        // Relative days follow the reader's calendar: 23:30 UTC is already tomorrow in Kathmandu.
        let late = Timestamp(milliseconds: winter.milliseconds + 12 * 3_600_000 + 10 * 60_000)
        let rendered = String(
            decoding: TextRenderer.render(.post(post(at: winter), live: false), now: late, zone: kathmandu),
            as: UTF8.self)
        #expect(rendered == "#42 yesterday 17:05 alice: hello\r\n")
        #expect(
            Renderer.render(.post(post(at: winter), live: true), mode: .json, now: winter, zone: kathmandu)
                == JSONRenderer.render(.post(post(at: winter), live: true)))
    }

    /// Notifications (a separate branch of the same issue) show the reader's clock too.
    @Test func notificationsShowTheReadersClock() throws {
        let kathmandu = try #require(ReaderZone(named: "Asia/Kathmandu"))
        let liked = AccountNotification(
            id: 3, recipientID: 1, kind: .like, actorID: 2, actor: "bob", postID: 42, createdAt: winter)
        let text = { (zone: ReaderZone?) in
            String(
                decoding: TextRenderer.render(.notification(liked, live: true), now: self.winter, zone: zone),
                as: UTF8.self)
        }
        #expect(text(nil).hasPrefix("~ n3 11:20 bob "))
        #expect(text(kathmandu).hasPrefix("~ n3 17:05 bob "))
    }

    @Test func aLiveEventIsRenderedOncePerZoneAndWidth() throws {
        let paris = try #require(ReaderZone(named: "Europe/Paris"))
        let event = EncodedEvent(.post(post(at: winter), live: true), at: winter)
        let utc = event.bytes(for: .text)
        let first = event.bytes(in: paris, colors: nil)
        #expect(String(decoding: first, as: UTF8.self) == "#42 12:20 alice: hello\r\n")
        #expect(event.bytes(in: paris, colors: nil, width: 40) == first)
        #expect(event.bytes(for: .text) == utc)
        // An event without a time is the same in every zone.
        let deleted = EncodedEvent(.deleted(ids: [1]), at: winter)
        #expect(deleted.bytes(in: paris, colors: nil) == deleted.bytes(for: .text))
    }
}
