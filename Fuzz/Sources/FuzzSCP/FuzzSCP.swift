import FuzzSupport
import NIOCore
import SCP

// The scp protocol from the source: each line through SCPRecordParser,
// then the whole input through a recursive sink (records, data, status
// bytes, directories), finishing every file it announces.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzBytes(data, size)
    for line in input.split(separator: 0x0a) { _ = try? SCPRecordParser.parse(line) }
    let expectation: SCPName.Expectation = input.first.map { $0 & 1 == 0 } ?? true ? .matching(Array("*".utf8)) : .exactly(Array("file".utf8))
    var sink = SCPSink(request: .init(recursive: true, expectation: expectation, maxDepth: 8))
    sink.receive(ByteBuffer(bytes: input))
    do {
        while let event = try sink.next() {
            if case .fileEnd = event { sink.finishFile() }
            _ = sink.takeOutput()
        }
        try sink.finish()
    } catch {}
    return 0
}

@_cdecl("FuzzSCP_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzer(argc, argv, fuzzOneInput)
}
