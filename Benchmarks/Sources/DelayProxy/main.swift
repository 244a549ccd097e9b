// DelayProxy: a loopback TCP forwarder that adds a one-way delay (and
// optionally a bandwidth cap) in each direction, to measure ferry as if over
// a WAN link. See DelayProxyCore for how it works.
import DelayProxyCore
import Dispatch
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: DelayProxy --target TPORT [--listen PORT] [--delay-ms N] [--rate-mbit N] [--buffer-kib N]
           DelayProxy --self-test [--delay-ms N] [--round-trips N] [--bulk-mib N]

    Listens on 127.0.0.1:PORT (0 = pick one; default 0) and forwards every
    connection to 127.0.0.1:TPORT. The first line on stdout is
    "listening 127.0.0.1:<port>".

      --delay-ms N     one-way delay per direction, milliseconds (default 0;
                       a round trip gains 2N)
      --rate-mbit N    bandwidth cap per direction, 10^6 bit/s (default none)
      --buffer-kib N   bytes one direction may hold before the proxy stops
                       reading its sender (default 2 x rate x delay + 1 MiB
                       with --rate-mbit, else 16 MiB)
      --self-test      measure the proxy's own overhead against a local echo
                       server (round trips and bulk echo, direct vs proxied)
    Stops on SIGINT or SIGTERM.
    """

struct Options {
    var listenPort = 0
    var targetPort: Int?
    var delayMilliseconds = 0.0
    var rateMegabits: Double?
    var bufferKiB: Int?
    var selfTest = false
    var roundTrips = 2000
    var bulkMiB = 256
}

func fail(_ message: String) -> Never {
    FileHandleStandardError.write("DelayProxy: \(message)\n")
    exit(2)
}

enum FileHandleStandardError {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc_write(2, $0.baseAddress, $0.count) }
    }
}

#if canImport(Glibc)
let Glibc_write = Glibc.write
#else
let Glibc_write = Darwin.write
#endif

func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var index = 0
    func value(_ name: String) -> String {
        index += 1
        guard index < arguments.count else { fail("\(name) needs a value\n\(usage)") }
        return arguments[index]
    }
    func number(_ name: String, in range: ClosedRange<Double>) -> Double {
        let text = value(name)
        guard let n = Double(text), range.contains(n) else {
            fail("\(name) \(text): expected a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }
    while index < arguments.count {
        switch arguments[index] {
        case "--listen": options.listenPort = Int(number("--listen", in: 0...65535))
        case "--target": options.targetPort = Int(number("--target", in: 1...65535))
        case "--delay-ms": options.delayMilliseconds = number("--delay-ms", in: 0...600_000)
        case "--rate-mbit": options.rateMegabits = number("--rate-mbit", in: 0.001...1_000_000)
        case "--buffer-kib": options.bufferKiB = Int(number("--buffer-kib", in: 1...16_777_216))
        case "--self-test": options.selfTest = true
        case "--round-trips": options.roundTrips = Int(number("--round-trips", in: 1...10_000_000))
        case "--bulk-mib": options.bulkMiB = Int(number("--bulk-mib", in: 1...65536))
        case "-h", "--help":
            print(usage)
            exit(0)
        default: fail("unknown argument \(arguments[index])\n\(usage)")
        }
        index += 1
    }
    return options
}

let options = parse(Array(CommandLine.arguments.dropFirst()))
let delay = TimeAmount.nanoseconds(Int64((options.delayMilliseconds * 1_000_000).rounded()))
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

if options.selfTest {
    do {
        let report = try DelayProxySelfTest.run(
            delay: delay,
            roundTrips: options.roundTrips,
            bulkBytes: options.bulkMiB << 20,
            group: group
        )
        print(report)
        try? group.syncShutdownGracefully()
        exit(0)
    } catch {
        fail("self-test failed: \(error)")
    }
}

guard let targetPort = options.targetPort else { fail("--target is required\n\(usage)") }
let configuration = DelayProxyConfiguration(
    listenPort: options.listenPort,
    targetPort: targetPort,
    delay: delay,
    rateMegabitsPerSecond: options.rateMegabits,
    bufferCapacity: options.bufferKiB.map { $0 * 1024 }
)

let proxy: DelayProxy
do {
    proxy = try DelayProxy.bind(configuration: configuration, group: group).wait()
} catch {
    fail("cannot listen on 127.0.0.1:\(options.listenPort): \(error)")
}
print("listening 127.0.0.1:\(proxy.localPort)")
fflush(nil)

// Stop on SIGINT/SIGTERM: stop accepting, drop open connections, exit 0.
// (A plain function, so the handler is not isolated to the main actor: it
// runs on the signal queue.)
nonisolated func installSignalHandlers(proxy: DelayProxy, group: MultiThreadedEventLoopGroup) -> [DispatchSourceSignal] {
    let queue = DispatchQueue(label: "DelayProxy.signals")
    return [SIGINT, SIGTERM].map { signalNumber in
        signal(signalNumber, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
        source.setEventHandler {
            try? proxy.stop().wait()
            try? group.syncShutdownGracefully()
            let stats = proxy.statistics.snapshot
            FileHandleStandardError.write(
                "DelayProxy: stopped; \(stats.connectionsAccepted) connections, "
                    + "\(stats.bytesForwarded) bytes forwarded, peak buffered \(stats.peakBufferedBytes) bytes\n"
            )
            exit(0)
        }
        source.resume()
        return source
    }
}

let signalSources = installSignalHandlers(proxy: proxy, group: group)
dispatchMain()
