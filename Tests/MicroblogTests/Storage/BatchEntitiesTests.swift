import Testing

@testable import MicroblogDomain
@testable import MicroblogFanout
@testable import MicroblogModel
@testable import MicroblogPostgres
@testable import MicroblogProtocol
@testable import MicroblogSQLite
@testable import MicroblogSSH
@testable import MicroblogServer
@testable import MicroblogStorage
@testable import MicroblogSupport
@testable import MicroblogTransport

extension StoreContract {
    /// A batch's mentions and tags, written together for the whole batch, resolve each name as
    /// `user(named:)` does and keep the semantics of a statement per row.
    static func batchMentionsAndTagsResolveLikeNames(_ store: any Store) throws {
        func at(_ offset: Int64) -> Timestamp { Timestamp(milliseconds: start.milliseconds + offset) }
        let alice = try store.createUser(
            name: "Alice", nameKey: AccountRules.nameKey("Alice"), passwordHash: "h", at: start)
        let bob = try store.createUser(name: "bob", nameKey: "bob", passwordHash: "h", at: start)
        let sam = try store.createUser(name: "sam", nameKey: "sam", passwordHash: "h", at: start)
        // Kept apart by a name-key migration: found by exactly its own name, in any case.
        let apart = try store.createUser(
            name: "5am", nameKey: AccountRules.keptApartKey("5am"), passwordHash: "h", at: start)
        let gone = try store.createUser(name: "gone", nameKey: "gone", passwordHash: "h", at: start)
        _ = try store.deleteAccount(gone.id, at: start)

        let posts = try store.insertPosts([
            // Text order, not id order; unknown names dropped; a look-alike of a name already named counts once.
            NewPost(authorID: bob.id, text: "@bob thanks @nobody, @Alice and @al1ce #One #two", createdAt: at(0)),
            // The kept-apart account by its own name in capitals; a look-alike of sam's; a deleted account.
            NewPost(authorID: alice.id, text: "@5AM @sam @S4M @gone #two", createdAt: at(1)),
            NewPost(authorID: sam.id, text: "nothing here", createdAt: at(2)),
            NewPost(authorID: apart.id, text: "@ghost #Two #TWO", createdAt: at(3)),
            // Repeats the parser would have dropped: one row each, as ON CONFLICT DO NOTHING always made it.
            NewPost(
                authorID: alice.id, text: "bob thrice", createdAt: at(4),
                entities: PostEntities(mentions: ["bob", "BOB", "b0b"], tags: ["x", "x"])),
        ])

        #expect(posts.map(\.mentions) == [["bob", "Alice"], ["5am", "sam"], [], [], ["bob"]])
        #expect(posts.map(\.mentionIDs) == [[bob.id, alice.id], [apart.id, sam.id], [], [], [bob.id]])
        #expect(posts.map(\.tags) == [["one", "two"], ["two"], [], ["two"], ["x", "x"]])
        #expect(posts.map(\.author) == ["bob", "Alice", "sam", "5am", "Alice"])

        // The stored rows: listings read them back (mentions in id order, tags by name).
        let listed = try store.feed(.latest(limit: 10))
        #expect(listed.map(\.id) == posts.map(\.id))
        #expect(listed.map(\.mentions) == [["Alice", "bob"], ["sam", "5am"], [], [], ["bob"]])
        #expect(listed.map(\.tags) == [["one", "two"], ["two"], [], ["two"], ["x"]])
        func mentioning(_ user: User) throws -> [Int64] {
            try store.posts(in: .mentioning(user.id), .latest(limit: 10)).map(\.id)
        }
        #expect(try mentioning(bob) == [posts[0].id, posts[4].id])
        #expect(try mentioning(alice) == [posts[0].id])
        #expect(try mentioning(sam) == [posts[1].id])
        #expect(try mentioning(apart) == [posts[1].id])
        #expect(try mentioning(gone) == [])
        let trending = try store.trendingTags(since: start, limit: 10)
        #expect(trending.map(\.tag) == ["two", "one", "x"] && trending.map(\.posts) == [3, 1, 1])

        // Names are resolved again for each batch: one nobody had before is somebody now.
        let nobody = try store.createUser(name: "nobody", nameKey: "nobody", passwordHash: "h", at: start)
        let later = try store.insertPosts([
            NewPost(authorID: sam.id, text: "@nobody @ghost", createdAt: at(5)),
            NewPost(authorID: nobody.id, text: "@N0BODY #two", createdAt: at(6)),
        ])
        #expect(later.map(\.mentionIDs) == [[nobody.id], [nobody.id]])
        #expect(later.map(\.author) == ["sam", "nobody"])
        #expect(try mentioning(nobody) == later.map(\.id))
        #expect(try store.trendingTags(since: start, limit: 1).map(\.posts) == [4])
    }

    /// A batch with more entity rows than SQLite writes in one statement (`SQLiteDatabase.rowsPerInsert`),
    /// including repeats inside one statement, keeps every row once, for the right post.
    static func aBatchOfManyEntityRowsKeepsEachRowOnce(_ store: any Store) throws {
        let users = try ["ann", "bob", "cat"].map {
            try store.createUser(name: $0, nameKey: $0, passwordHash: "h", at: start)
        }
        let count = 150
        let posts = try store.insertPosts(
            (0..<count).map { index in
                NewPost(
                    authorID: users[index % 3].id, text: "\(index)",
                    createdAt: Timestamp(milliseconds: start.milliseconds + Int64(index)),
                    entities: PostEntities(
                        mentions: [users[index % 3].name, users[(index + 1) % 3].name, "ANN"],
                        tags: ["t\(index % 7)", "x", "x"]))
            })
        #expect(posts.count == count)
        for (index, post) in posts.enumerated() {
            let named = [users[index % 3], users[(index + 1) % 3]]
            let expected = named.contains(users[0]) ? named : named + [users[0]]
            #expect(post.mentionIDs == expected.map(\.id))
        }
        let listed = try store.feed(.latest(limit: count))
        #expect(listed.count == count)
        for post in listed {
            let index = Int(post.text)!
            #expect(post.tags == ["t\(index % 7)", "x"].sorted())
            #expect(Set(post.mentionIDs) == Set([users[index % 3].id, users[(index + 1) % 3].id, users[0].id]))
        }
        // ann is named in every post; bob and cat each in two thirds of them.
        let mentioning = try users.map { try store.posts(in: .mentioning($0.id), .latest(limit: count)).count }
        #expect(mentioning == [count, 100, 100])
        let trending = try store.trendingTags(since: start, limit: 10)
        #expect(trending.first?.tag == "x" && trending.first?.posts == count)
        #expect(trending.dropFirst().map(\.posts).reduce(0, +) == count)
    }
}

@Suite("Batch mentions and tags")
struct BatchEntitiesTests {
    @Test(arguments: StoreEngine.available)
    func batchMentionsAndTagsResolveLikeNames(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.batchMentionsAndTagsResolveLikeNames)
    }

    @Test(arguments: StoreEngine.available)
    func aBatchOfManyEntityRowsKeepsEachRowOnce(_ engine: StoreEngine) throws {
        try engine.withStore(StoreContract.aBatchOfManyEntityRowsKeepsEachRowOnce)
    }

    @Test func rowsKeepEachPostsMentionsInTextOrderAndEachUserOnce() {
        let ann = User(id: 7, name: "ann", createdAt: StoreContract.start)
        let bob = User(id: 3, name: "bob", createdAt: StoreContract.start)
        let rows = PostEntityRows(
            [
                NewPost(authorID: 1, text: "@ann @bob @4nn @nobody #a", createdAt: StoreContract.start),
                NewPost(authorID: 1, text: "none", createdAt: StoreContract.start),
                NewPost(authorID: 1, text: "@bob #b #c", createdAt: Timestamp(milliseconds: 5)),
            ], ids: [10, 11, 12])
        #expect(rows.mentions.map(\.post) == [0, 0, 0, 0, 2])
        #expect(rows.mentions.map(\.postID) == [10, 10, 10, 10, 12])
        #expect(rows.mentions[2].keptApartKey == "=4nn" && rows.mentions[2].nameKey == "ann")
        #expect(rows.tags.map(\.postID) == [10, 12, 12] && rows.tags.map(\.createdAt)[1] == 5)
        #expect(rows.mentioned([ann, bob, ann, nil, bob]) == [[ann, bob], [], [bob]])
        #expect(!rows.isEmpty && PostEntityRows([], ids: []).isEmpty)
    }

    /// The point of the batch: on PostgreSQL a batch with many mentions and tags costs the round trips of a
    /// batch with one of each.
    @Test(.enabled(if: postgresTestURI != nil, "MICROBLOG_TEST_POSTGRES is not set: skipped"))
    func aBatchWritesItsMentionsAndTagsInOneStatement() throws {
        try withPostgresStore { store in
            let names = ["ann", "bob", "cat", "dan", "eve"]
            let users = try names.map {
                try store.createUser(name: $0, nameKey: $0, passwordHash: "h", at: StoreContract.start)
            }
            // Every author known and every statement prepared before counting.
            _ = try store.insertPosts(
                users.map { NewPost(authorID: $0.id, text: "@ann #warm", createdAt: StoreContract.start) })
            func statements(_ posts: [NewPost]) throws -> Int {
                let before = store.database.statementsRun
                _ = try store.insertPosts(posts)
                return store.database.statementsRun - before
            }
            let one = try statements([NewPost(authorID: users[0].id, text: "@bob #one", createdAt: StoreContract.start)]
            )
            let many = try statements(
                (0..<20).map {
                    NewPost(
                        authorID: users[$0 % 5].id, text: "\($0): @ann @bob @cat @nobody @B0B #one #two #three",
                        createdAt: StoreContract.start)
                })
            #expect(many == one)
            #expect(try store.posts(in: .mentioning(users[1].id), .latest(limit: 100)).count == 21)
        }
    }
}
