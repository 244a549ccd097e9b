import SFTP

/// SyncPlanner walks both trees level by level and decides, entry by
/// entry, what the target needs: it queues copies, attribute updates and
/// links for the runner as each directory is compared, makes the
/// directories the target lacks, and collects the target's extras for
/// `--delete`. With `-n` it only says what would happen.
struct SyncPlanner: Sendable {
    let run: SyncRun
    let queue: AsyncStream<SyncWork>.Continuation

    private var options: SyncOptions { run.options }
    private var source: any SyncTree { run.source }
    private var target: any SyncTree { run.target }

    /// One directory to compare: its path relative to the roots, and
    /// whether the target has it (a directory just made, or one `-n` would
    /// make, is known to be empty and not listed).
    private struct Directory: Sendable {
        let path: [UInt8]
        let targetListed: Bool
    }

    func plan(targetExists: Bool) async -> SyncPlan {
        var plan = SyncPlan()
        var level = [Directory(path: [], targetListed: targetExists)]
        while !level.isEmpty {
            let source = self.source, target = self.target
            let listings = await concurrentMap(level, width: planningWidth) { directory in
                async let ours = Self.capture { try await source.list(directory.path) }
                async let theirs = directory.targetListed
                    ? Self.capture { try await target.list(directory.path) } : .success(SyncListing())
                return (await ours, await theirs)
            }
            var next: [Directory] = []
            var newDirectories: [[UInt8]] = []
            for (directory, listing) in zip(level, listings) {
                guard let (ours, theirs) = listing else { continue }
                await compare(directory.path, ours, theirs, &plan, &next, &newDirectories)
                await waitForRoom()
            }
            next += await makeDirectories(newDirectories)
            level = next
        }
        return plan
    }

    /// Holds planning back while the runner has more than
    /// `SyncRun.maxQueued` items waiting: listing is much faster than
    /// copying, and a huge tree must not become a huge queue.
    private func waitForRoom() async {
        while run.queued.value > SyncRun.maxQueued {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private static func capture(_ body: () async throws -> SyncListing) async -> Result<SyncListing, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// Compares one directory's two listings.
    private func compare(_ directory: [UInt8], _ ours: Result<SyncListing, any Error>,
                         _ theirs: Result<SyncListing, any Error>, _ plan: inout SyncPlan,
                         _ next: inout [Directory], _ newDirectories: inout [[UInt8]]) async {
        let sourceListing: SyncListing
        switch ours {
        case .success(let listing): sourceListing = listing
        case .failure(let error):
            plan.sourceComplete = false
            run.fail(TransferError.wrap(error, source.describe(directory)))
            return
        }
        if !sourceListing.refused.isEmpty { plan.sourceComplete = false }
        for problem in sourceListing.refused { run.fail(problem) }
        let targetListing: SyncListing
        switch theirs {
        case .success(let listing): targetListing = listing
        case .failure(let error):
            // Not knowing what the target holds, nothing here is copied
            // (it might be replaced blindly) or deleted.
            run.fail(TransferError.wrap(error, target.describe(directory)))
            return
        }
        for problem in targetListing.refused { run.fail(problem) }
        var existing: [[UInt8]: SyncEntry] = [:]
        existing.reserveCapacity(targetListing.entries.count)
        for entry in targetListing.entries { existing[entry.name] = entry }

        var sameSize: [(path: [UInt8], ours: SyncEntry, theirs: SyncEntry)] = []
        for entry in sourceListing.entries {
            let path = SyncRelativePath.join(directory, entry.name)
            if options.filter.excludes(path, isDirectory: entry.kind == .directory) { continue }
            let theirs = existing.removeValue(forKey: entry.name)
            switch entry.kind {
            case .directory:
                plan.directories.append((path, entry))
                await planDirectory(path, theirs, &next, &newDirectories)
            case .file:
                run.report.update { $0.checked += 1 }
                if let candidate = await planFile(path, entry, theirs) { sameSize.append(candidate) }
            case .symbolicLink:
                guard options.links else {
                    run.skip(path, "symbolic link not copied (use --links)")
                    continue
                }
                run.report.update { $0.checked += 1 }
                planLink(path, theirs)
            case .other:
                run.skip(path, "not a regular file")
            }
        }
        if !sameSize.isEmpty { await compareContents(sameSize) }
        guard options.delete else { return }
        for (name, entry) in existing {
            let path = SyncRelativePath.join(directory, name)
            if !options.deleteExcluded, options.filter.excludes(path, isDirectory: entry.kind == .directory) { continue }
            plan.extras.append(SyncExtra(path: path, kind: entry.kind))
        }
    }

    private func planDirectory(_ path: [UInt8], _ theirs: SyncEntry?, _ next: inout [Directory],
                               _ newDirectories: inout [[UInt8]]) async {
        switch theirs?.kind {
        case .directory:
            next.append(Directory(path: path, targetListed: true))
        case nil:
            newDirectories.append(path)
        case .file, .symbolicLink:
            if options.ignoreExisting { return }
            // A directory replaces the file or link the target has there.
            do {
                if !options.dryRun { try await target.removeFile(path) }
                run.report.update { $0.deleted += 1 }
                run.onChange(SyncChange(.deleted, EscapedName.render(path)))
                newDirectories.append(path)
            } catch { run.fail(TransferError.wrap(error, target.describe(path))) }
        case .other:
            run.fail(TransferError(.notRegularFile, "\(target.describe(path)): not a directory on the target; left alone"))
        }
    }

    /// Makes the directories of a level the target lacks, many at once,
    /// before the next level's files are queued into them. Returns the
    /// next level's entries for the ones made.
    private func makeDirectories(_ paths: [[UInt8]]) async -> [Directory] {
        guard !paths.isEmpty else { return [] }
        let target = self.target, dryRun = options.dryRun
        let results = await concurrentMap(paths, width: planningWidth) { path -> TransferError? in
            if dryRun { return nil }
            do { try await target.makeDirectory(path) } catch { return TransferError.wrap(error, target.describe(path)) }
            return nil
        }
        var made: [Directory] = []
        for (path, result) in zip(paths, results) {
            if let failure = result ?? nil {
                run.fail(failure)
                continue
            }
            run.report.update { $0.directoriesCreated += 1 }
            run.onChange(SyncChange(.newDirectory, EscapedName.render(path) + "/"))
            made.append(Directory(path: path, targetListed: false))
        }
        return made
    }

    /// Decides one regular file. Returns it when only a content hash can
    /// tell (`--checksum`, sizes equal).
    private func planFile(_ path: [UInt8], _ ours: SyncEntry, _ theirs: SyncEntry?)
        async -> (path: [UInt8], ours: SyncEntry, theirs: SyncEntry)? {
        guard let theirs else {
            queueCopy(path, ours, isNew: true)
            return nil
        }
        if options.ignoreExisting { return nil }
        switch theirs.kind {
        case .file: break
        case .symbolicLink:
            // Replaced by the file, never written through.
            do {
                if !options.dryRun { try await target.removeFile(path) }
            } catch {
                run.fail(TransferError.wrap(error, target.describe(path)))
                return nil
            }
            queueCopy(path, ours, isNew: false)
            return nil
        case .directory, .other:
            run.fail(TransferError(.isDirectory, "\(target.describe(path)): not a regular file on the target; left alone"))
            return nil
        }
        if options.update, theirs.modificationTime > ours.modificationTime + options.modifyWindow { return nil }
        let timesEqual = abs(theirs.modificationTime - ours.modificationTime) <= options.modifyWindow
        switch options.comparison {
        case .sizeOnly:
            if ours.size != theirs.size { queueCopy(path, ours, isNew: false) }
            else if options.modes, ours.mode != theirs.mode { queueAttributes(path, ours) }
        case .sizeAndTime:
            if ours.size != theirs.size || !timesEqual { queueCopy(path, ours, isNew: false) }
            else if options.modes, ours.mode != theirs.mode { queueAttributes(path, ours) }
        case .checksum:
            if ours.size != theirs.size { queueCopy(path, ours, isNew: false) } else { return (path, ours, theirs) }
        }
        return nil
    }

    /// `--checksum`: hashes both sides of the files whose sizes agree, and
    /// copies those whose contents differ; equal contents with other
    /// times (or modes, with `-p`) get their attributes set.
    private func compareContents(_ files: [(path: [UInt8], ours: SyncEntry, theirs: SyncEntry)]) async {
        let equal = await run.checksums.equal(files.map(\.path))
        for (file, same) in zip(files, equal) {
            switch same {
            case .success(true):
                let timesEqual = abs(file.theirs.modificationTime - file.ours.modificationTime) <= options.modifyWindow
                if !timesEqual || (options.modes && file.ours.mode != file.theirs.mode) { queueAttributes(file.path, file.ours) }
            case .success(false):
                queueCopy(file.path, file.ours, isNew: false)
            case .failure(let error):
                run.fail(error)
            }
        }
    }

    private func planLink(_ path: [UInt8], _ theirs: SyncEntry?) {
        if theirs != nil, options.ignoreExisting { return }
        switch theirs?.kind {
        case .directory, .other:
            run.fail(TransferError(.isDirectory, "\(target.describe(path)): not a link or file on the target; left alone"))
        default:
            if options.dryRun {
                // Whether the link differs would take a READLINK each side:
                // said only for links the target lacks.
                if theirs == nil { run.onChange(SyncChange(.link, EscapedName.render(path))) }
            } else {
                enqueue(.link(path, existing: theirs?.kind))
            }
        }
    }

    private func enqueue(_ work: SyncWork) {
        // The first copy opens the pool's other sessions (none are opened
        // for a sync with nothing to copy); they open while planning goes on.
        if case .copy = work { run.transfer.pool?.startPreparing() }
        run.queued.update { $0 += 1 }
        queue.yield(work)
    }

    private func queueCopy(_ path: [UInt8], _ entry: SyncEntry, isNew: Bool) {
        if options.dryRun {
            run.report.update {
                $0.transferred += 1
                $0.bytes += entry.size
            }
            run.onChange(SyncChange(isNew ? .newFile : .updated, EscapedName.render(path), bytes: entry.size))
        } else {
            enqueue(.copy(path, entry, isNew: isNew))
        }
    }

    private func queueAttributes(_ path: [UInt8], _ entry: SyncEntry) {
        if options.dryRun {
            run.report.update { $0.attributesSet += 1 }
            run.onChange(SyncChange(.attributes, EscapedName.render(path)))
        } else {
            enqueue(.attributes(path, entry))
        }
    }
}
