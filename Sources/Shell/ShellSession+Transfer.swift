import SFTP
import Locking
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
        /// With `tracking`: the destinations this command wrote that did
        /// not exist before it (what `undo` removes), and the ones it
        /// replaced (which cannot be restored).
        public var created: [[UInt8]] = []
        public var replaced: [[UInt8]] = []
        /// True when the destinations are remote (a put).
        public var remoteDestinations = false
        /// True for a recursive transfer, whose files are not tracked.
        public var untracked = false

        init(succeeded: Bool, report: TransferReport) {
            self.succeeded = succeeded
            self.report = report
        }
    }

    /// Removes what `outcome` created (a later transfer of a group whose
    /// earlier command failed); the names it could not remove.
    public func undo(_ outcome: TransferOutcome) async -> [[UInt8]] {
        var left: [[UInt8]] = []
        for path in outcome.created {
            if outcome.remoteDestinations {
                do { try await client.remove(SFTPPath(bytes: path)) } catch { left.append(path) }
            } else if !LocalEntry.remove(path) {
                left.append(path)
            }
        }
        return left
    }

    /// Runs a get or put with up to `width` files in flight; `state` is
    /// the state the command sees (it changes nothing).
    public func transfer(_ command: ShellCommand, _ state: ShellState, width: Int, tracking: Bool = false) async -> TransferOutcome {
        var options = files.options
        options.concurrentFiles = max(1, width)
        let output = self.output
        let verbose = self.verbose
        let finished = FinishedPaths()
        // The session's own handler (the executable's progress meter) sees
        // every event while `progress` is on, as sftp's meter shows.
        let observe: (@Sendable (TransferEvent) -> Void)? = state.showProgress ? files.onEvent : nil
        let eventObserver = self.eventObserver
        func configured(_ flags: ShellCommand.TransferFlags) -> FileTransfer {
            options.resume = flags.resume
            // reget/reput continue what sftp or scp left under the final name too.
            options.resumesDestination = flags.resume
            options.preserve = flags.preserve
            // get -f / put -f, or the whole session's -f (sftp's meaning).
            options.fsync = flags.fsync || files.options.fsync
            return files.sharing(options: options) { event in
                switch event {
                case .failed(let error): output.error(error.message)
                case .skipped(let path, let reason): output.error("\(path): \(reason), skipped")
                case .notice(let path, let message): output.error("\(path): \(message)")
                case .finished(let path, _): finished.add(path)
                case .planned, .started, .progress: break
                case .resumed(_, let destination, let offset, _) where verbose:
                    output.line("\(destination): continuing at \(offset) bytes")
                case .resumed, .partialKept: break
                }
                observe?(event)
                eventObserver?(event)
            }
        }
        /// Sorts the expected destinations into created and replaced, by
        /// what finished and what existed before.
        func tracked(_ report: TransferReport, _ existed: [([UInt8], Bool)], remote: Bool, recursive: Bool) -> TransferOutcome {
            var outcome = TransferOutcome(succeeded: report.succeeded, report: report)
            outcome.remoteDestinations = remote
            outcome.untracked = recursive
            guard tracking, !recursive else { return outcome }
            let done = finished.all
            for (path, before) in existed where done.contains(EscapedName.render(path)) {
                if before { outcome.replaced.append(path) } else { outcome.created.append(path) }
            }
            return outcome
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
            var existed: [([UInt8], Bool)] = []
            if tracking, !flags.recursive {
                let intoDirectory = LocalDirectory.exists(target)
                for match in matches {
                    let path = intoDirectory ? ShellState.join(target, RemoteName.last(match.path)) : target
                    existed.append((path, LocalEntry.exists(path)))
                }
            }
            let report = await configured(flags).get(matches.map { SFTPPath(bytes: $0.path) }, to: LocalPath(bytes: target),
                                                     recursive: flags.recursive)
            return tracked(report, existed, remote: false, recursive: flags.recursive)
        case .put(let flags, let source, let destination):
            let pattern = ShellState.join(GlobPattern.escape(state.localDirectory), source)
            let sources = LocalGlob.expand(pattern)
            let target = destination.map { state.remote($0) } ?? state.remoteDirectory
            if verbose {
                for path in sources {
                    output.line("\(flags.resume ? "Resuming upload of" : "Uploading") \(show(path)) to \(show(destination.map { state.remote($0) } ?? state.remote(RemoteName.last(path))))")
                }
            }
            var existed: [([UInt8], Bool)] = []
            if tracking, !flags.recursive {
                // Both answers at once (one round trip): is the target a
                // directory, and does each possible destination exist.
                let client = self.client
                async let directory = (try? await client.stat(SFTPPath(bytes: target)))?.isDirectory ?? false
                async let inside = remoteExistence(sources.map { ShellState.join(target, RemoteName.last($0)) })
                async let itself = remoteExistence([target])
                let (isDirectory, insideExisted, itselfExisted) = await (directory, inside, itself)
                existed = isDirectory ? insideExisted : itselfExisted
            }
            let report = await configured(flags).put(sources.map { LocalPath(bytes: $0) }, to: SFTPPath(bytes: target),
                                                     recursive: flags.recursive)
            return tracked(report, existed, remote: true, recursive: flags.recursive)
        default:
            return TransferOutcome(succeeded: true, report: TransferReport())
        }
    }
}

extension ShellSession {
    /// Whether each remote path exists (lstat), all asked at once.
    func remoteExistence(_ paths: [[UInt8]]) async -> [([UInt8], Bool)] {
        let client = self.client
        return await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, path) in paths.enumerated() {
                group.addTask { (index, (try? await client.lstat(SFTPPath(bytes: path))) != nil) }
            }
            var found = [Bool](repeating: true, count: paths.count)
            for await (index, exists) in group { found[index] = exists }
            return Array(zip(paths, found))
        }
    }
}

/// FinishedPaths collects the destinations the engine reports finished,
/// from any task.
final class FinishedPaths: Sendable {
    private let paths = Locked<Set<String>>([])
    func add(_ path: String) { paths.withLock { _ = $0.insert(path) } }
    var all: Set<String> { paths.withLock { $0 } }
}

/// The last component of a path given as bytes.
enum RemoteName {
    static func last(_ path: [UInt8]) -> [UInt8] {
        let trimmed = path.last == UInt8(ascii: "/") && path.count > 1 ? Array(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return trimmed }
        return Array(trimmed[(slash + 1)...])
    }
}
