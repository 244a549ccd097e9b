import CLibcrypto

/// HashAlgorithm names the hash functions SSH uses (exchange hashes, key
/// derivation, signatures, fingerprints, hashed known_hosts).
public enum HashAlgorithm: String, Sendable, CaseIterable {
    /// SHA-1: legacy KEX (group1/group14-sha1), ssh-rsa, hmac-sha1, known_hosts hashing.
    case sha1
    /// SHA-256: curve25519, nistp256, group14-sha256, group exchange, fingerprints.
    case sha256
    /// SHA-384: ecdh-sha2-nistp384, ecdsa-sha2-nistp384.
    case sha384
    /// SHA-512: group16/18, ecdh nistp521, rsa-sha2-512, bcrypt_pbkdf.
    case sha512

    /// Output size in bytes.
    public var digestSize: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// Internal block size in bytes (HMAC pads to this).
    public var blockSize: Int {
        switch self {
        case .sha1, .sha256: 64
        case .sha384, .sha512: 128
        }
    }

    var evpMD: OpaquePointer? {
        switch self {
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
    }

    /// The digest of `data` in one call.
    public func hash<C: ContiguousBytes>(_ data: C) -> [UInt8] {
        var digest = Digest(self)
        digest.update(data)
        return digest.finalize()
    }
}

/// Digest computes a hash incrementally (e.g. the exchange hash H, built from
/// many fields). It is a value type whose state is the context of the low-level
/// libcrypto SHA functions: copying a Digest forks the computation, with no
/// allocation.
public struct Digest: Sendable {
    public let algorithm: HashAlgorithm
    private var state: HashState

    public init(_ algorithm: HashAlgorithm) {
        self.algorithm = algorithm
        self.state = HashState(algorithm)
    }

    public mutating func update(_ data: UnsafeRawBufferPointer) {
        state.update(data)
    }

    public mutating func update<C: ContiguousBytes>(_ data: C) {
        data.withUnsafeBytes { state.update($0) }
    }

    /// Finishes the hash; the Digest must not be updated afterwards.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: algorithm.digestSize)
        out.withUnsafeMutableBytes { state.finalize(into: $0) }
        return out
    }

    /// Finishes the hash into `out`; a buffer shorter than `digestSize` gets
    /// the leading bytes (a truncated digest, as hmac-sha1-96 would use).
    public mutating func finalize(into out: UnsafeMutableRawBufferPointer) {
        if out.count >= algorithm.digestSize {
            state.finalize(into: out)
        } else {
            let full = finalize()
            out.copyBytes(from: full.prefix(out.count))
        }
    }
}

/// HashState is the copyable context of one hash computation. The contexts are
/// plain C structs, so copying one (HMAC's precomputed pads) costs a memcpy and
/// no heap allocation, unlike EVP_MD_CTX_copy in OpenSSL 3.0.
enum HashState: @unchecked Sendable {
    case sha1(SHA_CTX)
    case sha256(SHA256_CTX)
    case sha384(SHA512_CTX)
    case sha512(SHA512_CTX)

    init(_ algorithm: HashAlgorithm) {
        switch algorithm {
        case .sha1:
            var c = SHA_CTX(); SHA1_Init(&c); self = .sha1(c)
        case .sha256:
            var c = SHA256_CTX(); SHA256_Init(&c); self = .sha256(c)
        case .sha384:
            var c = SHA512_CTX(); SHA384_Init(&c); self = .sha384(c)
        case .sha512:
            var c = SHA512_CTX(); SHA512_Init(&c); self = .sha512(c)
        }
    }

    @inline(__always)
    mutating func update(_ data: UnsafeRawBufferPointer) {
        guard data.count > 0 else { return }
        switch self {
        case .sha1(var c): SHA1_Update(&c, data.baseAddress, data.count); self = .sha1(c)
        case .sha256(var c): SHA256_Update(&c, data.baseAddress, data.count); self = .sha256(c)
        case .sha384(var c): SHA384_Update(&c, data.baseAddress, data.count); self = .sha384(c)
        case .sha512(var c): SHA512_Update(&c, data.baseAddress, data.count); self = .sha512(c)
        }
    }

    /// Writes the digest into the first bytes of `out`, which must be large enough.
    @inline(__always)
    mutating func finalize(into out: UnsafeMutableRawBufferPointer) {
        let p = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        switch self {
        case .sha1(var c): SHA1_Final(p, &c); self = .sha1(c)
        case .sha256(var c): SHA256_Final(p, &c); self = .sha256(c)
        case .sha384(var c): SHA384_Final(p, &c); self = .sha384(c)
        case .sha512(var c): SHA512_Final(p, &c); self = .sha512(c)
        }
    }
}
