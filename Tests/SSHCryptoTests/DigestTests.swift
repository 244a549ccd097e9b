import Testing
@testable import SSHCrypto

func hex(_ s: String) -> [UInt8] {
    let clean = s.filter { !$0.isWhitespace }
    var out: [UInt8] = []
    out.reserveCapacity(clean.count / 2)
    var index = clean.startIndex
    while index < clean.endIndex {
        let next = clean.index(index, offsetBy: 2)
        out.append(UInt8(clean[index..<next], radix: 16)!)
        index = next
    }
    return out
}

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format2: $0) }.joined()
}

extension String {
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}

/// FIPS 180 examples ("abc" and the 448-bit message).
@Test func shaKnownAnswers() {
    let abc = Array("abc".utf8)
    #expect(hexString(HashAlgorithm.sha1.hash(abc)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    #expect(hexString(HashAlgorithm.sha256.hash(abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(hexString(HashAlgorithm.sha384.hash(abc)) == "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
    #expect(hexString(HashAlgorithm.sha512.hash(abc)) == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
    let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
    #expect(hexString(HashAlgorithm.sha256.hash(long)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
}

@Test func incrementalDigestMatchesOneShotAndForks() {
    let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
    for algorithm in HashAlgorithm.allCases {
        var d = Digest(algorithm)
        d.update(Array(data[0..<333]))
        var fork = d
        d.update(Array(data[333...]))
        #expect(d.finalize() == algorithm.hash(data))
        #expect(fork.finalize() == algorithm.hash(Array(data[0..<333])))
    }
}

@Test func truncatedFinalizeWritesPrefix() {
    var d = Digest(.sha1)
    d.update(Array("abc".utf8))
    var out = [UInt8](repeating: 0, count: 12)
    out.withUnsafeMutableBytes { d.finalize(into: $0) }
    #expect(hexString(out) == "a9993e364706816aba3e2571")
}

@Test func constantTimeEqualityComparesContentAndLength() {
    #expect(constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
    #expect(!constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
    #expect(!constantTimeEquals([1, 2] as [UInt8], [1, 2, 3] as [UInt8]))
    #expect(constantTimeEquals([] as [UInt8], [] as [UInt8]))
}

@Test func secureBytesKeepsContentAndSlices() {
    let s = SecureBytes([1, 2, 3, 4, 5] as [UInt8])
    #expect(s.bytes == [1, 2, 3, 4, 5])
    #expect(s.slice(1..<3).bytes == [2, 3])
    #expect(s.slice(4..<99).bytes == [5])
    var a: [UInt8] = [9, 9, 9]
    a.wipe()
    #expect(a == [0, 0, 0])
}

@Test func randomBytesDiffer() throws {
    let a = try SecureRandom.bytes(32)
    let b = try SecureRandom.bytes(32)
    #expect(a.count == 32)
    #expect(a != b)
    for bound: UInt32 in [1, 2, 7, 1000] {
        #expect(try SecureRandom.uniform(bound) < bound)
    }
}
