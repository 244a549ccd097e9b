import FuzzSupport
import Glibc
@_spi(Internals) import SSHCore

// An ssh_config file: every line through SSHConfigParser, then the whole
// file resolved for a host as `ssh -F file host` would (Host/Match, tokens,
// Include). Match exec runs nothing: the context answers "false".

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    for line in input.split(separator: 0x0a) { _ = try? SSHConfigParser.parse(line) }
    guard let path = FuzzFile.write(input, name: "ssh_config") else { return 0 }
    let context = SSHConfigContext(
        originalHost: "fuzz.example", configFile: path, localUser: "fuzz", homeDirectory: "/nonexistent/ferry-fuzz",
        userID: 1000, localHostName: "fuzzhost", systemConfigFile: "/nonexistent/ferry-fuzz/ssh_config",
        systemConfigDirectory: "/nonexistent/ferry-fuzz", environment: ["HOME": "/nonexistent/ferry-fuzz"],
        runCommand: { _ in 1 })
    var options = ClientOptions()
    _ = try? SSHConfigFile.resolve(into: &options, context: context)
    return 0
}

@_cdecl("FuzzSSHConfig_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
