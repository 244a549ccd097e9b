// swift-tools-version:6.1
// ferry's benchmarks: a separate package so that Sources/ never depends on the
// benchmark tooling. `swift package benchmark` runs the microbenchmarks (with
// allocation counts); `swift run -c release CipherComparison` prints packet
// protection throughput next to `openssl speed` on the same machine.
import PackageDescription
import class Foundation.ProcessInfo
import struct Foundation.URL

// A path dependency's identity is its folder's name, which differs between
// checkouts (a CI clone may not be called "ferry"), so derive it.
let ferryIdentity = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "ferry-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "PacketProtectionBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SSHCrypto", package: ferryIdentity),
            ],
            path: "Benchmarks/PacketProtection",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "CipherComparison",
            dependencies: [.product(name: "SSHCrypto", package: ferryIdentity)],
            path: "Sources/CipherComparison"
        ),
    ],
    swiftLanguageModes: [.v6]
)
