@testable import MicroblogProtocol

extension RendererGoldenTests {
    /// Recorded from the renderers before they were split by message family (issue 24), and again when
    /// each kind of line got its own hanging indent and `/export` lines were never wrapped (issue 25);
    /// see `RendererGoldenTests` for how to record it again.
    static let recorded = #"""
        ## ok.plain
        text 80 | * goodbye, bob\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"ok","command":"logout"}\r\n
        ## ok.fields
        text 80 | * welcome, bob\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"ok","command":"register","name":"bob","id":12,"watching":true}\r\n
        ## error.usage
        text 80 | ! usage: /who (bad_usage)\r\n
        text 40 | (as text 80)
        colour  | \u{1B}[31m! usage: /who (bad_usage)\u{1B}[0m\r\n
        json    | {"type":"error","command":"who","code":"bad_usage","message":"usage: /who"}\r\n
        ## error.noCommand
        text 80 | ! that line was not UTF-8 (bad_utf8)\r\n
        text 40 | (as text 80)
        colour  | \u{1B}[31m! that line was not UTF-8 (bad_utf8)\u{1B}[0m\r\n
        json    | {"type":"error","code":"bad_utf8","message":"that line was not UTF-8"}\r\n
        ## error.retry
        text 80 | ! slow down; try again in 2.3 s (rate_limited)\r\n
        text 40 | ! slow down; try again in 2.3 s\r\n
                |   (rate_limited)\r\n
        colour  | \u{1B}[31m! slow down; try again in 2.3 s (rate_limited)\u{1B}[0m\r\n
        json    | {"type":"error","command":"post","code":"rate_limited","message":"slow down; try again in 2.3 s","retry_after_ms":2250}\r\n
        ## error.reason
        text 80 | ! the server's disk is full (storage)\r\n
        text 40 | (as text 80)
        colour  | \u{1B}[31m! the server's disk is full (storage)\u{1B}[0m\r\n
        json    | {"type":"error","command":"post","code":"storage","reason":"full","message":"the server's disk is full"}\r\n
        ## notice
        text 80 | * welcome to microblogd: "quotes", back\\slash, tab\u{9}here, line\u{2028}sep\r\n
        text 40 | * welcome to microblogd: "quotes",\r\n
                |   back\\slash, tab\u{9}here, line\u{2028}sep\r\n
        colour  | (as text unwrapped)
        json    | {"type":"notice","message":"welcome to microblogd: \\"quotes\\", back\\\\slash, tab\\there, line\\u2028sep"}\r\n
        ## prompt
        text 80 | password:\u{20}
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"prompt","field":"password","message":"password: "}\r\n
        ## bye
        text 80 | * the server is going down\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"bye","reason":"shutdown","message":"the server is going down"}\r\n
        ## help.short
        text 80 |   /who                        list who is online\r\n
        text 40 |   /who                        list who\r\n
                |     is online\r\n
        colour  | (as text unwrapped)
        json    | {"type":"help","command":"who","usage":["/who"],"summary":"list who is online","details":[]}\r\n
        ## help.long
        text 80 |   /feed [N]\r\n
                |   /feed before ID [N]\r\n
                |   /feed since ID\r\n
                |       show the posts of the people you follow, newest last\r\n
                |       N is at most 50\r\n
                |       before and since page through older and newer posts\r\n
        text 40 |   /feed [N]\r\n
                |   /feed before ID [N]\r\n
                |   /feed since ID\r\n
                |       show the posts of the people you\r\n
                |         follow, newest last\r\n
                |       N is at most 50\r\n
                |       before and since page through\r\n
                |         older and newer posts\r\n
        colour  | (as text unwrapped)
        json    | {"type":"help","command":"feed","usage":["/feed [N]","/feed before ID [N]","/feed since ID"],"summary":"show the posts of the people you follow, newest last","details":["N is at most 50","before and since page through older and newer posts"]}\r\n
        ## help.wideUsage
        text 80 |   /notify KIND on|off | /notify  choose your notifications\r\n
        text 40 |   /notify KIND on|off | /notify  choose\r\n
                |     your notifications\r\n
        colour  | (as text unwrapped)
        json    | {"type":"help","command":"notify","usage":["/notify KIND on|off","/notify"],"summary":"choose your notifications","details":[]}\r\n
        ## helpTopic
        text 80 |   posts     /post /reply /repost /delete /feed /thread /like /unlike /search\r\n
        text 40 |   posts     /post /reply /repost /delete\r\n
                |             /feed /thread /like /unlike\r\n
                |             /search\r\n
        colour  | (as text unwrapped)
        json    | {"type":"help_topic","topic":"posts","summary":"writing and reading posts","commands":["post","reply","repost","delete","feed","thread","like","unlike","search"]}\r\n
        ## post.live
        text 80 | #42 11:20 alice: hello 😀\r\n
        text 40 | (as text 80)
        colour  | \u{1B}[2m#42 17:05\u{1B}[0m \u{1B}[96malice\u{1B}[0m: hello 😀\r\n
        json    | {"type":"post","id":42,"author":"alice","text":"hello 😀","at":"2026-11-26T11:20:05.123Z","live":true,"mentions":[],"tags":[],"likes":0}\r\n
        ## post.reply
        text 80 | #45 yesterday 15:20 bob (re #42 alice): @alice agreed #swift (3 likes)\r\n
        text 40 | #45 yesterday 15:20 bob (re #42 alice):\r\n
                |   @alice agreed #swift (3 likes)\r\n
        colour  | \u{1B}[2m#45 yesterday 21:05\u{1B}[0m \u{1B}[36mbob\u{1B}[0m (re #42 \u{1B}[96malice\u{1B}[0m): @alice agreed #swift (3 likes)\r\n
        json    | {"type":"post","id":45,"author":"bob","text":"@alice agreed #swift","at":"2026-11-25T15:20:05.123Z","live":false,"mentions":["alice"],"tags":["swift"],"reply_to":42,"reply_to_author":"alice","likes":3}\r\n
        ## post.repost
        text 80 | #46 Sun 11:20 carol reposted #42 alice: hello (1 like)\r\n
        text 40 | #46 Sun 11:20 carol reposted #42 alice:\r\n
                |   hello (1 like)\r\n
        colour  | \u{1B}[2m#46 Sun 17:05\u{1B}[0m \u{1B}[34mcarol\u{1B}[0m reposted #42 \u{1B}[96malice\u{1B}[0m: hello (1 like)\r\n
        json    | {"type":"post","id":46,"author":"carol","text":"hello","at":"2026-11-22T11:20:05.123Z","live":true,"mentions":[],"tags":[],"repost_of":42,"repost_of_author":"alice","likes":1}\r\n
        ## post.long
        text 80 | #47 Oct 17 11:20 alice: a post long enough to wrap at forty columns and again at\r\n
                |                         eighty, with @bob named in the middle of it and #golden\r\n
                |                         at its end\r\n
        text 40 | #47 Oct 17 11:20 alice: a post long\r\n
                |   enough to wrap at forty columns and\r\n
                |   again at eighty, with @bob named in\r\n
                |   the middle of it and #golden at its\r\n
                |   end\r\n
        colour  | \u{1B}[2m#47 Oct 17 17:05\u{1B}[0m \u{1B}[96malice\u{1B}[0m: a post long enough to wrap at forty columns and again at eighty, with \u{1B}[1;7m@bob\u{1B}[0m named in the middle of it and #golden at its end\r\n
        json    | {"type":"post","id":47,"author":"alice","text":"a post long enough to wrap at forty columns and again at eighty, with @bob named in the middle of it and #golden at its end","at":"2026-10-17T11:20:05.123Z","live":false,"mentions":["bob"],"tags":["golden"],"likes":0}\r\n
        ## post.lastYear
        text 80 | #3 2025-10-22 11:20 dave: old news, @bob\r\n
        text 40 | (as text 80)
        colour  | \u{1B}[2m#3 2025-10-22 17:05\u{1B}[0m \u{1B}[33mdave\u{1B}[0m: old news, \u{1B}[1;7m@bob\u{1B}[0m\r\n
        json    | {"type":"post","id":3,"author":"dave","text":"old news, @bob","at":"2025-10-22T11:20:05.123Z","live":false,"mentions":["bob"],"tags":[],"likes":0}\r\n
        ## threadPost.root
        text 80 | #42 11:20 alice: hello (2 likes)\r\n
        text 40 | (as text 80)
        colour  | \u{1B}[2m#42 17:05\u{1B}[0m \u{1B}[96malice\u{1B}[0m: hello (2 likes)\r\n
        json    | {"type":"post","id":42,"author":"alice","text":"hello","at":"2026-11-26T11:20:05.123Z","live":false,"mentions":[],"tags":[],"likes":2,"depth":0}\r\n
        ## threadPost.reply
        text 80 |   └ #45 11:20 bob: @alice agreed\r\n
        text 40 | (as text 80)
        colour  |   └ \u{1B}[2m#45 17:05\u{1B}[0m \u{1B}[36mbob\u{1B}[0m: @alice agreed\r\n
        json    | {"type":"post","id":45,"author":"bob","text":"@alice agreed","at":"2026-11-26T11:20:05.123Z","live":false,"mentions":["alice"],"tags":[],"reply_to":42,"reply_to_author":"alice","likes":0,"depth":1}\r\n
        ## threadPost.deleted
        text 80 |     └ #48 [deleted]\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"post","id":48,"deleted":true,"depth":2}\r\n
        ## deleted
        text 80 | * deleted: #46, #49\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"deleted","ids":[46,49]}\r\n
        ## missed.one
        text 80 | * 1 live post was not shown while your connection was busy; /feed since 41 shows\r\n
                |   them\r\n
        text 40 | * 1 live post was not shown while your\r\n
                |   connection was busy; /feed since 41\r\n
                |   shows them\r\n
        colour  | (as text unwrapped)
        json    | {"type":"missed","count":1,"since":41}\r\n
        ## missed.many
        text 80 | * 7 live posts were not shown while your connection was busy; /feed since 41\r\n
                |   shows them\r\n
        text 40 | * 7 live posts were not shown while your\r\n
                |   connection was busy; /feed since 41\r\n
                |   shows them\r\n
        colour  | (as text unwrapped)
        json    | {"type":"missed","count":7,"since":41}\r\n
        ## tag.one
        text 80 |   #golden (1 post)\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"tag","tag":"golden","posts":1}\r\n
        ## tag.many
        text 80 |   #swift (12 posts)\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"tag","tag":"swift","posts":12}\r\n
        ## message.live
        text 80 | DM #9 11:20 carol → bob: lunch?\r\n
        text 40 | (as text 80)
        colour  | DM #9 17:05 carol → bob: lunch?\r\n
        json    | {"type":"message","id":9,"from":"carol","to":"bob","text":"lunch?","at":"2026-11-26T11:20:05.123Z","live":true}\r\n
        ## message.listed
        text 80 | DM #8 Sun 11:20 bob → carol: a post long enough to wrap at forty columns and\r\n
                |                              again at eighty, with @bob named in the middle of\r\n
                |                              it and #golden at its end\r\n
        text 40 | DM #8 Sun 11:20 bob → carol: a post long\r\n
                |   enough to wrap at forty columns and\r\n
                |   again at eighty, with @bob named in\r\n
                |   the middle of it and #golden at its\r\n
                |   end\r\n
        colour  | DM #8 Sun 17:05 bob → carol: a post long enough to wrap at forty columns and again at eighty, with @bob named in the middle of it and #golden at its end\r\n
        json    | {"type":"message","id":8,"from":"bob","to":"carol","text":"a post long enough to wrap at forty columns and again at eighty, with @bob named in the middle of it and #golden at its end","at":"2026-11-22T11:20:05.123Z","live":false}\r\n
        ## conversation.unread
        text 80 |   carol (5 messages, 2 unread) 11:20: lunch?\r\n
        text 40 |   carol (5 messages, 2 unread) 11:20:\r\n
                |     lunch?\r\n
        colour  |   carol (5 messages, 2 unread) 17:05: lunch?\r\n
        json    | {"type":"conversation","with":"carol","latest":"lunch?","latest_mine":false,"at":"2026-11-26T11:20:05.123Z","unread":2,"messages":5}\r\n
        ## conversation.read
        text 80 |   dave (1 message) Oct 17 11:20: ok\r\n
        text 40 | (as text 80)
        colour  |   dave (1 message) Oct 17 17:05: ok\r\n
        json    | {"type":"conversation","with":"dave","latest":"ok","latest_mine":false,"at":"2026-10-17T11:20:05.123Z","unread":0,"messages":1}\r\n
        ## conversation.mine
        text 80 |   dave (2 messages) Oct 17 11:20: you: see you\r\n
        text 40 |   dave (2 messages) Oct 17 11:20: you:\r\n
                |     see you\r\n
        colour  |   dave (2 messages) Oct 17 17:05: you: see you\r\n
        json    | {"type":"conversation","with":"dave","latest":"see you","latest_mine":true,"at":"2026-10-17T11:20:05.123Z","unread":0,"messages":2}\r\n
        ## profile.away
        text 80 |   bob: tests things\r\n
                |   joined 2025-10-22 11:20; 1 post, 12 followers, following 3\r\n
                |   online now (away: at lunch)\r\n
        text 40 |   bob: tests things\r\n
                |   joined 2025-10-22 11:20; 1 post, 12\r\n
                |     followers, following 3\r\n
                |   online now (away: at lunch)\r\n
        colour  |   bob: tests things\r\n
                |   joined 2025-10-22 17:05; 1 post, 12 followers, following 3\r\n
                |   online now (away: at lunch)\r\n
        json    | {"type":"profile","name":"bob","bio":"tests things","joined":"2025-10-22T11:20:05.123Z","posts":1,"followers":12,"following":3,"sessions":2,"away":"at lunch"}\r\n
        ## profile.awayPlain
        text 80 |   bob\r\n
                |   joined 2025-10-22 11:20; 1 post, 12 followers, following 3\r\n
                |   online now (away)\r\n
        text 40 |   bob\r\n
                |   joined 2025-10-22 11:20; 1 post, 12\r\n
                |     followers, following 3\r\n
                |   online now (away)\r\n
        colour  |   bob\r\n
                |   joined 2025-10-22 17:05; 1 post, 12 followers, following 3\r\n
                |   online now (away)\r\n
        json    | {"type":"profile","name":"bob","bio":"","joined":"2025-10-22T11:20:05.123Z","posts":1,"followers":12,"following":3,"sessions":1,"away":"away"}\r\n
        ## profile.seen
        text 80 |   bob: tests things\r\n
                |   joined 2025-10-22 11:20; 1 post, 12 followers, following 3\r\n
                |   last seen yesterday 15:20\r\n
        text 40 |   bob: tests things\r\n
                |   joined 2025-10-22 11:20; 1 post, 12\r\n
                |     followers, following 3\r\n
                |   last seen yesterday 15:20\r\n
        colour  |   bob: tests things\r\n
                |   joined 2025-10-22 17:05; 1 post, 12 followers, following 3\r\n
                |   last seen yesterday 21:05\r\n
        json    | {"type":"profile","name":"bob","bio":"tests things","joined":"2025-10-22T11:20:05.123Z","posts":1,"followers":12,"following":3,"sessions":0,"last_seen":"2026-11-25T15:20:05.123Z"}\r\n
        ## profile.neverSeen
        text 80 |   bob\r\n
                |   joined 2025-10-22 11:20; 1 post, 12 followers, following 3\r\n
                |   not seen yet\r\n
        text 40 |   bob\r\n
                |   joined 2025-10-22 11:20; 1 post, 12\r\n
                |     followers, following 3\r\n
                |   not seen yet\r\n
        colour  |   bob\r\n
                |   joined 2025-10-22 17:05; 1 post, 12 followers, following 3\r\n
                |   not seen yet\r\n
        json    | {"type":"profile","name":"bob","bio":"","joined":"2025-10-22T11:20:05.123Z","posts":1,"followers":12,"following":3,"sessions":0}\r\n
        ## user.who
        text 80 |   carol\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"user","name":"carol","sessions":1}\r\n
        ## user.whoAway
        text 80 |   carol (3 sessions; away: at lunch)\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"user","name":"carol","sessions":3,"away":"at lunch"}\r\n
        ## user.peopleOnline
        text 80 |   dave (online; away)\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"user","name":"dave","sessions":1,"away":"away"}\r\n
        ## user.peopleOffline
        text 80 |   erin (offline)\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"user","name":"erin","sessions":0}\r\n
        ## user.newFollower
        text 80 |   new follower: frank (offline)\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"user","name":"frank","sessions":0,"new_follower":true}\r\n
        ## catchUp.everything
        text 80 | * while you were away (since Sun 11:20): 3 new posts from people you follow, 1\r\n
                |   mention, new followers carol and dave (/catchup); 2 unread messages (/inbox);\r\n
                |   4 likes, 1 repost, 2 replies of your posts (/notifications)\r\n
        text 40 | * while you were away (since Sun 11:20):\r\n
                |   3 new posts from people you follow, 1\r\n
                |   mention, new followers carol and dave\r\n
                |   (/catchup); 2 unread messages\r\n
                |   (/inbox); 4 likes, 1 repost, 2 replies\r\n
                |   of your posts (/notifications)\r\n
        colour  | * while you were away (since Sun 17:05): 3 new posts from people you follow, 1 mention, new followers carol and dave (/catchup); 2 unread messages (/inbox); 4 likes, 1 repost, 2 replies of your posts (/notifications)\r\n
        json    | {"type":"catchup","since":"2026-11-22T11:20:05.123Z","posts":3,"mentions":1,"messages":2,"followers":["carol","dave"],"likes":4,"reposts":1,"replies":2}\r\n
        ## catchUp.oneOfEach
        text 80 | * while you were away (since Sun 11:20): 1 new post from people you follow, 2\r\n
                |   mentions (/catchup); 1 unread message (/inbox); 1 reply of your posts\r\n
                |   (/notifications)\r\n
        text 40 | * while you were away (since Sun 11:20):\r\n
                |   1 new post from people you follow, 2\r\n
                |   mentions (/catchup); 1 unread message\r\n
                |   (/inbox); 1 reply of your posts\r\n
                |   (/notifications)\r\n
        colour  | * while you were away (since Sun 17:05): 1 new post from people you follow, 2 mentions (/catchup); 1 unread message (/inbox); 1 reply of your posts (/notifications)\r\n
        json    | {"type":"catchup","since":"2026-11-22T11:20:05.123Z","posts":1,"mentions":2,"messages":1,"followers":[],"likes":0,"reposts":0,"replies":1}\r\n
        ## catchUp.oneMessage
        text 80 | * while you were away (since Sun 11:20): 1 unread message (/inbox)\r\n
        text 40 | * while you were away (since Sun 11:20):\r\n
                |   1 unread message (/inbox)\r\n
        colour  | * while you were away (since Sun 17:05): 1 unread message (/inbox)\r\n
        json    | {"type":"catchup","since":"2026-11-22T11:20:05.123Z","posts":0,"mentions":0,"messages":1,"followers":[],"likes":0,"reposts":0,"replies":0}\r\n
        ## catchUp.messages
        text 80 | * while you were away (since Sun 11:20): 3 unread messages (/inbox)\r\n
        text 40 | * while you were away (since Sun 11:20):\r\n
                |   3 unread messages (/inbox)\r\n
        colour  | * while you were away (since Sun 17:05): 3 unread messages (/inbox)\r\n
        json    | {"type":"catchup","since":"2026-11-22T11:20:05.123Z","posts":0,"mentions":0,"messages":3,"followers":[],"likes":0,"reposts":0,"replies":0}\r\n
        ## catchUp.reactions
        text 80 | * while you were away (since Sun 11:20): 1 like, 2 reposts of your posts\r\n
                |   (/notifications)\r\n
        text 40 | * while you were away (since Sun 11:20):\r\n
                |   1 like, 2 reposts of your posts\r\n
                |   (/notifications)\r\n
        colour  | * while you were away (since Sun 17:05): 1 like, 2 reposts of your posts (/notifications)\r\n
        json    | {"type":"catchup","since":"2026-11-22T11:20:05.123Z","posts":0,"mentions":0,"messages":0,"followers":[],"likes":1,"reposts":2,"replies":0}\r\n
        ## notification.follow
        text 80 | ~ n1 yesterday 15:20 carol followed you\r\n
        text 40 | (as text 80)
        colour  | ~ n1 yesterday 21:05 carol followed you\r\n
        json    | {"type":"notification","id":1,"kind":"follow","from":"carol","at":"2026-11-25T15:20:05.123Z","live":true}\r\n
        ## notification.like
        text 80 | ~ n2 yesterday 15:20 carol liked your post #45\r\n
        text 40 | ~ n2 yesterday 15:20 carol liked your\r\n
                |   post #45\r\n
        colour  | ~ n2 yesterday 21:05 carol liked your post #45\r\n
        json    | {"type":"notification","id":2,"kind":"like","from":"carol","post":45,"at":"2026-11-25T15:20:05.123Z","live":false}\r\n
        ## notification.repost
        text 80 | ~ n3 yesterday 15:20 carol reposted your post #45\r\n
        text 40 | ~ n3 yesterday 15:20 carol reposted your\r\n
                |   post #45\r\n
        colour  | ~ n3 yesterday 21:05 carol reposted your post #45\r\n
        json    | {"type":"notification","id":3,"kind":"repost","from":"carol","post":45,"at":"2026-11-25T15:20:05.123Z","live":true}\r\n
        ## notification.reply
        text 80 | ~ n4 yesterday 15:20 carol replied to your post #45 with #47\r\n
        text 40 | ~ n4 yesterday 15:20 carol replied to\r\n
                |   your post #45 with #47\r\n
        colour  | ~ n4 yesterday 21:05 carol replied to your post #45 with #47\r\n
        json    | {"type":"notification","id":4,"kind":"reply","from":"carol","post":47,"reply_to":45,"at":"2026-11-25T15:20:05.123Z","live":false}\r\n
        ## notification.replyGone
        text 80 | ~ n5 yesterday 15:20 carol replied to you in #47\r\n
        text 40 | ~ n5 yesterday 15:20 carol replied to\r\n
                |   you in #47\r\n
        colour  | ~ n5 yesterday 21:05 carol replied to you in #47\r\n
        json    | {"type":"notification","id":5,"kind":"reply","from":"carol","post":47,"at":"2026-11-25T15:20:05.123Z","live":false}\r\n
        ## notification.mention
        text 80 | ~ n6 yesterday 15:20 carol mentioned you in #45\r\n
        text 40 | ~ n6 yesterday 15:20 carol mentioned you\r\n
                |   in #45\r\n
        colour  | ~ n6 yesterday 21:05 carol mentioned you in #45\r\n
        json    | {"type":"notification","id":6,"kind":"mention","from":"carol","post":45,"at":"2026-11-25T15:20:05.123Z","live":true}\r\n
        ## notifySettings.default
        text 80 |   notifications: follow on, like on, repost on, reply on, mention on; bell off\r\n
        text 40 |   notifications: follow on, like on,\r\n
                |                  repost on, reply on,\r\n
                |                  mention on; bell off\r\n
        colour  | (as text unwrapped)
        json    | {"type":"notify","follow":true,"like":true,"repost":true,"reply":true,"mention":true,"bell":false}\r\n
        ## notifySettings.some
        text 80 |   notifications: follow on, like off, repost off, reply on, mention on; bell on\r\n
        text 40 |   notifications: follow on, like off,\r\n
                |                  repost off, reply on,\r\n
                |                  mention on; bell on\r\n
        colour  | (as text unwrapped)
        json    | {"type":"notify","follow":true,"like":false,"repost":false,"reply":true,"mention":true,"bell":true}\r\n
        ## sshKey.comment
        text 80 |   2 ssh-ed25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG bob@laptop\r\n
                |     (added Oct 17 11:20)\r\n
        text 40 |   2 ssh-ed25519\r\n
                |     SHA256:abcdefghijklmnopqrstuvwxyz012\r\n
                |     3456789ABCDEFG bob@laptop (added Oct\r\n
                |     17 11:20)\r\n
        colour  |   2 ssh-ed25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG bob@laptop (added Oct 17 17:05)\r\n
        json    | {"type":"key","number":2,"key_type":"ssh-ed25519","fingerprint":"SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG","comment":"bob@laptop","added":"2026-10-17T11:20:05.123Z","key":"AAAAC3NzaC1lZDI1NTE5"}\r\n
        ## sshKey.noComment
        text 80 |   1 ssh-rsa SHA256:0123 (added 11:20)\r\n
        text 40 | (as text 80)
        colour  |   1 ssh-rsa SHA256:0123 (added 17:05)\r\n
        json    | {"type":"key","number":1,"key_type":"ssh-rsa","fingerprint":"SHA256:0123","comment":"","added":"2026-11-26T11:20:05.123Z","key":"AAAAB3NzaC1yc2E="}\r\n
        ## exportRecord.post
        text 80 | {"type":"export","kind":"post","id":45,"at":"2026-11-25T15:20:05.123Z","text":"@alice agreed","reply_to":42}\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"export","kind":"post","id":45,"at":"2026-11-25T15:20:05.123Z","text":"@alice agreed","reply_to":42}\r\n
        ## exportRecord.repost
        text 80 | {"type":"export","kind":"post","id":46,"at":"2026-11-22T11:20:05.123Z","text":"","repost_of":42}\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"export","kind":"post","id":46,"at":"2026-11-22T11:20:05.123Z","text":"","repost_of":42}\r\n
        ## exportRecord.like
        text 80 | {"type":"export","kind":"like","post":42,"at":"2026-11-26T11:20:05.123Z"}\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"export","kind":"like","post":42,"at":"2026-11-26T11:20:05.123Z"}\r\n
        ## exportRecord.follow
        text 80 | {"type":"export","kind":"follow","name":"alice","at":"2025-10-22T11:20:05.123Z"}\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"export","kind":"follow","name":"alice","at":"2025-10-22T11:20:05.123Z"}\r\n
        ## exportRecord.message
        text 80 | {"type":"export","kind":"message","id":8,"at":"2026-11-22T11:20:05.123Z","from":"bob","to":"carol","text":"see you \\"soon\\""}\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"export","kind":"message","id":8,"at":"2026-11-22T11:20:05.123Z","from":"bob","to":"carol","text":"see you \\"soon\\""}\r\n
        ## exportEnd
        text 80 | {"type":"export_end","name":"bob","posts":2,"likes":1,"follows":0,"messages":1}\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"export_end","name":"bob","posts":2,"likes":1,"follows":0,"messages":1}\r\n
        ## announcement
        text 80 | *** announcement from admin: maintenance at 22:00 UTC, back in ten minutes\r\n
        text 40 | *** announcement from admin: maintenance\r\n
                |   at 22:00 UTC, back in ten minutes\r\n
        colour  | (as text unwrapped)
        json    | {"type":"announcement","from":"admin","message":"maintenance at 22:00 UTC, back in ten minutes"}\r\n
        ## report.open
        text 80 |   report 3 yesterday 15:20 by carol (spam) on #45 bob: @alice agreed\r\n
        text 40 |   report 3 yesterday 15:20 by carol\r\n
                |     (spam) on #45 bob: @alice agreed\r\n
        colour  |   report 3 yesterday 21:05 by carol (spam) on #45 bob: @alice agreed\r\n
        json    | {"type":"report","id":3,"post":45,"author":"bob","text":"@alice agreed","deleted":false,"reporter":"carol","reason":"spam","at":"2026-11-25T15:20:05.123Z"}\r\n
        ## report.deleted
        text 80 |   report 4 11:20 by dave (rude) on #48 carol [deleted]\r\n
        text 40 |   report 4 11:20 by dave (rude) on #48\r\n
                |     carol [deleted]\r\n
        colour  |   report 4 17:05 by dave (rude) on #48 carol [deleted]\r\n
        json    | {"type":"report","id":4,"post":48,"author":"carol","text":"","deleted":true,"reporter":"dave","reason":"rude","at":"2026-11-26T11:20:05.123Z"}\r\n
        ## inviteCode
        text 80 |   invite code ABCD-EFGH\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"invite","code":"ABCD-EFGH"}\r\n
        ## stats
        text 80 |   uptime_seconds    3725\r\n
                |   posts_per_second  1.235\r\n
                |   load              12\r\n
                |   db                sqlite\r\n
                |   nan               0\r\n
        text 40 | (as text 80)
        colour  | (as text unwrapped)
        json    | {"type":"stats","uptime_seconds":3725,"posts_per_second":1.235,"load":12,"db":"sqlite","nan":0}\r\n
        """#
}
