#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// Runs planned jobs with up to `concurrentFiles` files in flight: small
/// files are where SFTP tools are slowest, because each costs several
/// round trips (open, fstat, read, close, rename); overlapping files hides
/// that latency. Within a file the pipelines do the overlapping.
///
/// Two jobs with one destination never run at once: they are copied in
/// turn, in the order given, and the last one wins, as OpenSSH's sftp
/// does (with a notice, since the first copy is lost). Destinations are
/// compared with case folded, so names that one case-insensitive file
/// system would take for one file are serialised too; after a download
/// lands, a file that an earlier job of this transfer also landed on
/// under another name (case folding, or links) is reported as a failure.
extension FileTransfer {
    func run(_ planned: [TransferJob], into report: inout TransferReport) async {
        // A rerun after a lost connection copies only what is not yet done.
        let completed = options.completed
        let jobs = completed.map { done in planned.filter { !done.contains($0.destination) } } ?? planned
        // The width depends on the server's open-handle limit; a single job
        // needs none, so its OPEN goes out with the limits request rather
        // than a round trip after it.
        if jobs.count > 1 {
            await client.limitsResolved()
            fitToLink()
        }
        var width = concurrentFiles
        var queue = DestinationQueue(jobs)
        onEvent(.planned(files: jobs.count, bytes: jobs.reduce(0) { $0 &+ ($1.expectedSize ?? 0) }))
        for (index, earlier) in queue.duplicates {
            onEvent(.notice(path: EscapedName.render(jobs[index].destination),
                            message: "also the destination of \(earlier); copied in turn, the last one wins"))
        }
        var landed: [[UInt8]: [Int]] = [:]
        await withTaskGroup(of: (Int, Result<(String, UInt64), TransferError>).self) { group in
            var running = 0
            func startReady() {
                while running < width, let index = queue.next() {
                    running += 1
                    let job = jobs[index]
                    group.addTask { (index, await self.performOnSession(job)) }
                }
            }
            startReady()
            while let (index, result) = await group.next() {
                running -= 1
                // A server that allows fewer open files than are in flight,
                // without saying so in limits@openssh.com, refuses OPEN with
                // a bare FAILURE; a process out of descriptors gets EMFILE.
                // The file goes again once fewer are open, and no more than
                // are open now are ever started again. Each retry lowers
                // the width, so this ends; with no other file open, the
                // refusal is final.
                if case .failure(let error) = result, running > 0,
                   error.code == .openRefused || error.systemError == EMFILE || error.systemError == ENFILE {
                    width = running
                    queue.retry(index)
                    startReady()
                    continue
                }
                queue.finished(index)
                switch result {
                case .success(let (path, bytes)):
                    if case .download(_, let local, _) = jobs[index] {
                        let key = queue.key(of: index)
                        if let collision = Self.collision(of: index, local, with: landed[key] ?? [], jobs) {
                            fail(collision, &report)
                        }
                        landed[key, default: []].append(index)
                    }
                    completed?.insert(jobs[index].destination)
                    report.files += 1
                    report.bytes += bytes
                    onEvent(.finished(path: path, bytes: bytes))
                case .failure(let error) where error.code == .alreadyComplete:
                    skip(EscapedName.render(jobs[index].destination), "already complete", &report)
                case .failure(let error):
                    fail(error, &report)
                }
                startReady()
            }
        }
    }

    /// The failure to report when download `index` landed on the same file
    /// as an earlier download under another name with the same folded key.
    private static func collision(of index: Int, _ local: LocalPath, with earlier: [Int], _ jobs: [TransferJob]) -> TransferError? {
        guard !earlier.isEmpty, let identity = FileIdentity(local) else { return nil }
        for other in earlier where jobs[other].destination != jobs[index].destination {
            guard FileIdentity(LocalPath(bytes: jobs[other].destination)) == identity else { continue }
            return TransferError(.collision, "\(local): the same file here as \(EscapedName.render(jobs[other].destination)) (a case-insensitive file system, or a link): \(jobs[index].sourceName) replaced \(jobs[other].sourceName)")
        }
        return nil
    }

    func perform(_ job: TransferJob) async -> Result<(String, UInt64), TransferError> {
        let destination = job.destinationName
        onEvent(.started(path: destination, size: job.expectedSize))
        do {
            switch job {
            case .download(let remote, let local, let attributes):
                return .success((destination, try await download(remote, to: local, attributes: attributes)))
            case .upload(let local, let remote):
                return .success((destination, try await upload(local, to: remote)))
            }
        } catch {
            var failure = TransferError.wrap(error, job.sourceName)
            failure.path = destination
            return .failure(failure)
        }
    }

    func fail(_ error: TransferError, _ report: inout TransferReport) {
        report.failures.append(error)
        onEvent(.failed(error))
    }

    func skip(_ path: String, _ reason: String, _ report: inout TransferReport) {
        report.skipped += 1
        onEvent(.skipped(path: path, reason: reason))
    }
}

/// FileIdentity is a local file's device and inode: two paths that name
/// one file have the same.
struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64

    init?(_ path: LocalPath) {
        guard let st = LocalFileSystem.status(path), st.st_mode & S_IFMT == S_IFREG else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

/// DestinationQueue hands out job indices in order, holding back a job
/// while an earlier one with the same (case-folded) destination runs.
struct DestinationQueue {
    private let keys: [[UInt8]]
    private var nextInOrder = 0
    private var busy: Set<[UInt8]> = []
    /// Jobs held back, per destination, in order.
    private var held: [[UInt8]: [Int]] = [:]
    /// Held jobs whose destination became free, in order.
    private var released: [Int] = []
    private var releasedHead = 0
    /// (job, earlier job's source) for each destination named twice exactly.
    private(set) var duplicates: [(Int, String)] = []

    init(_ jobs: [TransferJob]) {
        keys = jobs.map { Self.folded($0.destination) }
        var first: [[UInt8]: Int] = [:]
        for (index, job) in jobs.enumerated() {
            if let earlier = first[job.destination] {
                duplicates.append((index, jobs[earlier].sourceName))
            } else {
                first[job.destination] = index
            }
        }
    }

    func key(of index: Int) -> [UInt8] { keys[index] }

    /// The next job that may start now, or nil.
    mutating func next() -> Int? {
        if releasedHead < released.count {
            let index = released[releasedHead]
            releasedHead += 1
            busy.insert(keys[index])
            return index
        }
        while nextInOrder < keys.count {
            let index = nextInOrder
            nextInOrder += 1
            if busy.contains(keys[index]) {
                held[keys[index], default: []].append(index)
            } else {
                busy.insert(keys[index])
                return index
            }
        }
        return nil
    }

    /// Job `index` must run again (its destination stays claimed): it is
    /// handed out next, before any other.
    mutating func retry(_ index: Int) {
        busy.remove(keys[index])
        released.insert(index, at: releasedHead)
    }

    /// Job `index` ended: the next held job with its destination may start.
    mutating func finished(_ index: Int) {
        let key = keys[index]
        if var waiting = held[key], !waiting.isEmpty {
            released.append(waiting.removeFirst())
            held[key] = waiting.isEmpty ? nil : waiting
        }
        busy.remove(key)
    }

    /// Case folded as a case-insensitive file system would: Unicode
    /// lowercase for UTF-8 names, ASCII lowercase for other bytes.
    static func folded(_ bytes: [UInt8]) -> [UInt8] {
        if let text = String(validating: bytes, as: UTF8.self) { return Array(text.lowercased().utf8) }
        return bytes.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
    }
}
