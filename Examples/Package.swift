// swift-tools-version:6.0
// Small programs built on FerryKit, ferry's library: each shows one way a
// Swift program uses it (see README.md). They depend on the ferry package
// in the folder above, as a program of yours would depend on its URL.
import PackageDescription
import struct Foundation.URL

// A path dependency's identity is its folder's name, which differs between
// checkouts (a CI clone or a worktree may not be called "ferry"), so derive it.
let ferry = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()
let ferryKit: Target.Dependency = .product(name: "FerryKit", package: ferry)

let package = Package(
    name: "ferry-examples",
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        // The paramiko tutorial, step by step: connect, run, SFTP put/listdir/get/remove.
        .executableTarget(name: "tutorial", dependencies: [ferryKit]),
        // Mirror a remote directory into a local one with SFTPSession.sync.
        .executableTarget(name: "mirror", dependencies: [ferryKit]),
        // One download with a progress line (the harness's `ferry-lib` row).
        .executableTarget(name: "fetch", dependencies: [ferryKit]),
    ],
    swiftLanguageModes: [.v6]
)
