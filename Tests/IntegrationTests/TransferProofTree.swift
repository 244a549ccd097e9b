import Foundation
import Glibc
import Testing

/// ProofTree is a generated directory tree with known contents, modes and
/// times: written once under a root, then compared with each copy a
/// transfer made.
struct ProofTree {
    /// One file or directory of the tree.
    struct Entry {
        /// The path relative to the tree's root.
        var path: String
        /// The file's bytes; nil for a directory.
        var contents: [UInt8]?
        var mode: mode_t
        var accessTime: Int
        var modificationTime: Int
    }

    /// Parents before their children.
    var entries: [Entry]

    var files: [Entry] { entries.filter { $0.contents != nil } }
    var byteCount: UInt64 { files.reduce(0) { $0 + UInt64($1.contents?.count ?? 0) } }

    /// 2000 files of 1–64 KiB in 20 directories (ten at the top, each with
    /// one nested), deterministic contents, modes cycling through
    /// 0644/0600/0640/0755/0604, distinct access and modification times.
    static func twoThousandFiles() -> ProofTree {
        var entries: [Entry] = []
        var directories: [String] = []
        for d in 0..<10 {
            directories.append(String(format: "d%02d", d))
            directories.append(String(format: "d%02d/n%02d", d, d + 10))
        }
        let directoryModes: [mode_t] = [0o755, 0o750, 0o700]
        for (d, path) in directories.enumerated() {
            entries.append(Entry(path: path, contents: nil, mode: directoryModes[d % 3],
                                 accessTime: 1_400_000_000, modificationTime: 1_450_000_000 + d * 1000))
        }
        let fileModes: [mode_t] = [0o644, 0o600, 0o640, 0o755, 0o604]
        for i in 0..<2000 {
            let size = 1024 + (i &* 7919) % (63 * 1024 + 1)
            entries.append(Entry(path: "\(directories[i % 20])/f\(i)", contents: Proof.bytes(size, seed: UInt64(i) + 1),
                                 mode: fileModes[i % 5], accessTime: 1_300_000_000 + i * 11,
                                 modificationTime: 1_500_000_000 + i * 37))
        }
        return ProofTree(entries: entries)
    }

    /// Writes the tree under `root` (created), files first, then the
    /// directories' modes and times deepest first; with `sshd`, every entry
    /// is given to the fixture's account.
    func write(under root: String, for sshd: SSHDFixture? = nil) throws {
        try Proof.makeDirectory(root)
        if let sshd { Proof.giveToAccount(root, sshd) }
        for entry in entries {
            let path = "\(root)/\(entry.path)"
            if let contents = entry.contents {
                try Proof.write(path, contents, mode: entry.mode)
                Proof.setTimes(path, access: entry.accessTime, modification: entry.modificationTime)
            } else {
                try Proof.makeDirectory(path)
            }
            if let sshd { Proof.giveToAccount(path, sshd) }
        }
        for entry in entries.reversed() where entry.contents == nil {
            let path = "\(root)/\(entry.path)"
            chmod(path, entry.mode)
            Proof.setTimes(path, access: entry.accessTime, modification: entry.modificationTime)
        }
    }

    /// Every path under `root`, relative to it (directories and files).
    static func listing(_ root: String) -> Set<String> {
        var found = Set<String>()
        func walk(_ relative: String) {
            let path = relative.isEmpty ? root : "\(root)/\(relative)"
            for name in Proof.names(path) ?? [] {
                let child = relative.isEmpty ? name : "\(relative)/\(name)"
                found.insert(child)
                if let st = Proof.status("\(root)/\(child)"), st.st_mode & S_IFMT == S_IFDIR { walk(child) }
            }
        }
        walk("")
        return found
    }

    /// Expects the copy under `root` to hold exactly this tree: the same
    /// paths, regular files and directories, the same bytes, and with
    /// `preserved` the same modes, modification times and (files) access
    /// times. Every status is read before any content, since reading a file
    /// moves its access time.
    func expectCopy(at root: String, preserved: Bool, _ label: String,
                    sourceLocation: SourceLocation = #_sourceLocation) {
        let listing = Self.listing(root)
        let expected = Set(entries.map(\.path))
        #expect(listing == expected, "\(label): extra \(listing.subtracting(expected).sorted().prefix(5)), missing \(expected.subtracting(listing).sorted().prefix(5))",
                sourceLocation: sourceLocation)
        var wrong: [String] = []
        for entry in entries {
            let path = "\(root)/\(entry.path)"
            guard let st = Proof.status(path) else { continue }
            let type = st.st_mode & S_IFMT
            if type != (entry.contents == nil ? S_IFDIR : S_IFREG) { wrong.append("\(entry.path): type \(String(type, radix: 8))"); continue }
            guard preserved else { continue }
            if st.st_mode & 0o7777 != entry.mode {
                wrong.append("\(entry.path): mode \(String(st.st_mode & 0o7777, radix: 8)), not \(String(entry.mode, radix: 8))")
            }
            if st.st_mtim.tv_sec != entry.modificationTime {
                wrong.append("\(entry.path): mtime \(st.st_mtim.tv_sec), not \(entry.modificationTime)")
            }
            if entry.contents != nil, st.st_atim.tv_sec != entry.accessTime {
                wrong.append("\(entry.path): atime \(st.st_atim.tv_sec), not \(entry.accessTime)")
            }
        }
        for entry in entries {
            guard let contents = entry.contents, Proof.exists("\(root)/\(entry.path)") else { continue }
            if Proof.contents("\(root)/\(entry.path)") != contents { wrong.append("\(entry.path): different bytes") }
        }
        #expect(wrong.isEmpty, "\(label): \(wrong.count) wrong, first: \(wrong.prefix(8))", sourceLocation: sourceLocation)
    }
}
