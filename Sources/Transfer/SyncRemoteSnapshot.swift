import SFTP

/// SyncRemoteSnapshot is a whole remote tree listed at once: the output of
/// one `find -printf` run over exec (`SyncRemoteFind`), kept as that
/// output plus, for each directory, where its entries' records start. A
/// directory's entries are decoded when the planner asks for them, so
/// what is held for a big tree is about the bytes `find` printed, not an
/// entry object per file.
///
/// Each record is `%y %s %T@ %A@ %m %U %G %P` and a NUL (`recordFormat`):
/// type letter, size, modification and access time (seconds, a fraction
/// after a dot), permission bits in octal, numeric owner and group, the
/// path below the root; the first record is the root itself (an empty
/// path). The output is the server's, so it is checked at least as
/// strictly as an SFTP listing: a record that is not exactly of that form,
/// a name SFTP listing would refuse (empty, `.`, `..`), an entry whose
/// parent was not listed as a directory before it, a directory listed
/// twice, or more than `maxRecords` records, and `parse` refuses the whole
/// snapshot. The tree is then listed over SFTP, which refuses bad names
/// one by one as it always does. Nothing here traps on what was sent.
public struct SyncRemoteSnapshot: Sendable {
    /// The `-printf` format `parse` reads.
    static let recordFormat = "%y %s %T@ %A@ %m %U %G %P\\0"

    /// The most records a snapshot holds (a tree bigger than this is
    /// listed over SFTP, a level at a time).
    static let maxRecords = 4_000_000

    /// One record's fields (the path aside).
    struct Record: Sendable, Equatable {
        let kind: SyncEntry.Kind
        let size: UInt64
        /// Seconds since the epoch, as SFTP v3 carries them (32 bits), so
        /// that they compare equal to what an SFTP listing would give.
        let modificationTime: Int64
        let accessTime: Int64
        /// Permission bits (0o7777).
        let mode: UInt32
        let uid: UInt32
        let gid: UInt32
    }

    /// What `find` printed.
    private let output: [UInt8]
    /// Each directory (relative path, the root empty) → the offsets of its
    /// entries' records in `output`.
    private let directories: [[UInt8]: [UInt32]]
    /// The root's record (find -H follows a root that is a link, as SFTP's
    /// STAT does): compared with the SFTP STAT of the root before the
    /// snapshot is used (`describes`).
    let root: Record

    private init(output: [UInt8], directories: [[UInt8]: [UInt32]], root: Record) {
        self.output = output
        self.directories = directories
        self.root = root
    }

    /// Checks and indexes `output`; nil (the snapshot refused) at the
    /// first thing that is not exactly what the command prints.
    static func parse(_ output: [UInt8]) -> SyncRemoteSnapshot? {
        guard output.count < Int(UInt32.max) else { return nil }
        var directories: [[UInt8]: [UInt32]] = [:]
        var root: Record?
        var records = 0
        var start = 0
        while start < output.count {
            guard let end = output[start...].firstIndex(of: 0) else { return nil }
            records += 1
            guard records <= maxRecords, let (record, path) = Self.record(output[start..<end]) else { return nil }
            if root == nil {
                // The root first, and only there an empty path.
                guard path.isEmpty, record.kind == .directory else { return nil }
                root = record
                directories[[]] = []
            } else {
                guard !path.isEmpty else { return nil }
                let slash = path.lastIndex(of: UInt8(ascii: "/"))
                let parent = slash.map { Array(path[..<$0]) } ?? []
                let name = slash.map { path[path.index(after: $0)...] } ?? path
                // A parent with a slash must be a directory seen before; an
                // empty one with a slash ("/x") is not one.
                guard slash == nil || !parent.isEmpty, directories[parent] != nil,
                      SFTPName.componentProblem(Array(name)) == nil else { return nil }
                directories[parent, default: []].append(UInt32(start))
                if record.kind == .directory {
                    let key = Array(path)
                    guard directories[key] == nil else { return nil }
                    directories[key] = []
                }
            }
            start = end + 1
        }
        guard let root else { return nil }
        return SyncRemoteSnapshot(output: output, directories: directories, root: root)
    }

    /// The entries of directory `relative`, sorted by name as an SFTP
    /// listing is; nil when the snapshot does not hold that directory.
    func listing(_ relative: [UInt8]) -> SyncListing? {
        guard let offsets = directories[relative] else { return nil }
        var listing = SyncListing()
        listing.entries.reserveCapacity(offsets.count)
        for offset in offsets {
            let start = Int(offset)
            // Checked by `parse`: each offset starts a whole record.
            guard let end = output[start...].firstIndex(of: 0),
                  let (record, path) = Self.record(output[start..<end]) else { continue }
            let name = path.lastIndex(of: UInt8(ascii: "/")).map { Array(path[path.index(after: $0)...]) } ?? Array(path)
            listing.entries.append(SyncEntry(name: name, kind: record.kind, size: record.size,
                                             modificationTime: record.modificationTime, accessTime: record.accessTime,
                                             mode: record.mode))
        }
        listing.entries.sort { $0.name.lexicographicallyPrecedes($1.name) }
        return listing
    }

    /// True when `attributes` (an SFTP STAT of the root) describe the same
    /// directory as the root's record: every field SFTP gave agrees. A
    /// shell whose working directory is not the SFTP server's (sftp-server
    /// -d, a forced command in another tree) would list another directory
    /// for a relative root; its record would have to match this one in
    /// owner, group, mode, size and modification time to be taken for it.
    func describes(_ attributes: SFTPAttributes) -> Bool {
        guard attributes.isDirectory else { return false }
        if let size = attributes.size, size != root.size { return false }
        if let permissions = attributes.permissions, permissions & 0o7777 != root.mode { return false }
        if let times = attributes.times, Int64(times.modificationTime) != root.modificationTime { return false }
        if let owner = attributes.owner, owner.uid != root.uid || owner.gid != root.gid { return false }
        return true
    }

    /// One record without its NUL: the fields and the path, or nil.
    static func record(_ bytes: ArraySlice<UInt8>) -> (Record, ArraySlice<UInt8>)? {
        var fields: [ArraySlice<UInt8>] = []
        fields.reserveCapacity(7)
        var rest = bytes
        for _ in 0..<7 {
            guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else { return nil }
            fields.append(rest[..<space])
            rest = rest[rest.index(after: space)...]
        }
        guard fields[0].count == 1, let letter = fields[0].first,
              let kind = Self.kind(letter),
              let size = Self.decimal(fields[1]),
              let modificationTime = Self.seconds(fields[2]),
              let accessTime = Self.seconds(fields[3]),
              let mode = Self.octal(fields[4]), mode <= 0o7777,
              let uid = Self.decimal(fields[5]), let uidValue = UInt32(exactly: uid),
              let gid = Self.decimal(fields[6]), let gidValue = UInt32(exactly: gid) else { return nil }
        return (Record(kind: kind, size: size, modificationTime: modificationTime, accessTime: accessTime,
                       mode: UInt32(mode), uid: uidValue, gid: gidValue), rest)
    }

    /// `%y`'s letters: regular file, directory, link; block and character
    /// devices, FIFOs, sockets and Solaris doors are `other`, never copied.
    private static func kind(_ letter: UInt8) -> SyncEntry.Kind? {
        switch letter {
        case UInt8(ascii: "f"): .file
        case UInt8(ascii: "d"): .directory
        case UInt8(ascii: "l"): .symbolicLink
        case UInt8(ascii: "b"), UInt8(ascii: "c"), UInt8(ascii: "p"), UInt8(ascii: "s"), UInt8(ascii: "D"): .other
        default: nil
        }
    }

    /// A decimal number of 1 to 20 digits that fits 64 bits.
    static func decimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard (1...20).contains(digits.count) else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
        }
        return value
    }

    /// An octal number of 1 to 7 digits.
    static func octal(_ digits: ArraySlice<UInt8>) -> UInt64? {
        guard (1...7).contains(digits.count) else { return nil }
        var value: UInt64 = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(byte) else { return nil }
            value = value << 3 | UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// `%T@`: `[-]seconds[.fraction]`, as the whole seconds below it
    /// (st_mtime), cut to 32 bits as an SFTP v3 server sends them.
    static func seconds(_ text: ArraySlice<UInt8>) -> Int64? {
        var digits = text
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        var fraction: ArraySlice<UInt8> = []
        if let dot = digits.firstIndex(of: UInt8(ascii: ".")) {
            fraction = digits[digits.index(after: dot)...]
            digits = digits[..<dot]
            guard (1...30).contains(fraction.count),
                  fraction.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        }
        guard let whole = decimal(digits), whole <= UInt64(Int64.max) - 1 else { return nil }
        var value = Int64(whole)
        if negative {
            value = -value
            if fraction.contains(where: { $0 != UInt8(ascii: "0") }) { value -= 1 }
        }
        return Int64(UInt32(truncatingIfNeeded: value))
    }
}
