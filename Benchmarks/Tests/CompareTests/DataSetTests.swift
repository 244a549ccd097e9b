import CompareCore
import Foundation
import Testing

@Suite struct DataSetTests {
    let directory: String

    init() throws {
        directory = try Setup.makeTemporaryDirectory(under: "/tmp", prefix: "compare-tests")
    }

    /// The data sets depend only on the seed: the same seed must give the same
    /// sha256 on every machine, so these digests are pinned.
    @Test func sameSeedSameFile() throws {
        defer { removeTree(directory) }
        try DataSet.writeFile(at: directory + "/a", bytes: 1_000_003, seed: 7)
        try DataSet.writeFile(at: directory + "/b", bytes: 1_000_003, seed: 7)
        try DataSet.writeFile(at: directory + "/c", bytes: 1_000_003, seed: 8)
        let a = try ContentDigest.file(directory + "/a")
        #expect(a == (try ContentDigest.file(directory + "/b")))
        #expect(a != (try ContentDigest.file(directory + "/c")))
        let size = try FileManager.default.attributesOfItem(atPath: directory + "/a")[.size] as? Int
        #expect(size == 1_000_003)
    }

    @Test func generatorIsStable() {
        var generator = SeededGenerator(seed: 1)
        // SplitMix64's published first output for seed 1.
        #expect(generator.next() == 0x910A_2DEC_8902_5CC1)
    }

    @Test func sameSeedSameTree() throws {
        defer { removeTree(directory) }
        let shape = DataSet.TreeShape(files: 30, directories: 4, minBytes: 1024, maxBytes: 4096)
        let total = try DataSet.writeTree(at: directory + "/t1", shape: shape, seed: 3)
        try DataSet.writeTree(at: directory + "/t2", shape: shape, seed: 3)
        try DataSet.writeTree(at: directory + "/t3", shape: shape, seed: 4)
        let t1 = try ContentDigest.tree(directory + "/t1")
        #expect(t1.files == 30)
        #expect(t1.bytes == total)
        #expect(total >= 30 * 1024 && total <= 30 * 4096)
        #expect(t1.digest == (try ContentDigest.tree(directory + "/t2")).digest)
        #expect(t1.digest != (try ContentDigest.tree(directory + "/t3")).digest)
        let directories = try FileManager.default.contentsOfDirectory(atPath: directory + "/t1")
        #expect(directories.sorted() == ["d000", "d001", "d002", "d003"])
    }

    /// A tree digest notices a renamed, missing or altered file.
    @Test func treeDigestSeesEveryChange() throws {
        defer { removeTree(directory) }
        let shape = DataSet.TreeShape(files: 5, directories: 2, minBytes: 10, maxBytes: 20)
        try DataSet.writeTree(at: directory + "/t", shape: shape, seed: 1)
        let original = try ContentDigest.tree(directory + "/t").digest
        try FileManager.default.moveItem(atPath: directory + "/t/d000/f00000.bin", toPath: directory + "/t/d000/g.bin")
        #expect(try ContentDigest.tree(directory + "/t").digest != original)
        try FileManager.default.moveItem(atPath: directory + "/t/d000/g.bin", toPath: directory + "/t/d000/f00000.bin")
        #expect(try ContentDigest.tree(directory + "/t").digest == original)
        try writeText("x", to: directory + "/t/d001/f00001.bin")
        #expect(try ContentDigest.tree(directory + "/t").digest != original)
    }

    @Test func fileDigestIsSHA256() throws {
        defer { removeTree(directory) }
        try writeText("abc", to: directory + "/abc")
        #expect(try ContentDigest.file(directory + "/abc")
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
