import ArgumentParser
import Foundation
import SFTP
import SSHCore
import Transfer

/// Which protocol a transfer speaks.
enum TransferProtocol: Equatable {
    /// SFTP; SCP when the server refuses the sftp subsystem.
    case auto
    /// SFTP only.
    case sftp
    /// The legacy scp protocol only (`scp -O`).
    case scp
}

/// `--scp` / `--sftp` of get and put (cp spells them `-O` / `-s`).
struct ProtocolFlags: ParsableArguments {
    @Flag(name: .customLong("scp"), help: "Use the legacy SCP protocol (as scp -O) instead of SFTP.")
    var scp = false

    @Flag(name: .customLong("sftp"), help: "Use SFTP only: no fallback to SCP when the server has no sftp subsystem.")
    var sftp = false

    func validate() throws {
        if scp && sftp { throw ValidationError("--scp and --sftp exclude each other") }
    }

    var selected: TransferProtocol { scp ? .scp : sftp ? .sftp : .auto }
}

extension TransferRun {
    /// The refusal of what `protocol` cannot do with `transfer`'s options.
    static func check(_ selected: TransferProtocol, _ transfer: TransferFlags) throws {
        if selected == .scp && transfer.resume {
            throw ValidationError("-a (resume) needs SFTP: SCP has no offsets to continue from; drop --scp/-O")
        }
        if selected == .scp && transfer.bandwidth.bytesPerSecond != nil {
            throw ValidationError("-l and --bwlimit need SFTP (not done over SCP yet); drop --scp/-O")
        }
    }

    /// The SFTP session `selected` asks for, or nil for SCP: with `.auto`,
    /// a server that refuses the sftp subsystem (no sftp-server, or one
    /// configured without it) is used over SCP, said in one notice line
    /// (none under -q). Other failures are thrown.
    /// `statsAhead`: see `SSHClient.openSFTP`.
    static func openSFTP(_ client: SSHClient, _ selected: TransferProtocol, _ transfer: TransferFlags,
                         quiet: Bool, statsAhead: [SFTPPath] = []) async throws -> (SFTPClient, SSHChannelStream)? {
        if selected == .scp { return nil }
        do {
            return try await client.openSFTP(requestTimeout: transfer.requestTimeout, statsAhead: statsAhead)
        } catch where selected == .auto && refusesSFTP(error) {
            if !quiet {
                FileHandle.standardError.write(Data("ferry: the server refused the sftp subsystem; using SCP\n".utf8))
            }
            if transfer.resume {
                throw ValidationError("-a (resume) needs SFTP, which this server refuses")
            }
            if transfer.bandwidth.bytesPerSecond != nil {
                throw ValidationError("-l and --bwlimit need SFTP, which this server refuses")
            }
            return nil
        }
    }

    /// True for the ways a server says it has no SFTP: it refuses the
    /// subsystem request (no Subsystem line), or accepts it and closes the
    /// channel before SFTP's VERSION (sshd whose sftp-server is missing,
    /// dropbear built or installed without one).
    static func refusesSFTP(_ error: Error) -> Bool {
        if let error = error as? SSHError { return error.code == .channelFailure }
        if let error = error as? SFTPError { return error.code == .connectionClosed }
        return false
    }
}
