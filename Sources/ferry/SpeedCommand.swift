import ArgumentParser
import SSHCrypto

/// `ferry speed`: how fast this machine seals and opens SSH packets with each
/// cipher (and MAC), like `openssl speed` for the SSH constructions — the
/// ceiling for any transfer over one connection.
struct SpeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speed",
        abstract: "Measure SSH packet encryption throughput on this machine."
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("Cipher to measure (repeatable; default: all).", valueName: "cipher"))
    var cipher: [String] = []

    @Option(name: .shortAndLong, help: ArgumentHelp("MAC to pair with non-AEAD ciphers.", valueName: "mac"))
    var mac: String = MACAlgorithm.hmacSHA256ETM.rawValue

    @Option(name: .customLong("bytes"), help: ArgumentHelp("Payload bytes per packet (repeatable).", valueName: "bytes"))
    var payloadSizes: [Int] = [32768, 262_144]

    @Option(help: ArgumentHelp("Seconds to spend on each measurement.", valueName: "seconds"))
    var seconds: Double = 0.5

    func run() throws {
        let ciphers = try cipher.isEmpty ? CipherAlgorithm.allCases : cipher.map { name in
            guard let c = CipherAlgorithm(rawValue: name) else { throw ValidationError("unknown cipher \"\(name)\"; see ferry -Q cipher") }
            return c
        }
        guard let macAlgorithm = MACAlgorithm(rawValue: mac) else {
            throw ValidationError("unknown MAC \"\(mac)\"; see ferry -Q mac")
        }
        guard seconds > 0, seconds <= 60 else { throw ValidationError("--seconds must be in (0, 60]") }
        guard payloadSizes.allSatisfy({ $0 >= 0 && $0 <= 16 << 20 }) else {
            throw ValidationError("--bytes must be between 0 and 16 MiB")
        }
        print(pad("algorithm", 48) + pad("bytes", 9) + pad("seal MB/s", 12) + "open MB/s")
        for c in ciphers {
            for size in payloadSizes {
                let r = try ProtectionThroughput.measure(
                    cipher: c, mac: c.isAEAD ? nil : macAlgorithm, payloadSize: size,
                    duration: .milliseconds(Int(seconds * 1000)))
                let name = c.isAEAD ? c.rawValue : "\(c.rawValue) \(macAlgorithm.rawValue)"
                print(pad(name, 48) + pad(String(size), 9) + pad(format(r.sealMBps), 12) + format(r.openMBps))
            }
        }
    }

    private func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    private func format(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
