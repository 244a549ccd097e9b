import FuzzSupport
import NIOCore
@_spi(Internals) import SSHCore

// Connection-protocol messages (RFC 4254): each record (a kind byte, uint16
// length, bytes) is either a payload decoded by ConnectionMessage and fed to
// a client multiplexer with two sessions open, or a local action on a channel
// (send data, consume, EOF, close), so replies meet channels in every state.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    var reader = FuzzReader(input)
    var mux = ChannelMultiplexer(configuration: .init(role: .client))
    _ = try? mux.openSession()
    _ = try? mux.openSession(receiveWindow: 1024)
    while !reader.isAtEnd {
        let kind = reader.byte()
        let body = reader.chunk()
        let channel = ChannelID(UInt32(kind >> 3))
        do {
            switch kind & 7 {
            case 0, 1, 2, 3:
                let payload = ByteBuffer(bytes: body)
                _ = try? ConnectionMessage.decode(payload)
                try mux.receive(payload: payload)
            case 4: _ = try mux.sendData(ByteBuffer(bytes: body), on: channel)
            case 5: mux.consumed(body.count * 64, on: channel)
            case 6: try mux.sendEOF(on: channel)
            default: try mux.close(channel, discardingQueuedData: body.count & 1 == 0)
            }
        } catch {
            // A refused message ends the connection; a refused local action
            // is the caller's error. Either way, stop.
            break
        }
        while mux.nextEvent() != nil {}
        while mux.nextOutboundPayload() != nil {}
    }
    return 0
}

@_cdecl("FuzzChannel_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
