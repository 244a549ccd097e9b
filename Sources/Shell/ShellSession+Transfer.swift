import SFTP
import Transfer

/// get, reget, put and reput: sftp's argument rules (globs, an optional
/// destination that must be a directory when several files match), run
/// through the Transfer engine, so every file lands atomically and `-a`
/// resumes with verification.
extension ShellSession {
    /// What one transfer command came to.
    public struct TransferOutcome: Sendable {
        /// False when the command failed (any file, or its arguments).
        public var succeeded: Bool
        /// The engine's report (files, bytes, failures).
        public var report: TransferReport
    }

    /// Runs a get or put with up to `width` files in flight; `state` is
    /// the state the command sees (it changes nothing).
    public func transfer(_ command: ShellCommand, _ state: ShellState, width: Int) async -> TransferOutcome {
        var options = files.options
        options.concurrentFiles = max(1, width)
        let output = self.output
        let verbose = self.verbose
        func configured(_ flags: ShellCommand.TransferFlags) -> FileTransfer {
            options.resume = flags.resume
            options.preserve = flags.preserve
            return files.sharing(options: options) { event in
                switch event {
                case .failed(let error): output.error(error.message)
                case .skipped(let path, let reason): output.error("\(path): \(reason), skipped")
                case .notice(let path, let message): output.error("\(path): \(message)")
                case .finished: break
                }
            }
        }
        switch command {
        case .get(let flags, let source, let destination):
            let pattern = ShellState.join(GlobPattern.escape(state.remoteDirectory), source)
            let matches: [RemoteGlob.Match]
            do { matches = try await RemoteGlob(client: client).expand(pattern) } catch {
                output.error("File \"\(show(GlobPattern.literal(pattern)))\" not found.")
                return TransferOutcome(succeeded: false, report: TransferReport())
            }
            guard !matches.isEmpty else {
                output.error("File \"\(show(GlobPattern.literal(pattern)))\" not found.")
                return TransferOutcome(succeeded: false, report: TransferReport())
            }
            let target = destination.map { state.local($0) } ?? state.localDirectory
            if matches.count > 1, let destination, !LocalDirectory.exists(target) {
                output.error("Multiple source paths, but destination \"\(show(destination))\" is not a directory")
                return TransferOutcome(succeeded: false, report: TransferReport())
            }
            if verbose {
                for match in matches {
                    output.line("\(flags.resume ? "Resuming" : "Fetching") \(show(match.path)) to \(show(destination ?? RemoteName.last(match.path)))")
                }
            }
            let report = await configured(flags).get(matches.map { SFTPPath(bytes: $0.path) }, to: LocalPath(bytes: target),
                                                     recursive: flags.recursive)
            return TransferOutcome(succeeded: report.succeeded, report: report)
        case .put(let flags, let source, let destination):
            let pattern = ShellState.join(GlobPattern.escape(state.localDirectory), source)
            let sources = LocalGlob.expand(pattern)
            let target = destination.map { state.remote($0) } ?? state.remoteDirectory
            if verbose {
                for path in sources {
                    output.line("\(flags.resume ? "Resuming upload of" : "Uploading") \(show(path)) to \(show(destination.map { state.remote($0) } ?? state.remote(RemoteName.last(path))))")
                }
            }
            let report = await configured(flags).put(sources.map { LocalPath(bytes: $0) }, to: SFTPPath(bytes: target),
                                                     recursive: flags.recursive)
            return TransferOutcome(succeeded: report.succeeded, report: report)
        default:
            return TransferOutcome(succeeded: true, report: TransferReport())
        }
    }
}

/// The last component of a path given as bytes.
enum RemoteName {
    static func last(_ path: [UInt8]) -> [UInt8] {
        let trimmed = path.last == UInt8(ascii: "/") && path.count > 1 ? Array(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return trimmed }
        return Array(trimmed[(slash + 1)...])
    }
}
