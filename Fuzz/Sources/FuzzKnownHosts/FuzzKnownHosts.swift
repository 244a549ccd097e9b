import FuzzSupport
@_spi(Internals) import SSHCore
import SSHCrypto

// A known_hosts file (plain, hashed, markers, patterns, ports), looked up
// for a few names and for a fixed key.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    let file = KnownHostsFile(path: "fuzz/known_hosts", contents: input)
    _ = file.skippedLines.count
    let hosts = KnownHosts(userFiles: [file])
    for name in ["example.com", "[127.0.0.1]:2222", "host.example.org", "10.0.0.1"] {
        _ = hosts.entries(matching: name)
        if let key = FuzzKeys.publicKey { _ = hosts.status(of: key, for: name) }
    }
    if let key = FuzzKeys.publicKey { _ = hosts.entries(holding: key) }
    return 0
}

@_cdecl("FuzzKnownHosts_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
