import MicroblogFanout
import MicroblogModel
import MicroblogProtocol
import MicroblogStorage
import MicroblogSupport

/// `/stats` and the periodic stats line: the same figures, gathered on the server queue, with the
/// database counts read on the storage queue.
extension Microblog {
    /// `/stats`, for administrators (`CommandAccess.administrator`).
    func stats(for session: Session) {
        let reply = waiting(session, command: "stats")
        collectStats { fields in
            session.send(.stats(fields))
            session.send(.ok(Ack(command: "stats", message: "server statistics")))
            reply.finish()
        }
    }

    /// The stats line for the log: `event=stats uptime_seconds=... connections=...`.
    public func logStats() {
        checkConfined()
        collectStats { [self] fields in
            log.log(.info, "stats", pairs: fields.map { ($0.name, $0.formatted) })
        }
    }

    /// The figures of `/stats` and the storage faults logged, for the web door's `/metrics`; `done` runs
    /// on the server queue.
    public func metricsFields(_ done: @escaping ([StatsField]) -> Void) {
        checkConfined()
        collectStats { [self] fields in done(fields + [StatsField("storage_faults_total", .int(metrics.storageFaults))])
        }
    }

    /// Gathers every figure, in the documented order (Protocol.md, `/stats`), and hands them to `done`
    /// on the server queue.
    func collectStats(_ done: @escaping ([StatsField]) -> Void) {
        storage.perform({ store in try store.counts() }) { [self] result in
            let counts = try? result.get()
            done(statsFields(users: counts?.users, posts: counts?.posts))
        }
    }

    private func statsFields(users: Int?, posts: Int?) -> [StatsField] {
        let now = MonotonicClock.now()
        metrics.sample(deliveredTotal: hub.delivered, now: now)
        let process = processFigures?() ?? ProcessFigures()
        let commits = metrics.commitMilliseconds(now: now)
        func optional(_ name: String, _ value: Int?) -> StatsField {
            StatsField(name, value.map { .int($0) } ?? .text("unknown"))
        }
        func milliseconds(_ name: String, _ value: Double?) -> StatsField {
            StatsField(name, value.map { .double($0) } ?? .int(0))
        }
        var fields: [StatsField] = [
            StatsField("version", .text(settings.version)),
            StatsField("uptime_seconds", .int(Int(now - metrics.startedAt))),
            StatsField("connections", .int(process.connections)),
            StatsField("connections_peak", .int(max(metrics.peakConnections, process.connections))),
            StatsField("sessions_logged_in", .int(directory.sessionsByUser.values.reduce(0) { $0 + $1.count })),
            StatsField("sessions_watching", .int(hub.count)),
            optional("users", users),
            optional("posts", posts),
            StatsField("posts_last_minute", .int(metrics.postsLastMinute(now: now))),
            StatsField("deliveries_per_second", .double(metrics.deliveriesPerSecond(now: now))),
            StatsField("deliveries_total", .int(hub.delivered)),
            StatsField("live_dropped_total", .int(hub.dropped)),
        ]
        for (name, reason) in Self.disconnectReasons {
            let count = reason.map { metrics.disconnects[$0.rawValue] ?? 0 } ?? metrics.refused
            fields.append(StatsField("disconnects_\(name)", .int(count)))
        }
        fields += [
            StatsField("commits_last_minute", .int(commits.count)),
            milliseconds("commit_p50_ms", commits.p50),
            milliseconds("commit_p99_ms", commits.p99),
            optional("db_bytes", process.databaseBytes),
            optional("wal_bytes", process.walBytes),
            optional("rss_bytes", process.residentBytes),
            optional("open_files", process.openFiles),
            optional("open_files_limit", process.openFilesLimit),
        ]
        return fields
    }

    /// The disconnect counters shown, in order: why connections ended since the start. `limit` counts
    /// connections refused at a connection limit, which never became sessions.
    private static let disconnectReasons: [(String, CloseReason?)] = [
        ("quit", .quit), ("peer_closed", .peerClosed), ("idle", .idle), ("slow_reader", .slowReader),
        ("banned", .banned), ("kicked", .kicked), ("limit", nil), ("error", .error),
    ]
}
