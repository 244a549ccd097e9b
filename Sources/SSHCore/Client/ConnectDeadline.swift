import NIOCore

/// ConnectDeadline is the clock of one connect: TCP connect through
/// authentication must finish by a deadline, except for the time a person
/// spends answering (host key question, password, passphrase), and once
/// authenticated it no longer applies.
///
/// It decides; the handler schedules. The orders can interleave in any
/// way: the connecting task arms the deadline while the event loop may
/// already be asking a person, or may already have authenticated (a busy
/// machine can hold the task back for the whole handshake), and a deadline
/// armed after authentication would cut a working connection.
struct ConnectDeadline {
    /// What the handler does after a step.
    enum Action: Equatable {
        /// Nothing changes.
        case none
        /// (Re)schedule the failure at this time.
        case schedule(NIODeadline)
        /// Cancel the scheduled failure.
        case cancel
    }

    private(set) var deadline: NIODeadline?
    private var suspendedRemaining: TimeAmount?
    private var askingPerson = false
    private var authenticated = false

    /// The connecting task arms the deadline.
    mutating func arm(_ at: NIODeadline, now: NIODeadline) -> Action {
        guard !authenticated else { return .none }
        deadline = at
        if askingPerson {
            suspendedRemaining = at - now
            return .none
        }
        return .schedule(at)
    }

    /// A person is being asked: the clock stops.
    mutating func suspend(now: NIODeadline) -> Action {
        askingPerson = true
        guard let at = deadline, suspendedRemaining == nil else { return .none }
        suspendedRemaining = at - now
        return .cancel
    }

    /// The person answered: the clock goes on with the time that was left.
    mutating func resume(now: NIODeadline) -> Action {
        askingPerson = false
        guard let remaining = suspendedRemaining, deadline != nil else { return .none }
        suspendedRemaining = nil
        let at = now + max(remaining, .milliseconds(1))
        deadline = at
        return .schedule(at)
    }

    /// Authentication finished: the deadline is gone for good.
    mutating func authenticationFinished() -> Action {
        authenticated = true
        deadline = nil
        suspendedRemaining = nil
        return .cancel
    }
}
