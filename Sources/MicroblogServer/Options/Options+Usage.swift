/// `microblogd --help`: every option of `Options.table`, by section, and the subcommands.
extension Options {
    /// The columns `--help` fits in: a terminal's usual width.
    static let helpWidth = 80

    public static var usage: String {
        var text = """
            usage: microblogd [options]

            A microblog server you use with telnet or nc.

            options:

            """
        for option in table where option.section == .general { text += option.usageLines }
        text += "\nlimits (0 means unlimited or never):\n"
        for option in table where option.section == .limits { text += option.usageLines }
        text += """

            subcommands (see microblogd backup --help):
              microblogd backup --db PATH OUT [--force]
              microblogd check --db PATH
              microblogd export --db PATH [--user NAME] [--since ID] [--format jsonl|twtxt]
              microblogd migrate --from PATH.sqlite --to postgresql://...
              microblogd account create NAME --db PATH

            Once listening it prints "listening on HOST:PORT" on standard output.
            Logs go to standard error. Stop it with Ctrl-C (SIGINT) or SIGTERM.
            """
        return text
    }
}
