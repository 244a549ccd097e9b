import Locking

/// AheadReply holds the reply to a request sent before anyone asked for
/// it (the STATs `SFTPClient.connect` sends behind INIT) until a caller
/// takes it: whichever comes first, the reply or the caller, waits for the
/// other.
final class AheadReply: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Result<SFTPReply, SFTPError>, Never>])
        case resolved(Result<SFTPReply, SFTPError>)
    }

    private let state = Locked(State.waiting([]))

    /// Called once, by the session's reader, with the reply or the error
    /// that ended the session.
    func resolve(_ result: Result<SFTPReply, SFTPError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Result<SFTPReply, SFTPError>, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .resolved(result)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// The reply, once it is in.
    var value: Result<SFTPReply, SFTPError> {
        get async {
            if case .resolved(let result) = state.withLock({ $0 }) { return result }
            return await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Result<SFTPReply, SFTPError>? in
                    switch state {
                    case .waiting(var waiters):
                        waiters.append(continuation)
                        state = .waiting(waiters)
                        return nil
                    case .resolved(let result):
                        return result
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
