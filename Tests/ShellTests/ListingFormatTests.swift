import SFTP
import Testing
@testable import Shell

/// ls -l, fmt_scaled and df lines as sftp prints them.
@Suite struct ListingFormatTests {
    @Test func modes() {
        #expect(ListingFormat.mode(0o100644) == "-rw-r--r--")
        #expect(ListingFormat.mode(0o040755) == "drwxr-xr-x")
        #expect(ListingFormat.mode(0o120777) == "lrwxrwxrwx")
        #expect(ListingFormat.mode(0o104755) == "-rwsr-xr-x")
        #expect(ListingFormat.mode(0o041777) == "drwxrwxrwt")
        #expect(ListingFormat.mode(0o102644) == "-rw-r-Sr--")
    }

    @Test func scaledSizes() {
        #expect(ListingFormat.scaled(0) == "0B")
        #expect(ListingFormat.scaled(512) == "512B")
        #expect(ListingFormat.scaled(1023) == "1023B")
        #expect(ListingFormat.scaled(1024) == "1.0K")
        #expect(ListingFormat.scaled(1536) == "1.5K")
        #expect(ListingFormat.scaled(10 * 1024) == "10.0K")
        #expect(ListingFormat.scaled(200 * 1024) == "200K")
        #expect(ListingFormat.scaled(5 * 1024 * 1024) == "5.0M")
        #expect(ListingFormat.scaled(UInt64.max) == "16.0E")
    }

    @Test func longLine() {
        let attributes = SFTPAttributes(size: 5, owner: .init(uid: 1000, gid: 100), permissions: 0o100644,
                                        times: .init(accessTime: 0, modificationTime: 0))
        let line = ListingFormat.longLine(name: "file", attributes: attributes, user: nil, group: nil, human: false, now: 100)
        #expect(line.hasPrefix("-rw-r--r--    ? 1000     100             5 "))
        #expect(line.hasSuffix(" file"))
    }

    @Test func columns() {
        let lines = ListingFormat.columns(["a", "bb", "ccc"], width: 12)
        // longest 3 + 2 = 5 → 2 columns of 6.
        #expect(lines == ["a     bb    ", "ccc   "])
    }

    @Test func diskFree() {
        let stats = SFTPFileSystemStats(blockSize: 4096, fragmentSize: 4096, blocks: 1000, freeBlocks: 250, availableBlocks: 200,
                                        files: 100, freeFiles: 40, availableFiles: 40)
        #expect(ListingFormat.diskFree(stats, human: false, inodes: false)[1]
                == "        4000         3000          800         1000          75%")
        #expect(ListingFormat.diskFree(stats, human: false, inodes: true)[1]
                == "        100          60          40          40          60%")
    }
}
