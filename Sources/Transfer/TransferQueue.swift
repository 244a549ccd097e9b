import SFTP

/// Runs planned jobs with up to `concurrentFiles` files in flight: small
/// files are where SFTP tools are slowest, because each costs several
/// round trips (open, fstat, read, close, rename); overlapping files hides
/// that latency. Within a file the pipelines do the overlapping.
extension FileTransfer {
    func run(_ jobs: [TransferJob], into report: inout TransferReport) async {
        // The width depends on the server's open-handle limit.
        await client.limitsResolved()
        let width = concurrentFiles
        await withTaskGroup(of: Result<(String, UInt64), TransferError>.self) { group in
            var next = 0
            while next < min(width, jobs.count) {
                let job = jobs[next]
                next += 1
                group.addTask { await self.perform(job) }
            }
            while let result = await group.next() {
                switch result {
                case .success(let (path, bytes)):
                    report.files += 1
                    report.bytes += bytes
                    onEvent(.finished(path: path, bytes: bytes))
                case .failure(let error):
                    fail(error, &report)
                }
                if next < jobs.count {
                    let job = jobs[next]
                    next += 1
                    group.addTask { await self.perform(job) }
                }
            }
        }
    }

    private func perform(_ job: TransferJob) async -> Result<(String, UInt64), TransferError> {
        do {
            switch job {
            case .download(let remote, let local, let attributes):
                return .success((local, try await download(remote, to: local, attributes: attributes)))
            case .upload(let local, let remote):
                return .success(("\(remote)", try await upload(local, to: remote)))
            }
        } catch {
            let path: String
            switch job {
            case .download(let remote, _, _): path = "\(remote)"
            case .upload(let local, _): path = local
            }
            return .failure(TransferError.wrap(error, path))
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
