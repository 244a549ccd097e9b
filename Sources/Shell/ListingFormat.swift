#if canImport(Glibc)
import Glibc
#endif
import SFTP

/// ListingFormat renders listings exactly as OpenSSH's sftp does, so
/// scripts that read `ls -l` or `df` output keep working: `ls_file` of
/// sftp-common.c for long lines, `fmt_scaled` of OpenBSD's libutil for
/// `-h` sizes, `strmode` for the mode column, and sftp's column layout
/// for short listings.
public enum ListingFormat {
    /// The ten-character mode column (`drwxr-xr-x`), as strmode(3) writes
    /// it, without its trailing space.
    public static func mode(_ mode: UInt32) -> String {
        var s: [Character] = []
        switch mode & 0o170000 {
        case 0o040000: s.append("d")
        case 0o020000: s.append("c")
        case 0o060000: s.append("b")
        case 0o100000: s.append("-")
        case 0o120000: s.append("l")
        case 0o140000: s.append("s")
        case 0o010000: s.append("p")
        default: s.append("?")
        }
        func triplet(_ r: UInt32, _ w: UInt32, _ x: UInt32, _ special: UInt32, _ set: Character, _ unset: Character) {
            s.append(mode & r != 0 ? "r" : "-")
            s.append(mode & w != 0 ? "w" : "-")
            switch (mode & x != 0, mode & special != 0) {
            case (true, true): s.append(set)
            case (false, true): s.append(unset)
            case (true, false): s.append("x")
            case (false, false): s.append("-")
            }
        }
        triplet(0o400, 0o200, 0o100, 0o4000, "s", "S")
        triplet(0o040, 0o020, 0o010, 0o2000, "s", "S")
        triplet(0o004, 0o002, 0o001, 0o1000, "t", "T")
        return String(s)
    }

    /// A size in at most four characters with a unit (`512B`, `1.5K`,
    /// `12M`), as fmt_scaled(3).
    public static func scaled(_ value: UInt64) -> String {
        let units: [Character] = ["B", "K", "M", "G", "T", "P", "E"]
        var number = value
        var fraction: UInt64 = 0
        var unit = 0
        var factor: UInt64 = 1
        for index in 0..<units.count {
            if value / 1024 < factor || index == units.count - 1 {
                unit = index
                if index > 0 {
                    fraction = (value % factor) / (factor / 1024)
                    number = value / factor
                }
                break
            }
            factor = factor.multipliedReportingOverflow(by: 1024).overflow ? UInt64.max : factor * 1024
        }
        fraction = (10 * fraction + 512) / 1024
        if fraction >= 10 {
            number += 1
            fraction = 0
        }
        if number == 0 { return "0B" }
        if unit == 0 || number >= 100 {
            if fraction >= 5 { number += 1 }
            return "\(number)\(units[unit])"
        }
        return "\(number).\(fraction)\(units[unit])"
    }

    /// One `ls -l` line for a remote entry (sftp's `ls_file` with remote
    /// set): mode, `?` for the link count, owner and group (names when
    /// known, else ids), size (scaled with `human`), date, name.
    public static func longLine(name: String, attributes: SFTPAttributes, user: String?, group: String?,
                                human: Bool, now: Int = Int(time(nil))) -> String {
        let modeText = mode(attributes.permissions ?? 0) + " "
        let owner = user ?? attributes.owner.map { "\($0.uid)" } ?? "0"
        let groupName = group ?? attributes.owner.map { "\($0.gid)" } ?? "0"
        let size = attributes.size ?? 0
        let sizeText = human ? scaled(size) : "\(size)"
        let date = dateText(Int(attributes.times?.modificationTime ?? 0), now: now)
        return modeText + " " + pad("?", 3, right: true) + " " + pad(owner, max(8, owner.count), right: false)
            + " " + pad(groupName, max(8, groupName.count), right: false) + " " + pad(sizeText, 8, right: true)
            + " " + date + " " + name
    }

    /// `%b %e %H:%M` for the last six months, `%b %e  %Y` otherwise, in
    /// local time.
    static func dateText(_ seconds: Int, now: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        guard localtime_r(&t, &parts) != nil else { return "" }
        let recent = now - (365 * 24 * 60 * 60) / 2 < seconds && now >= seconds
        var buffer = [CChar](repeating: 0, count: 32)
        let written = strftime(&buffer, buffer.count, recent ? "%b %e %H:%M" : "%b %e  %Y", &parts)
        guard written > 0 else { return "" }
        return String(decoding: buffer.prefix(written).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func pad(_ text: String, _ width: Int, right: Bool) -> String {
        let count = text.count
        guard count < width else { return text }
        let fill = String(repeating: " ", count: width - count)
        return right ? fill + text : text + fill
    }

    /// Short listing in columns, as sftp lays names out for a terminal
    /// `width` wide (80 when not a terminal): as many columns as the
    /// longest name plus two allows, filled across.
    public static func columns(_ names: [String], width: Int = 80) -> [String] {
        guard !names.isEmpty else { return [] }
        let longest = names.map(\.count).max() ?? 1
        let columns = max(1, width / (longest + 2))
        let space = min(width / columns, width)
        var lines: [String] = []
        var line = ""
        for (index, name) in names.enumerated() {
            // Every name padded, the last of a line too, as sftp prints them.
            line += pad(name, space, right: false)
            if (index + 1) % columns == 0 || index == names.count - 1 {
                lines.append(line)
                line = ""
            }
        }
        return lines
    }

    /// The two lines `df` prints (header and figures), as sftp's `do_df`.
    public static func diskFree(_ st: SFTPFileSystemStats, human: Bool, inodes: Bool) -> [String] {
        func percent(_ used: UInt64, _ total: UInt64) -> UInt64 { total == 0 ? 0 : (100 * used) / total }
        func column(_ value: UInt64, _ width: Int) -> String { pad("\(value)", width, right: true) }
        if inodes {
            let used = st.files &- st.freeFiles
            return ["     Inodes        Used       Avail      (root)    %Capacity",
                    column(st.files, 11) + " " + column(used, 11) + " " + column(st.availableFiles, 11) + " "
                        + column(st.freeFiles, 11) + "         " + pad("\(percent(used, st.files))", 3, right: true) + "%"]
        }
        let fragment = st.fragmentSize
        func bytes(_ blocks: UInt64) -> UInt64 { blocks.multipliedReportingOverflow(by: fragment).overflow ? UInt64.max : blocks * fragment }
        let used = st.blocks &- st.freeBlocks
        let capacity = percent(used, st.blocks)
        if human {
            func h(_ blocks: UInt64) -> String { pad(scaled(bytes(blocks)), 7, right: true) + "B" }
            return ["    Size     Used    Avail   (root)    %Capacity",
                    h(st.blocks) + " " + h(used) + " " + h(st.availableBlocks) + " " + h(st.freeBlocks)
                        + "         " + pad("\(capacity)", 3, right: true) + "%"]
        }
        return ["        Size         Used        Avail       (root)    %Capacity",
                column(bytes(st.blocks) / 1024, 12) + " " + column(bytes(used) / 1024, 12) + " "
                    + column(bytes(st.availableBlocks) / 1024, 12) + " " + column(bytes(st.freeBlocks) / 1024, 12)
                    + "         " + pad("\(capacity)", 3, right: true) + "%"]
    }
}
