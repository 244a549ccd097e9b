import CLibcrypto

/// Blowfish is the Blowfish block cipher (Schneier, 1993) together with the
/// two key-schedule steps of Eksblowfish (Provos and Mazières, 1999) that
/// bcrypt_pbkdf is built from.
///
/// OpenSSL's BF_* API only offers the complete standard key schedule, so the
/// expensive "expand state" steps bcrypt needs are written here in Swift. The
/// state (P-array then S-boxes, 1042 words) lives in one manual allocation so
/// the round function indexes raw memory with no bounds checks or
/// copy-on-write checks, and so it can be wiped when the value goes away: the
/// state is derived from the passphrase.
///
/// The type is noncopyable: the state has exactly one owner, which frees it.
struct Blowfish: ~Copyable {
    /// Words in the P-array (16 rounds + 2 whitening subkeys).
    static let pWords = 18
    /// Words in the four S-boxes.
    static let sWords = 4 * 256
    static let stateWords = pWords + sWords

    /// P[0..<18] followed by S0, S1, S2, S3.
    private let state: UnsafeMutablePointer<UInt32>

    /// The initial state (pi's digits), with no key mixed in yet.
    init() {
        state = .allocate(capacity: Self.stateWords)
        state.initialize(repeating: 0, count: Self.stateWords)
        reset()
    }

    /// Standard Blowfish keyed with `key` (the initial state, then one
    /// `expand0(key:)`). Keys are nominally 4 to 56 bytes; any non-empty key
    /// is accepted, as OpenSSL does, and it is repeated to fill the P-array.
    init(key: some ContiguousBytes) {
        self.init()
        key.withUnsafeBytes { expand0(key: $0) }
    }

    deinit {
        OPENSSL_cleanse(state, Self.stateWords * MemoryLayout<UInt32>.stride)
        state.deallocate()
    }

    /// Restores the initial state, so one allocation serves many key schedules.
    func reset() {
        BlowfishTables.p.withUnsafeBufferPointer { p in
            for i in 0..<min(p.count, Self.pWords) { state[i] = p[i] }
        }
        BlowfishTables.s.withUnsafeBufferPointer { s in
            let sbox = state + Self.pWords
            for i in 0..<min(s.count, Self.sWords) { sbox[i] = s[i] }
        }
    }

    /// Blowfish's F function: the four S-box lookups of one round.
    @inline(__always)
    private static func f(_ s: UnsafeMutablePointer<UInt32>, _ x: UInt32) -> UInt32 {
        ((s[Int(x >> 24)] &+ s[256 + Int((x >> 16) & 0xFF)])
            ^ s[512 + Int((x >> 8) & 0xFF)]) &+ s[768 + Int(x & 0xFF)]
    }

    /// Encrypts one 64-bit block given as its big-endian halves.
    @inline(__always)
    func encrypt(_ left: inout UInt32, _ right: inout UInt32) {
        let p = state
        let s = state + Self.pWords
        var l = left ^ p[0]
        var r = right
        var i = 1
        while i < 17 {
            r ^= Self.f(s, l) ^ p[i]
            l ^= Self.f(s, r) ^ p[i + 1]
            i += 2
        }
        left = r ^ p[17]
        right = l
    }

    /// Encrypts an 8-byte block (ECB); other sizes are left alone and
    /// reported by returning false. Used by the known-answer tests.
    func encryptBlock(_ block: UnsafeMutableRawBufferPointer) -> Bool {
        guard block.count == 8 else { return false }
        var l = UInt32(block[0]) << 24 | UInt32(block[1]) << 16 | UInt32(block[2]) << 8 | UInt32(block[3])
        var r = UInt32(block[4]) << 24 | UInt32(block[5]) << 16 | UInt32(block[6]) << 8 | UInt32(block[7])
        encrypt(&l, &r)
        for i in 0..<4 {
            block[i] = UInt8(truncatingIfNeeded: l >> (24 - 8 * i))
            block[4 + i] = UInt8(truncatingIfNeeded: r >> (24 - 8 * i))
        }
        return true
    }

    /// Eksblowfish "expand0state", which is also the standard Blowfish key
    /// schedule: XOR the key (repeated) into the P-array, then replace the
    /// whole state, pair by pair, with the encryption of a running block that
    /// starts at zero.
    func expand0(key: UnsafeRawBufferPointer) {
        var keyWords = CyclicWords(key)
        for i in 0..<Self.pWords { state[i] ^= keyWords.next() }
        var l: UInt32 = 0
        var r: UInt32 = 0
        var i = 0
        while i < Self.stateWords {
            encrypt(&l, &r)
            state[i] = l
            state[i + 1] = r
            i += 2
        }
    }

    /// Eksblowfish "expandstate": like `expand0(key:)`, but before each
    /// encryption the running block is XORed with the next 64 bits of `data`
    /// (the salt, repeated).
    func expand(data: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) {
        var keyWords = CyclicWords(key)
        for i in 0..<Self.pWords { state[i] ^= keyWords.next() }
        var dataWords = CyclicWords(data)
        var l: UInt32 = 0
        var r: UInt32 = 0
        var i = 0
        while i < Self.stateWords {
            l ^= dataWords.next()
            r ^= dataWords.next()
            encrypt(&l, &r)
            state[i] = l
            state[i + 1] = r
            i += 2
        }
    }
}

/// CyclicWords reads big-endian 32-bit words from a byte string, wrapping
/// around to its start whenever it runs out (OpenBSD's
/// `Blowfish_stream2word`). An empty string yields zero words rather than
/// dividing by zero.
struct CyclicWords {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func next() -> UInt32 {
        guard bytes.count > 0 else { return 0 }
        var word: UInt32 = 0
        for _ in 0..<4 {
            if index >= bytes.count { index = 0 }
            word = word << 8 | UInt32(bytes[index])
            index += 1
        }
        return word
    }
}
