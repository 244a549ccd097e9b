import FuzzSupport
import NIOCore
@_spi(Internals) import SSHCore
import SSHCrypto

// A client transport fed what a server sends: the identification line
// (a leading uint16-length chunk), then records framed as plaintext packets
// (see PacketScript): KEXINIT, the key exchange reply, NEWKEYS, anything.
// Covers identification, framing, KEXINIT decoding and negotiation, the
// host key blob and signature parsing of the exchange reply.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    var reader = FuzzReader(input)
    let identification = reader.chunk()
    let stream = identification + PacketScript.buildStream(&reader, sealer: PlaintextProtection())
    var transport = SSHTransport(configuration: TransportConfiguration(role: .client))
    var out = ByteBuffer()
    do {
        try transport.start(into: &out)
        // Two appends, split in the middle, so reassembly is exercised too.
        let half = stream.count / 2
        for part in [stream[..<half], stream[half...]] {
            var bytes = ByteBuffer(bytes: part)
            transport.receive(&bytes)
            while let event = try transport.nextEvent(output: &out) {
                out.clear()
                if case .hostKeyNeedsVerification = event { try transport.hostKeyAccepted(output: &out) }
            }
        }
    } catch {}
    return 0
}

@_cdecl("FuzzTransport_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
