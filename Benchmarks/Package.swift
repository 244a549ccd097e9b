// swift-tools-version:6.1
// ferry's benchmarks: a separate package so that Sources/ never depends on the
// benchmark tooling. `swift package benchmark` runs the microbenchmarks (with
// allocation counts); `swift run -c release CipherComparison` prints packet
// protection throughput next to `openssl speed` on the same machine;
// `swift run -c release Compare` times ferry against OpenSSH sftp/scp, rsync
// and Python SSH clients on a local sshd (see README.md).
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
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
            name: "TransportFramingBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SSHCore", package: ferryIdentity),
                .product(name: "SSHCrypto", package: ferryIdentity),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/TransportFraming",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SFTPCodecBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SFTP", package: ferryIdentity),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/SFTPCodec",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // An SFTP server in memory and the pipeline runs against it: shared
        // by the pipeline benchmarks, PipelineProfile and their test.
        .target(
            name: "InMemorySFTP",
            dependencies: [
                .product(name: "SFTP", package: ferryIdentity),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/InMemorySFTP"
        ),
        .executableTarget(
            name: "SFTPReadPipelineBenchmarks",
            dependencies: [
                "InMemorySFTP",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SFTP", package: ferryIdentity),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/SFTPReadPipeline",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // One pipeline scenario of the benchmarks, run under a heap profiler
        // (heaptrack) to see where its allocations come from.
        .executableTarget(
            name: "PipelineProfile",
            dependencies: [
                "InMemorySFTP",
                .product(name: "SFTP", package: ferryIdentity),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/PipelineProfile"
        ),
        .testTarget(
            name: "InMemorySFTPTests",
            dependencies: [
                "InMemorySFTP",
                .product(name: "SFTP", package: ferryIdentity),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/InMemorySFTPTests"
        ),
        .executableTarget(
            name: "CipherComparison",
            dependencies: [.product(name: "SSHCrypto", package: ferryIdentity)],
            path: "Sources/CipherComparison"
        ),
        // A loopback TCP forwarder that adds a one-way delay (and optionally a
        // bandwidth cap) per direction, so transfers can be measured as if over
        // a WAN link. The core is a library so that tests can drive it.
        .target(
            name: "DelayProxyCore",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Sources/DelayProxyCore"
        ),
        .executableTarget(
            name: "DelayProxy",
            dependencies: [
                "DelayProxyCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/DelayProxy"
        ),
        .testTarget(
            name: "DelayProxyTests",
            dependencies: [
                "DelayProxyCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/DelayProxyTests"
        ),
        // The whole-process comparison of issue 6: ferry against OpenSSH sftp,
        // scp, rsync (and optionally paramiko/asyncssh) on a local sshd, with
        // alternating runs, sha256-verified outputs and Markdown/JSON/SVG
        // reports. The logic is a library so that its tests can check the
        // statistics, data generation, rendering and process spawning.
        .target(
            name: "CompareCore",
            dependencies: [
                "DelayProxyCore",
                .product(name: "SSHCrypto", package: ferryIdentity),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Sources/CompareCore"
        ),
        .executableTarget(
            name: "Compare",
            dependencies: [
                "CompareCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Compare"
        ),
        .testTarget(
            name: "CompareTests",
            dependencies: ["CompareCore"],
            path: "Tests/CompareTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
