// swift-tools-version:6.0
// ferry: SFTP/SCP file transfer over its own SSH2 implementation.
// Module layout and dependency direction: see ARCHITECTURE.md (shared/) — arrows
// point down only; SSHCrypto is the only module that imports C.
import PackageDescription
import class Foundation.ProcessInfo

/// FERRY_TSAN=1 (scripts/sanitize thread): `Locked` becomes a lock
/// ThreadSanitizer can see (Sources/Locking/Locked.swift).
let lockSettings: [SwiftSetting] = ProcessInfo.processInfo.environment["FERRY_TSAN"] == nil ? [] : [.define("FERRY_TSAN")]

let package = Package(
    name: "ferry",
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
        // The library a Swift program imports: connect like `ssh host`,
        // run commands, SFTP, get/put/sync/SCP with the CLI's engine.
        .library(name: "FerryKit", targets: ["FerryKit"]),
        .library(name: "SSHCore", targets: ["SSHCore"]),
        .library(name: "SFTP", targets: ["SFTP"]),
        .library(name: "SCP", targets: ["SCP"]),
        .library(name: "ByteStreams", targets: ["ByteStreams"]),
        // Exposed so Benchmarks/ can measure the primitives directly.
        .library(name: "SSHCrypto", targets: ["SSHCrypto"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibcrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "SSHWire"),
        .target(name: "Locking", swiftSettings: lockSettings),
        .target(name: "SSHCrypto", dependencies: ["CLibcrypto", "CZlib", "SSHWire"]),
        .target(
            name: "SSHCore",
            dependencies: [
                "SSHWire", "SSHCrypto", "ByteStreams",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // SFTP runs over any byte stream (an SSH channel, or pipes to a local
        // sftp-server): it never imports SSHCore. ByteBuffer carries file data
        // without copies.
        // The byte stream SFTP and SCP both run over (see ByteStream.swift).
        .target(name: "ByteStreams", dependencies: [.product(name: "NIOCore", package: "swift-nio")]),
        .target(
            name: "SFTP",
            dependencies: ["SSHWire", "ByteStreams", "Locking", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // SCP, like SFTP, runs over any ByteStream and never imports SSHCore.
        .target(name: "SCP", dependencies: ["ByteStreams", .product(name: "NIOCore", package: "swift-nio")]),
        .target(name: "Transfer", dependencies: [
            "SFTP", "SCP", "SSHCore", "SSHCrypto", "Locking",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // The high-level library: destinations resolved as ssh resolves them
        // (ssh_config, known_hosts, agent, identity files, jump hosts in
        // process), exec, SFTP, and the Transfer engine behind one front.
        .target(name: "FerryKit", dependencies: [
            "Transfer", "SFTP", "SCP", "SSHCore", "SSHCrypto", "Locking",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // The sftp command language: lexer, commands, batch runner.
        .target(name: "Shell", dependencies: ["Transfer", "SFTP", "Locking"]),
        .executableTarget(
            name: "ferry",
            dependencies: [
                "FerryKit", "Transfer", "Shell", "SSHCore", "SSHCrypto", "Locking",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "SSHWireTests", dependencies: ["SSHWire"]),
        .testTarget(name: "SSHCryptoTests", dependencies: ["SSHCrypto", "SSHWire"]),
        .testTarget(
            name: "SSHCoreTests",
            dependencies: [
                "SSHCore", "SSHCrypto", "SSHWire", "Locking",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // Test support shared by the SFTP and Transfer tests (a local
        // sftp-server over pipes); not a product.
        .target(
            name: "SFTPTestSupport",
            dependencies: ["SFTP", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/SFTPTestSupport"
        ),
        .testTarget(
            name: "SFTPTests",
            dependencies: ["SFTP", "SFTPTestSupport", "SSHWire", "Locking", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(name: "ByteStreamsTests", dependencies: ["ByteStreams", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "SCPTests", dependencies: ["SCP", "ByteStreams", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "TransferTests",
            dependencies: ["Transfer", "SFTP", "SFTPTestSupport", "Locking", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // Unit tests of the command line's pure pieces (option parsing, reports).
        .testTarget(name: "FerryTests", dependencies: ["ferry"]),
        .testTarget(
            name: "ShellTests",
            dependencies: ["Shell", "Transfer", "SFTP", "SFTPTestSupport", "Locking"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "SSHCore", "SSHCrypto", "SSHWire", "Transfer", "FerryKit", "Locking",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
