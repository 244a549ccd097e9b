#if canImport(Glibc)
import Glibc
#endif
import ByteStreams
import Locking
import NIOCore
import SCP

/// `put --scp -r` of a big tree over several `scp -t` sessions at once.
///
/// An upload cannot run ahead of the remote scp the way a download does:
/// the sink answers a file's `C` record only once it has opened the file,
/// and a sink that refused the file would read data sent early as records
/// (file contents planting files). So one session moves one file per round
/// trip, and with 2000 small files that round trip, not the bandwidth, is
/// the transfer. Spreading the files over sessions overlaps them.
///
/// How the sessions share one tree, with nothing but scp records:
/// - **The target is probed first.** Whether `host:dst` names an existing
///   directory decides where the tree lands (`dst/tree` or `dst` itself),
///   and each remote scp decides it when it starts. The extra sessions
///   start as `scp -t -d dst` before the tree's root is created: one that
///   answers 0 found a directory (and will enter the root by its name);
///   one that answers with an error found none, and sessions are then
///   opened again, after the root exists, inside it.
/// - **The first session builds the skeleton**: the root, then every
///   directory with `D`/`E` records, each answered, before any file.
///   Directories are made owner-writable (`mode | 0700`) so that no
///   session meets a read-only one it still has to fill.
/// - **Files are handed out in runs of one directory** from a shared
///   queue; each session walks to the run's directory with `E` and `D`
///   records (entering an existing directory creates nothing) and sends
///   its files pipelined, as one session does.
/// - **With `-p`, the first session ends with the directories' times and
///   modes**: for each directory deepest first, `T`, `D`, `E` with nothing
///   inside (OpenSSH's sink sets a directory's times at its `E` only when
///   no record inside used the `T`), and the root's again at the top.
///   Without `-p` a tree with a directory that is not owner-writable goes
///   as one session, since only `-p` could restore its mode afterwards.
extension SCPTransfer {
    /// Trees with fewer files than this go as one session: opening more
    /// costs round trips of its own.
    static let spreadThreshold = 64
    /// Files (or bytes) handed to a session at once.
    static let spreadRunFiles = 32
    static let spreadRunBytes: UInt64 = 8 << 20

    /// A local tree listed before any of it is sent.
    struct UploadTree: Sendable {
        struct Directory: Sendable {
            /// Names from the root (empty for the root).
            var components: [[UInt8]]
            var path: LocalPath
            var st: stat

            /// The mode its `D` records carry while files go in: owner
            /// rwx added, so no session meets a directory it cannot fill
            /// (the true mode comes with `-p`'s last pass).
            var fillingMode: UInt32 { UInt32(st.st_mode) & 0o7777 | 0o700 }
        }

        struct File: Sendable {
            var directory: Int
            var path: LocalPath
            var st: stat
        }

        /// Parents before children; the root first.
        var directories: [Directory] = []
        /// Each directory's index by its names from the root.
        var byComponents: [[[UInt8]]: Int] = [:]
        var files: [File] = []
        /// What the single-session walk would have said on the way: skipped
        /// links and special files, entries that could not be read.
        var notes: [TransferEvent] = []
    }

    /// Lists `root` (a directory given on the command line) as one session
    /// would walk it: entries sorted, links and special files skipped,
    /// directories that cannot be listed reported and left out. Nil when
    /// spreading would not give scp's result (see the type's notes).
    func uploadTree(_ root: LocalPath, _ st: stat) -> UploadTree? {
        var tree = UploadTree()
        var pending: [(components: [[UInt8]], path: LocalPath, st: stat, entries: [[UInt8]])] = []
        guard let rootEntries = try? LocalFileSystem.list(root) else { return nil }
        pending.append(([], root, st, rootEntries))
        while let (components, path, st, entries) = pending.popLast() {
            if !options.preserve, st.st_mode & 0o700 != 0o700 { return nil }
            let index = tree.directories.count
            tree.directories.append(.init(components: components, path: path, st: st))
            tree.byComponents[components] = index
            var subdirectories: [(components: [[UInt8]], path: LocalPath, st: stat, entries: [[UInt8]])] = []
            for entry in entries {
                let child = path.appending(entry)
                guard let childStatus = LocalFileSystem.lstatus(child) else {
                    tree.notes.append(.failed(LocalFile.error("stat", child)))
                    continue
                }
                switch childStatus.st_mode & S_IFMT {
                case S_IFDIR:
                    do {
                        subdirectories.append((components + [entry], child, childStatus, try LocalFileSystem.list(child)))
                    } catch {
                        tree.notes.append(.failed(TransferError.wrap(error, "\(child)")))
                    }
                case S_IFREG:
                    tree.files.append(.init(directory: index, path: child, st: childStatus))
                case S_IFLNK:
                    tree.notes.append(.skipped(path: "\(child)", reason: "symbolic link not followed"))
                default:
                    tree.notes.append(.skipped(path: "\(child)", reason: "not a regular file"))
                }
            }
            pending.append(contentsOf: subdirectories.reversed())
        }
        return tree
    }

    /// Uploads `tree` to `target` over up to `sessions` sessions.
    func putSpread(_ tree: UploadTree, to target: [UInt8], closers: ChannelClosers) async -> TransferReport {
        var report = TransferReport()
        // Listed before any file goes: the meter knows the totals.
        onEvent(.planned(files: tree.files.count, bytes: tree.files.reduce(0) { $0 + UInt64(max(0, $1.st.st_size)) }))
        for note in tree.notes {
            onEvent(note)
            switch note {
            case .failed(let error): report.failures.append(error)
            case .skipped: report.skipped += 1
            default: break
            }
        }
        let destination = SCPName.render(target)
        let root = tree.directories[0]
        let rootName = root.path.lastComponent
        let primaryCommand = SCPShell.sinkCommand(target, recursive: true, preserve: options.preserve,
                                                  directory: false, program: program)
        let probeCommand = SCPShell.sinkCommand(target, recursive: true, preserve: options.preserve,
                                                directory: true, program: program)
        let extra = max(0, min(sessions, (tree.files.count + Self.spreadRunFiles - 1) / Self.spreadRunFiles) - 1)
        // The primary and the probes open together.
        async let opened = openSessions(extra, command: probeCommand, target: target, destination: destination, closers: closers)
        let primary: OpenSession
        do {
            primary = try await openSession(primaryCommand, target: target, destination: destination, closers: closers)
        } catch {
            for session in await opened { await session.close() }
            fail(Self.wrap(error, destination), &report)
            return report
        }
        var session = primary.session
        var helpers: [OpenSession] = []
        var targetIsDirectory = false
        var targetIsNotDirectory = false
        for probe in await opened {
            var probing = probe.session
            do {
                try await probing.reply()
                helpers.append(OpenSession(session: probing, close: probe.close))
                targetIsDirectory = true
            } catch let error as TransferError where error.code == .remote {
                targetIsNotDirectory = true
                await probe.close()
            } catch {
                await probe.close()
            }
        }
        let prefix: [[UInt8]] = targetIsDirectory ? [rootName] : []
        do {
            try await session.reply()
            let rootMode = root.fillingMode
            guard try await session.announce(root.path, root.st, name: rootName, directory: true,
                                             mode: rootMode, &report) else {
                // Reported; nothing of the tree can go.
                for helper in helpers { await helper.close() }
                await primary.close()
                return report
            }
            if targetIsNotDirectory, extra > 0 {
                // The root exists now: sessions opened in the target start inside it.
                for late in await openSessions(extra, command: probeCommand, target: target, destination: destination,
                                                   closers: closers) {
                    var starting = late.session
                    if (try? await starting.reply()) != nil {
                        helpers.append(OpenSession(session: starting, close: late.close))
                    } else {
                        await late.close()
                    }
                }
            }
            let runs = WorkRuns(Self.runs(of: tree), tree: tree)
            runs.decide(0, refused: false)
            let primarySession = session
            let (reports, primaryAfter) = await withTaskGroup(of: (TransferReport, SCPSourceSession?).self) { group in
                for helper in helpers {
                    group.addTask {
                        var helping = helper.session
                        var report = TransferReport()
                        do {
                            var at: [[UInt8]] = []
                            for name in prefix {
                                guard try await helping.announce(root.path, root.st, name: name, directory: true, times: false,
                                                                 mode: rootMode, &report) else { return (report, nil) }
                            }
                            try await helping.work(runs, tree, at: &at, &report)
                            for _ in prefix { try await helping.leave(&report) }
                            try await helping.finish(&report)
                        } catch {
                            self.fail(Self.wrap(error, destination), &report)
                        }
                        await helper.close()
                        return (report, nil)
                    }
                }
                group.addTask {
                    var working = primarySession
                    var report = TransferReport()
                    // Whatever ends this task, no session waits for a
                    // directory it will not decide.
                    defer { runs.abandon() }
                    do {
                        var at: [[UInt8]] = []
                        try await working.buildSkeleton(of: tree, publishingTo: runs, at: &at, &report)
                        try await working.work(runs, tree, at: &at, &report)
                        return (report, working)
                    } catch {
                        self.fail(Self.wrap(error, destination), &report)
                        return (report, nil)
                    }
                }
                var reports: [TransferReport] = []
                var primaryAfter: SCPSourceSession?
                for await (report, after) in group {
                    reports.append(report)
                    if let after { primaryAfter = after }
                }
                return (reports, primaryAfter)
            }
            for part in reports { report.merge(part) }
            guard var last = primaryAfter else {
                await primary.close()
                return report
            }
            if options.preserve {
                // Times and modes, deepest first; each directory entered
                // with nothing inside, so its own T is the one its E uses.
                var at: [[UInt8]] = []
                for (index, directory) in tree.directories.enumerated().dropFirst().reversed() {
                    if runs.isRefused(index) { continue }
                    guard try await last.walk(from: &at, to: Array(directory.components.dropLast()), tree, &report) else { continue }
                    if try await last.announce(directory.path, directory.st, name: directory.components.last ?? [],
                                                  directory: true, &report) {
                        try await last.leave(&report)
                    }
                }
                _ = try await last.walk(from: &at, to: [], tree, &report)
                try await last.leave(&report)
                if try await last.announce(root.path, root.st, name: rootName, directory: true, &report) {
                    try await last.leave(&report)
                }
            } else {
                try await last.leave(&report)
            }
            try await last.finish(&report)
        } catch {
            fail(Self.wrap(error, destination), &report)
        }
        await primary.close()
        return report
    }

    /// A session and what closes its channel.
    struct OpenSession: Sendable {
        var session: SCPSourceSession
        let close: @Sendable () async -> Void
    }

    private func openSession(_ command: [UInt8], target: [UInt8], destination: String,
                             closers: ChannelClosers) async throws -> OpenSession {
        let (stream, close) = try await open(try Self.command(command, path: target))
        closers.add(close)
        return OpenSession(session: SCPSourceSession(transfer: self, stream: stream, destination: destination), close: close)
    }

    /// `count` sessions running `command`, opened at once; those that
    /// could not be opened (a server's session limit) are left out.
    private func openSessions(_ count: Int, command: [UInt8], target: [UInt8], destination: String,
                              closers: ChannelClosers) async -> [OpenSession] {
        guard count > 0 else { return [] }
        return await withTaskGroup(of: OpenSession?.self) { group in
            for _ in 0..<count {
                group.addTask { try? await self.openSession(command, target: target, destination: destination, closers: closers) }
            }
            var sessions: [OpenSession] = []
            for await session in group { if let session { sessions.append(session) } }
            return sessions
        }
    }

    /// The files in runs of one directory, at most `spreadRunFiles` files
    /// or `spreadRunBytes` bytes each, in the order of their directories.
    static func runs(of tree: UploadTree) -> [[Int]] {
        var runs: [[Int]] = []
        var current: [Int] = []
        var bytes: UInt64 = 0
        for (index, file) in tree.files.enumerated() {
            if let last = current.last,
               tree.files[last].directory != file.directory || current.count >= spreadRunFiles || bytes >= spreadRunBytes {
                runs.append(current)
                current = []
                bytes = 0
            }
            current.append(index)
            bytes += UInt64(max(0, file.st.st_size))
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }
}

/// The runs of files not yet taken, shared by the sessions of one
/// upload, and which directories exist: the first session creates them
/// (in the order of `UploadTree.directories`) while the others already
/// send files into those that do, so a run is handed out only once its
/// directory is decided, and not at all when it was refused.
final class WorkRuns: Sendable {
    private struct State {
        var next = 0
        /// Directories below this index are decided.
        var decided = 0
        var refused: Set<Int> = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let runs: [(directory: Int, files: [Int])]
    private let state = Locked(State())

    init(_ runs: [[Int]], tree: SCPTransfer.UploadTree) {
        self.runs = runs.map { (directory: $0.first.map { tree.files[$0].directory } ?? 0, files: $0) }
    }

    /// The next run whose directory exists, waiting while the next one's
    /// is not decided; nil when all are taken.
    func take() async -> [Int]? {
        while true {
            let (run, wait): ([Int]?, Bool) = state.withLock { state in
                while state.next < runs.count {
                    let (directory, files) = runs[state.next]
                    if directory >= state.decided { return (nil, true) }
                    state.next += 1
                    if state.refused.contains(directory) { continue }
                    return (files, false)
                }
                return (nil, false)
            }
            if let run { return run }
            if !wait { return nil }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    guard state.next < runs.count, runs[state.next].directory >= state.decided else { return true }
                    state.waiters.append(continuation)
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    /// Directory `index` (the next in order) exists, or was refused.
    func decide(_ index: Int, refused: Bool) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if refused { state.refused.insert(index) }
            state.decided = max(state.decided, index + 1)
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// No more directories will be created: the undecided ones count as
    /// refused (their files are not sent).
    func abandon() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.decided < Int.max {
                for run in runs where run.directory >= state.decided { state.refused.insert(run.directory) }
                state.decided = Int.max
            }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func isRefused(_ index: Int) -> Bool { state.withLock { $0.refused.contains(index) } }
}

extension SCPSourceSession {
    /// Walks from the directory `at` to `target` (names from the root):
    /// `E` up to their common part, `D` down, each answered. False when a
    /// directory on the way was refused (reported).
    mutating func walk(from at: inout [[UInt8]], to target: [[UInt8]], _ tree: SCPTransfer.UploadTree,
                       _ report: inout TransferReport) async throws -> Bool {
        var common = 0
        while common < at.count, common < target.count, at[common] == target[common] { common += 1 }
        while at.count > common {
            try await leave(&report)
            at.removeLast()
        }
        while at.count < target.count {
            let components = Array(target[0...at.count])
            guard let found = tree.byComponents[components] else { return false }
            let directory = tree.directories[found]
            let mode = directory.fillingMode
            guard try await announce(directory.path, directory.st, name: components[components.count - 1], directory: true,
                                     times: false, mode: mode, &report) else { return false }
            at.append(components[components.count - 1])
        }
        return true
    }

    /// Creates every directory of `tree` below the root, parents first,
    /// telling `runs` as each is decided; a refused one (reported) is left
    /// out with everything inside. Ends at the root.
    mutating func buildSkeleton(of tree: SCPTransfer.UploadTree, publishingTo runs: WorkRuns, at: inout [[UInt8]],
                                _ report: inout TransferReport) async throws {
        var refused: [[[UInt8]]] = []
        for (index, directory) in tree.directories.enumerated().dropFirst() {
            if refused.contains(where: { directory.components.starts(with: $0) }) {
                runs.decide(index, refused: true)
                continue
            }
            guard try await walk(from: &at, to: Array(directory.components.dropLast()), tree, &report) else {
                refused.append(directory.components)
                runs.decide(index, refused: true)
                continue
            }
            let mode = directory.fillingMode
            if try await announce(directory.path, directory.st, name: directory.components.last ?? [],
                                  directory: true, times: false, mode: mode, &report) {
                try await leave(&report)
                runs.decide(index, refused: false)
            } else {
                refused.append(directory.components)
                runs.decide(index, refused: true)
            }
        }
        _ = try await walk(from: &at, to: [], tree, &report)
    }

    /// Ends the innermost directory (`E`), answered.
    mutating func leave(_ report: inout TransferReport) async throws {
        write(try source.endDirectory())
        try await settle(&report)
        try await reply()
    }

    /// Sends runs of files taken from `runs` until none is left, and walks
    /// back to the root.
    mutating func work(_ runs: WorkRuns, _ tree: SCPTransfer.UploadTree, at: inout [[UInt8]],
                       _ report: inout TransferReport) async throws {
        while !Task.isCancelled, let run = await runs.take() {
            guard let first = run.first else { continue }
            let directory = tree.directories[tree.files[first].directory]
            guard try await walk(from: &at, to: directory.components, tree, &report) else { continue }
            for index in run {
                let file = tree.files[index]
                try await sendFile(file.path, file.st, name: file.path.lastComponent, follow: false, &report)
            }
        }
        _ = try await walk(from: &at, to: [], tree, &report)
        try await settle(&report)
    }

    /// Settles every file, ends the session's input and waits for the
    /// remote scp to exit.
    mutating func finish(_ report: inout TransferReport) async throws {
        try await settle(&report)
        try await flush()
        try? await stream.closeWrite()
        while try await stream.read() != nil {}
    }
}
