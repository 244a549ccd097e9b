import SFTP

/// Several transfers over one session that run at once (the commands of
/// an sftp batch) must share one memory budget, or each would get its own
/// and together hold many times the budget. `sharing` makes a transfer
/// with other options and its own event handler that draws on this one's
/// budget, and on its bandwidth limit when it has one (`-l` is one limit
/// for the session).
extension FileTransfer {
    public func sharing(options: TransferOptions,
                        onEvent: @escaping @Sendable (TransferEvent) -> Void) -> FileTransfer {
        FileTransfer(client: client, options: options, onEvent: onEvent, budget: budget, limiter: limiter, pool: pool)
    }
}
