// swift-tools-version:6.0
// ferry's libFuzzer targets: a separate package (like Benchmarks/) so the
// sanitizer flags never touch the main build. One executable per parser that
// sees peer or file bytes; build and run them with `scripts/fuzz`
// (docs/fuzzing.md):
//   swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let fuzzTargets = [
    "FuzzPacketPlain", "FuzzPacketAESCTR", "FuzzPacketAESGCM", "FuzzPacketChaCha",
    "FuzzTransport", "FuzzKex", "FuzzUserAuth", "FuzzChannel",
    "FuzzSFTP", "FuzzSCP",
    "FuzzKnownHosts", "FuzzSSHConfig", "FuzzPrivateKey", "FuzzPublicKey", "FuzzCertificate",
]

let ferry: [Target.Dependency] = [
    "FuzzSupport",
    .product(name: "SSHCore", package: "ferry"),
    .product(name: "SSHCrypto", package: "ferry"),
    .product(name: "SFTP", package: "ferry"),
    .product(name: "SCP", package: "ferry"),
    .product(name: "NIOCore", package: "swift-nio"),
]

let package = Package(
    name: "FerryFuzz",
    dependencies: [
        .package(name: "ferry", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        .target(name: "FuzzSupport", dependencies: [
            .product(name: "SSHCore", package: "ferry"),
            .product(name: "SSHCrypto", package: "ferry"),
        ]),
    ] + fuzzTargets.map { .executableTarget(name: $0, dependencies: ferry) },
    swiftLanguageModes: [.v6]
)
