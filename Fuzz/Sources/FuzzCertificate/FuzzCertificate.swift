import FuzzSupport
import SSHCrypto

// OpenSSH certificates: the input as a certificate blob (fields, critical
// options, extensions, signature key, signature verified), and as a
// -cert.pub line.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    if let certificate = try? SSHCertificate(blob: input) {
        _ = certificate.description
        try? certificate.verifySignature()
        _ = certificate.isValid(at: 1_700_000_000)
    }
    _ = try? SSHCertificate(openSSHLine: "ssh-ed25519-cert-v01@openssh.com " + Base64.encode(input))
    _ = try? SSHCertificate(openSSHLine: String(decoding: input, as: UTF8.self))
    return 0
}

@_cdecl("FuzzCertificate_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
