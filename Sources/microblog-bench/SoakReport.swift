import Foundation

enum SoakReport {
    static func print(_ report: SoakScenario.Report, clients: Int, json: Bool, lifted: [String]) {
        let counters = report.counters
        let problems = counters.unexpected.values.reduce(0, +)
        func text(_ value: Int?) -> String { value.map(String.init) ?? "n/a" }
        if json {
            var fields: [String] = [
                "\"scenario\":\"soak\"", "\"clients\":\(clients)", "\"seconds\":\(Int(report.seconds))",
                "\"sessions\":\(counters.sessions)", "\"commands\":\(counters.commands)", "\"posts\":\(counters.posts)",
                "\"unexpected\":\(problems)",
                "\"descriptors_before\":\(text(report.descriptorsBefore))",
                "\"descriptors_after\":\(text(report.descriptorsAfter))",
                "\"rss_kib_before\":\(text(report.residentKiBBefore))",
                "\"rss_kib_peak\":\(text(report.residentKiBPeak))",
                "\"rss_kib_after\":\(text(report.residentKiBAfter))",
                "\"server_exit\":\(text(report.serverExit.map(Int.init)))",
                "\"lifted\":[\(lifted.map { "\"\($0)\"" }.joined(separator: ","))]",
            ]
            fields.append(
                "\"unexpected_by_kind\":{\(counters.unexpected.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ","))}"
            )
            Swift.print("{" + fields.joined(separator: ",") + "}")
            return
        }
        let rows: [(String, String)] = [
            ("clients at once", String(clients)),
            ("seconds", String(Int(report.seconds))),
            ("sessions", String(counters.sessions)),
            ("commands", String(counters.commands)),
            ("posts acknowledged", String(counters.posts)),
            ("unexpected replies or failures", String(problems)),
            (
                "server descriptors before / after",
                "\(text(report.descriptorsBefore)) / \(text(report.descriptorsAfter))"
            ),
            (
                "server RSS KiB before / peak / after",
                "\(text(report.residentKiBBefore)) / \(text(report.residentKiBPeak)) / \(text(report.residentKiBAfter))"
            ),
            ("server exit status on SIGTERM", text(report.serverExit.map(Int.init))),
        ]
        for (name, value) in rows {
            Swift.print(name.padding(toLength: 38, withPad: " ", startingAt: 0) + value)
        }
        for (kind, count) in counters.unexpected.sorted(by: { $0.key < $1.key }) {
            Swift.print("  \(kind): \(count)")
        }
        for sample in counters.samples { Swift.print("  e.g. \(sample)") }
    }
}
