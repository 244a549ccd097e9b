import Foundation
import SSHCrypto

// Prints seal and open throughput of each SSH packet protection next to what
// `openssl speed -evp` reports for the same primitives on this machine, and
// the ratio. For AES-CTR with an HMAC the OpenSSL reference is the composite
// 1 / (1/aes + 1/hmac), since a packet pays for both. On a shared machine the
// two are measured alternately, `rounds` times, and the best of each is kept.

let payloadSizes = [32 * 1024, 256 * 1024]
let seconds = Double(ProcessInfo.processInfo.environment["FERRY_BENCH_SECONDS"] ?? "") ?? 1.0
let rounds = max(1, Int(ProcessInfo.processInfo.environment["FERRY_BENCH_ROUNDS"] ?? "") ?? 3)

/// OpenSSL's one-direction throughput in MB/s for `-evp NAME` (or `-hmac NAME`).
func opensslSpeed(_ args: [String], bytes: Int) -> Double? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["openssl", "speed", "-seconds", String(max(1, Int(seconds.rounded()))), "-bytes", String(bytes)] + args
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
          let field = last.split(separator: " ").last, field.hasSuffix("k"),
          let kilobytes = Double(field.dropLast()) else { return nil }
    return kilobytes / 1000  // openssl reports 1000s of bytes per second
}

struct Row {
    let name: String
    let cipher: CipherAlgorithm
    let mac: MACAlgorithm?
    let reference: (Int) -> Double?
}

func composite(_ a: Double?, _ b: Double?) -> Double? {
    guard let a, let b, a > 0, b > 0 else { return nil }
    return 1 / (1 / a + 1 / b)
}

let rows: [Row] = [
    Row(name: "chacha20-poly1305@openssh.com", cipher: .chacha20Poly1305, mac: nil) { opensslSpeed(["-evp", "chacha20-poly1305"], bytes: $0) },
    Row(name: "aes128-gcm@openssh.com", cipher: .aes128GCM, mac: nil) { opensslSpeed(["-evp", "aes-128-gcm"], bytes: $0) },
    Row(name: "aes256-gcm@openssh.com", cipher: .aes256GCM, mac: nil) { opensslSpeed(["-evp", "aes-256-gcm"], bytes: $0) },
    Row(name: "aes128-ctr + hmac-sha2-256-etm", cipher: .aes128CTR, mac: .hmacSHA256ETM) {
        composite(opensslSpeed(["-evp", "aes-128-ctr"], bytes: $0), opensslSpeed(["-hmac", "sha256"], bytes: $0))
    },
    Row(name: "aes256-ctr + hmac-sha2-512-etm", cipher: .aes256CTR, mac: .hmacSHA512ETM) {
        composite(opensslSpeed(["-evp", "aes-256-ctr"], bytes: $0), opensslSpeed(["-hmac", "sha512"], bytes: $0))
    },
    Row(name: "aes128-ctr + hmac-sha2-256 (EaM)", cipher: .aes128CTR, mac: .hmacSHA256) {
        composite(opensslSpeed(["-evp", "aes-128-ctr"], bytes: $0), opensslSpeed(["-hmac", "sha256"], bytes: $0))
    },
]

func f(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "n/a" }
func pct(_ a: Double, _ b: Double?) -> String { b.map { String(format: "%.0f%%", 100 * a / $0) } ?? "n/a" }

print("| protection | payload | seal MB/s | open MB/s | openssl speed MB/s | seal / openssl | open / openssl |")
print("|---|---:|---:|---:|---:|---:|---:|")
var failures = 0
for row in rows {
    for size in payloadSizes {
        do {
            var reference: Double?
            var seal = 0.0, open = 0.0
            for _ in 0..<rounds {
                if let r = row.reference(size) { reference = max(reference ?? 0, r) }
                let r = try ProtectionThroughput.measure(cipher: row.cipher, mac: row.mac, payloadSize: size,
                                                         duration: .milliseconds(Int(seconds * 1000)))
                seal = max(seal, r.sealMBps)
                open = max(open, r.openMBps)
            }
            print("| \(row.name) | \(size / 1024) KiB | \(f(seal)) | \(f(open)) | \(f(reference)) | \(pct(seal, reference)) | \(pct(open, reference)) |")
        } catch {
            failures += 1
            print("| \(row.name) | \(size / 1024) KiB | error: \(error) | | | | |")
        }
    }
}
exit(failures == 0 ? 0 : 1)
