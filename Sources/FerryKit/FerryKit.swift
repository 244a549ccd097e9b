// FerryKit: ferry as a library.
//
// The types a program needs to name when it uses `SSHConnection` and
// `SFTPSession` (TransferOptions, TransferEvent, SFTPAttributes, SSHError…)
// live in the modules below; they are re-exported so that `import FerryKit`
// is the one import a program needs.
@_exported import SFTP
@_exported import SSHCore
@_exported import SSHCrypto
@_exported import Transfer
