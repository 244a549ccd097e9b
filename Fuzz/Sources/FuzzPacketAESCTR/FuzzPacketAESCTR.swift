import FuzzSupport
import SSHCrypto

// The packet framer under AES-CTR with each HMAC, encrypt-and-MAC and encrypt-then-MAC (the flags' variant bits pick the MAC).
// Input: see PacketScript (flags byte, then sealed or raw records).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    PacketScript.run(input) { variant in
        let macs = MACAlgorithm.allCases
        let ciphers: [CipherAlgorithm] = [.aes128CTR, .aes256CTR]
        return try PacketScript.make(cipher: ciphers[variant / macs.count % ciphers.count], mac: macs[variant % macs.count])
    }
    return 0
}

@_cdecl("FuzzPacketAESCTR_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
