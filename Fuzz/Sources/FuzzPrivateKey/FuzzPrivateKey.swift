import FuzzSupport
import SSHCrypto

// Private key files: OpenSSH (openssh-key-v1), PEM PKCS#1 RSA, SEC1 EC,
// PKCS#8 and encrypted PKCS#8 (ferry reads no PuTTY files). The first byte
// picks the armor put around the binary rest (so the fuzzer mutates the
// binary structure, not base64), or takes the rest as text. No passphrase:
// the KDF would make each run take seconds, and the envelope checks run
// before it.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    var reader = FuzzReader(input)
    let mode = reader.byte()
    let body = reader.rest()
    let labels = ["OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]
    let text: String
    if Int(mode) < labels.count {
        let label = labels[Int(mode)]
        text = "-----BEGIN \(label)-----\n" + Base64.encode(body) + "\n-----END \(label)-----\n"
    } else {
        text = String(decoding: body, as: UTF8.self)
    }
    _ = try? PrivateKeyFile.isEncrypted(text)
    _ = try? PrivateKeyFile.decode(text, passphrase: nil)
    return 0
}

@_cdecl("FuzzPrivateKey_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
