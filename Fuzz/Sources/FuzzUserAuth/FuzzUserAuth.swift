import FuzzSupport
@_spi(Internals) import SSHCore
import SSHCrypto

// The user-auth client (RFC 4252, 4256; password change) fed server
// messages: records of uint16 length + payload. It holds a password and an
// Ed25519 key, so publickey, password and keyboard-interactive paths all run;
// prompts are answered with as many answers as asked.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    var reader = FuzzReader(input)
    var credentials: [UserAuthClient.Credential] = [.password(SecureBytes(Array("fuzz".utf8)))]
    if let key = FuzzKeys.privateKey { credentials.insert(.publicKey(key), at: 0) }
    var client = UserAuthClient(user: "fuzz", credentials: credentials)
    _ = client.start()
    let sessionID = [UInt8](repeating: 7, count: 32)
    while !reader.isAtEnd {
        let payload = reader.chunk()
        guard let step = try? client.receive(payload, sessionID: sessionID) else { break }
        if case .prompt(let prompt) = step {
            let answers = prompt.questions.map { _ in SecureBytes(Array("answer".utf8)) }
            guard (try? client.answer(reader.byte() & 1 == 0 ? answers : nil, sessionID: sessionID)) != nil else { break }
        }
        if case .succeeded = step { break }
    }
    return 0
}

@_cdecl("FuzzUserAuth_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
