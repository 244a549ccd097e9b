import ArgumentParser

/// `--progress` and `--json`: how a transfer shows what it does, beside
/// `-v` and `-q` (which are connection options, as in ssh).
struct OutputFlags: ParsableArguments {
    @Flag(help: "Show the progress meter even when standard error is not a terminal (as rsync --progress); -q hides it.")
    var progress = false

    @Flag(help: "Write JSON Lines on standard output: a start event, one event per file, progress and a summary (see docs/json-output.md).")
    var json = false
}
