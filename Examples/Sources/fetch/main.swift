// fetch: one download with a progress line, through the same engine as
// `ferry get` (pipelined reads, temporary name and rename).
//
//     fetch [-F ssh_config] <destination> <remote-file> <local-file>
//
// Shows the progress callback: `TransferEvent.started` gives the size,
// each `.progress` the bytes just moved. The callback runs on whichever
// task moved them, so its state sits behind a Mutex, and it only formats
// a line when the whole percentage changes. The benchmark harness times
// this program as the `ferry-lib` tool (Benchmarks/README.md).
import FerryKit
import Foundation
import Synchronization

/// What the progress callback keeps between calls.
struct Progress {
    var size: UInt64 = 0
    var bytes: UInt64 = 0
    var percent = -1
}

var arguments = Array(CommandLine.arguments.dropFirst())
var options = SSHOptions()
if arguments.first == "-F", arguments.count > 1 { options.configFile = arguments[1]; arguments.removeFirst(2) }
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: fetch [-F ssh_config] <destination> <remote-file> <local-file>\n".utf8))
    exit(2)
}

do {
    let started = ContinuousClock.now
    let ssh = try await SSHConnection.connect(to: arguments[0], options: options)
    let sftp = try await ssh.openSFTP()
    let progress = Mutex(Progress())
    let report = try await sftp.download(arguments[1], to: arguments[2]) { event in
        let line: String? = progress.withLock { p in
            switch event {
            case .started(_, let size): p.size = size ?? 0
            case .progress(let bytes): p.bytes += bytes
            default: return nil
            }
            let percent = p.size == 0 ? 100 : Int(min(p.bytes, p.size) * 100 / p.size)
            guard percent != p.percent else { return nil }
            p.percent = percent
            return "\r\(percent)% of \(p.size) bytes"
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }
    let elapsed = started.duration(to: .now).components
    let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    let rate = seconds > 0 ? Double(report.bytes) / seconds / 1e6 : 0
    FileHandle.standardError.write(Data("\n\(report.bytes) bytes in \(String(format: "%.2f", seconds)) s (\(String(format: "%.0f", rate)) MB/s)\n".utf8))
    await sftp.close()
    await ssh.close()
} catch {
    FileHandle.standardError.write(Data("\nfetch: \(error)\n".utf8))
    exit(1)
}
