import CLibcrypto

/// OSSLParameters collects the named values of a key for EVP_PKEY_fromdata
/// (OpenSSL 3's replacement for the deprecated RSA_set0_* / EC_KEY_* setters).
///
/// OSSL_PARAM_BLD keeps pointers to the names, integers and octet strings it
/// is given until `build` turns them into an OSSL_PARAM array, and that array
/// still points at the names. This class therefore owns copies of everything
/// it pushes and outlives the array: names and octets live in allocations it
/// frees (octets cleared first), integers are retained BigNums.
final class OSSLParameters {
    private let builder: OpaquePointer
    private var names: [UnsafeMutablePointer<CChar>] = []
    private var octets: [UnsafeMutableRawBufferPointer] = []
    private var integers: [BigNum] = []

    init() throws {
        guard let b = OSSL_PARAM_BLD_new() else { throw CryptoError.openssl("OSSL_PARAM_BLD_new") }
        builder = b
    }

    deinit {
        OSSL_PARAM_BLD_free(builder)
        for name in names { name.deallocate() }
        for buffer in octets {
            OPENSSL_cleanse(buffer.baseAddress, buffer.count)
            buffer.deallocate()
        }
    }

    private func keep(_ name: String) -> UnsafeMutablePointer<CChar> {
        let utf8 = Array(name.utf8)
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
        for (i, byte) in utf8.enumerated() { copy[i] = CChar(bitPattern: byte) }
        copy[utf8.count] = 0
        names.append(copy)
        return copy
    }

    /// Adds an integer; pass a BigNum made with `secure: true` for secrets.
    func add(_ name: String, _ value: BigNum) throws {
        integers.append(value)
        try check(OSSL_PARAM_BLD_push_BN(builder, keep(name), value.pointer), "OSSL_PARAM_BLD_push_BN(\(name))")
    }

    func add(_ name: String, integer magnitude: some ContiguousBytes, secret: Bool) throws {
        try add(name, BigNum(magnitude: magnitude, secure: secret))
    }

    func add(_ name: String, octets value: some ContiguousBytes) throws {
        let copy = value.withUnsafeBytes { raw -> UnsafeMutableRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(raw.count, 1), alignment: 1)
            buffer.copyMemory(from: raw)
            return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<raw.count])
        }
        octets.append(copy)
        try check(OSSL_PARAM_BLD_push_octet_string(builder, keep(name), copy.baseAddress, copy.count),
                  "OSSL_PARAM_BLD_push_octet_string(\(name))")
    }

    func add(_ name: String, utf8 value: String) throws {
        try check(OSSL_PARAM_BLD_push_utf8_string(builder, keep(name), keep(value), 0),
                  "OSSL_PARAM_BLD_push_utf8_string(\(name))")
    }

    /// Builds the OSSL_PARAM array and lends it to `body`; the array is freed
    /// (its secure part cleared) when `body` returns.
    func withParameters<R>(_ body: (UnsafeMutablePointer<OSSL_PARAM>) throws -> R) throws -> R {
        guard let params = OSSL_PARAM_BLD_to_param(builder) else {
            throw CryptoError.openssl("OSSL_PARAM_BLD_to_param")
        }
        defer { OSSL_PARAM_free(params) }
        return try body(params)
    }
}
