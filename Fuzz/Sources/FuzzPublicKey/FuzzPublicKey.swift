import FuzzSupport
import SSHCrypto

// Public keys: a wire blob (the first uint16 chunk) through SSHPublicKey,
// its fingerprint, and a signature blob (the rest) verified against it; and
// the input as an authorized_keys / .pub line.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    var reader = FuzzReader(input)
    let blob = reader.chunk()
    let signature = reader.rest()
    if let key = try? SSHPublicKey(blob: blob) {
        _ = key.description
        try? key.verify(signature: signature, for: Array("data".utf8))
    }
    if let key = FuzzKeys.publicKey { try? key.verify(signature: signature, for: Array("data".utf8)) }
    _ = try? SSHPublicKey(openSSHLine: "ssh-ed25519 " + Base64.encode(blob) + " c")
    _ = try? SSHPublicKey(openSSHLine: String(decoding: input, as: UTF8.self))
    return 0
}

@_cdecl("FuzzPublicKey_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
