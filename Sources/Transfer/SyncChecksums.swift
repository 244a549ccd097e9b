#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SFTP
import SSHCrypto

/// SyncChecksums compares files by content for `--checksum`: the local
/// side is read and hashed here (off the event loop); the remote side is
/// hashed by the server when `RemoteHashing` can (`sha256sum` over exec,
/// in batches, as rclone's SFTP backend does), and otherwise read over
/// SFTP and hashed here, which the user is told once.
struct SyncChecksums: Sendable {
    let transfer: FileTransfer
    let direction: SyncDirection
    let remoteHasher: (any RemoteHashing)?
    private let toldFallback = SyncLocked(false)

    init(transfer: FileTransfer, direction: SyncDirection, remoteHasher: (any RemoteHashing)?) {
        self.transfer = transfer
        self.direction = direction
        self.remoteHasher = remoteHasher
    }

    /// Files hashed by one exec: enough to amortise its round trips, few
    /// enough that a command line stays far below ARG_MAX.
    static let batchSize = 256

    /// For each relative path: whether both sides' contents are equal, or
    /// why one side could not be hashed.
    func equal(_ paths: [[UInt8]]) async -> [Result<Bool, TransferError>] {
        let (remoteRoot, localRoot): (SFTPPath, LocalPath) = switch direction {
        case .download(let remote, let local): (remote, local)
        case .upload(let local, let remote): (remote, local)
        }
        var result: [Result<Bool, TransferError>] = []
        result.reserveCapacity(paths.count)
        var start = 0
        while start < paths.count {
            let batch = Array(paths[start..<min(paths.count, start + Self.batchSize)])
            start += batch.count
            let remotePaths = batch.map { remoteRoot.appending($0) }
            var algorithm = SyncHashAlgorithm.sha256
            var remote: [Result<[UInt8], TransferError>] = Array(repeating: .failure(TransferError(.remote, "not hashed")), count: batch.count)
            var unhashed = Array(batch.indices)
            if let remoteHasher, let answer = await remoteHasher.digests(of: remotePaths), answer.digests.count == batch.count {
                algorithm = answer.algorithm
                for (index, digest) in answer.digests.enumerated() { if let digest { remote[index] = .success(digest) } }
                unhashed = batch.indices.filter { answer.digests[$0] == nil }
            } else {
                tellFallbackOnce(remoteRoot)
            }
            let transfer = self.transfer, chosen = algorithm
            let read = await concurrentMap(unhashed.map { remotePaths[$0] }, width: 8) { path in
                await Self.hashRemote(path, chosen, transfer)
            }
            for (index, digest) in zip(unhashed, read) {
                remote[index] = digest ?? .failure(TransferError(.remote, "\(remotePaths[index]): not hashed"))
            }
            let local = await concurrentMap(batch.map { localRoot.appending($0) }, width: 2) { path in
                await Self.hashLocal(path, chosen, transfer)
            }
            for index in batch.indices {
                let ours = local[index] ?? .failure(TransferError(.local, "\(localRoot.appending(batch[index])): not hashed"))
                result.append(ours.flatMap { ours in remote[index].map { $0 == ours } })
            }
        }
        return result
    }

    private func tellFallbackOnce(_ root: SFTPPath) {
        let first = toldFallback.update { told in
            defer { told = true }
            return !told
        }
        if first {
            transfer.onEvent(.notice(path: "\(root)", message: "cannot hash files on the server (no exec, or no sha256sum/shasum/sha1sum): reading them to compare"))
        }
    }

    static func digest(_ algorithm: SyncHashAlgorithm) -> Digest {
        Digest(algorithm == .sha256 ? .sha256 : .sha1)
    }

    /// Reads a remote file through the read pipeline and hashes it.
    private static func hashRemote(_ path: SFTPPath, _ algorithm: SyncHashAlgorithm, _ transfer: FileTransfer) async -> Result<[UInt8], TransferError> {
        let client = transfer.client
        do {
            let handle = try await client.open(path, flags: .read)
            var digest = Self.digest(algorithm)
            do {
                _ = try await ReadPipeline(client: client, handle: handle, blockLength: transfer.options.blockLength,
                                           maxOutstanding: transfer.options.maxOutstanding, budget: transfer.budget)
                    .run { _, data in data.withUnsafeReadableBytes { digest.update($0) } }
            } catch {
                try? await client.close(handle)
                throw error
            }
            client.closeInBackground(handle)
            return .success(digest.finalize())
        } catch {
            return .failure(TransferError.wrap(error, "\(path)"))
        }
    }

    /// Reads a local file in blocks, off the event loop, and hashes it.
    /// Opened without blocking: something other than the regular file that
    /// was listed (a FIFO planted at its name since) is refused, not
    /// waited on in `open` with a disk thread held.
    static func hashLocal(_ path: LocalPath, _ algorithm: SyncHashAlgorithm, _ transfer: FileTransfer) async -> Result<[UInt8], TransferError> {
        do {
            return .success(try await DiskIO.run {
                let file = try LocalFile.open(path, flags: O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
                defer { try? file.close() }
                guard try file.status().st_mode & S_IFMT == S_IFREG else {
                    throw TransferError(.notRegularFile, "\(path): not a regular file")
                }
                var digest = Self.digest(algorithm)
                var offset: UInt64 = 0
                while true {
                    let block = try file.read(at: offset, length: 1 << 20)
                    if block.readableBytes == 0 { break }
                    block.withUnsafeReadableBytes { digest.update($0) }
                    offset += UInt64(block.readableBytes)
                }
                return digest.finalize()
            })
        } catch {
            return .failure(TransferError.wrap(error, "\(path)"))
        }
    }
}
