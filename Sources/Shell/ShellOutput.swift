/// ShellOutput is where the command language writes: `standardOutput` for
/// what a command prints (listings, `pwd`, echoed batch lines),
/// `standardError` for error lines. Both may be called from any task. The
/// executable decides what a terminal sees; nothing below it prints.
public struct ShellOutput: Sendable {
    public let standardOutput: @Sendable (String) -> Void
    public let standardError: @Sendable (String) -> Void

    public init(standardOutput: @escaping @Sendable (String) -> Void,
                standardError: @escaping @Sendable (String) -> Void) {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// Writes one line to standard output.
    func line(_ text: String) { standardOutput(text + "\n") }
    /// Writes one error line.
    func error(_ text: String) { standardError(text + "\n") }
}
