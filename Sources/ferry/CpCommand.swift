import ArgumentParser
import Foundation
import SFTP
import Transfer

/// `ferry cp [options] SOURCE… TARGET`: scp's argument form, so that
/// `alias scp='ferry cp'` works for everyday use. The direction follows
/// from which side is remote (`[user@]host:path` or
/// `scp://[user@]host[:port]/path`); the copy is a get or a put, with
/// scp's short options (`-P -i -o -F -J -r -p -q -C -c -v`), `-O` for the
/// legacy SCP protocol and `-s` for SFTP only. By default ferry speaks SFTP
/// and falls back to SCP when the server has no sftp subsystem.
struct CpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp",
        abstract: "Copy files as scp does: SOURCE… TARGET, remote paths as [user@]host:path or scp://[user@]host[:port]/path.",
        discussion: """
            SFTP by default, falling back to SCP when the server refuses the sftp subsystem; -O forces the legacy \
            SCP protocol, -s SFTP only. Remote-to-remote copies are refused: copy in two steps through this machine.
            """)

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var transfer: TransferFlags

    @Flag(name: .customShort("O"), help: "Use the legacy SCP protocol (as scp -O; the same as --scp).")
    var legacy = false

    @Flag(name: .customShort("s"), help: "Use SFTP only (no fallback to SCP; the same as --sftp).")
    var sftpOnly = false

    @Flag(name: .customShort("3"), help: "Copy between two remote hosts through this machine (not supported yet: refused).")
    var throughLocal = false

    @Argument(help: ArgumentHelp("Sources, then the target; remote ones as [user@]host:path or scp://[user@]host[:port]/path.", valueName: "source… target"))
    var paths: [String] = []

    func validate() throws {
        if legacy && sftpOnly { throw ValidationError("-O and -s exclude each other") }
        if (legacy && transfer.protocolFlags.sftp) || (sftpOnly && transfer.protocolFlags.scp) {
            throw ValidationError("-O (--scp) and -s (--sftp) exclude each other")
        }
    }

    var selected: TransferProtocol { legacy ? .scp : sftpOnly ? .sftp : transfer.protocolFlags.selected }

    func run() async throws {
        guard paths.count >= 2, let last = paths.last else {
            throw ValidationError("usage: ferry cp [options] source… target")
        }
        let target = try RemoteLocation.parse(last)
        let sources = try paths.dropLast().map { ($0, try RemoteLocation.parse($0)) }
        let remoteSources = sources.compactMap(\.1)
        if let target {
            if !remoteSources.isEmpty {
                throw ValidationError("remote-to-remote copies are not supported: copy to this machine, then from it")
            }
            let locals = sources.map { LocalPath(bytes: RawArguments.bytes(of: $0.0)) }
            let remote = RawArguments.remotePath(target, in: last)
            try await TransferRun.run(connection: connection, flags: transfer, options: transfer.options, remotes: [target],
                                      protocol: selected, direction: .upload,
                                      scp: { scp in await scp.put(locals, to: remote, recursive: transfer.recursive) }) { files, _ in
                await files.putExpandingTilde(locals, to: remote, recursive: transfer.recursive)
            }
            return
        }
        guard remoteSources.count == sources.count else {
            if remoteSources.isEmpty { throw ValidationError("no remote path: for a local copy use cp") }
            throw ValidationError("sources must be all remote (a get) or all local (a put)")
        }
        let remotes = sources.compactMap { text, location in location.map { (text, $0) } }
            .map { text, location in (location, SFTPPath(bytes: RawArguments.remotePath(location, in: text))) }
        let local = LocalPath(bytes: RawArguments.bytes(of: last))
        try await TransferRun.run(connection: connection, flags: transfer, options: transfer.options, remotes: remotes.map(\.0),
                                  protocol: selected,
                                  scp: { scp in await scp.get(remotes.map { $0.1.bytes }, to: local, recursive: transfer.recursive) }) { files, expand in
            var paths: [SFTPPath] = []
            var failures: [TransferError] = []
            for (_, source) in remotes {
                do { paths += try await expand(source) } catch {
                    let failure = TransferError.wrapping(error)
                    files.onEvent(.failed(failure))
                    failures.append(failure)
                }
            }
            var report = await files.get(paths, to: local, recursive: transfer.recursive)
            report.failures.insert(contentsOf: failures, at: 0)
            return report
        }
    }
}
