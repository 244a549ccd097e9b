import NIOCore
import Testing
@_spi(Internals) @testable import SSHCore

/// The connect clock in every order its steps can arrive in: the
/// connecting task arms it from another thread, so it may come before the
/// handshake, while a person is asked, or after authentication.
@Suite("connect deadline")
struct ConnectDeadlineTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    @Test func armedFirstIsScheduledAndAuthenticationCancelsIt() {
        var clock = ConnectDeadline()
        #expect(clock.arm(start + .seconds(30), now: start) == .schedule(start + .seconds(30)))
        #expect(clock.authenticationFinished() == .cancel)
        #expect(clock.deadline == nil)
    }

    @Test func armedAfterAuthenticationIsNeverScheduled() {
        // The race a loaded machine showed: the handshake finished before
        // the connecting task armed the deadline, which then cut the
        // working connection 30 s later ("timed out connecting").
        var clock = ConnectDeadline()
        #expect(clock.authenticationFinished() == .cancel)
        #expect(clock.arm(start + .seconds(30), now: start) == .none)
        #expect(clock.deadline == nil)
        #expect(clock.suspend(now: start) == .none)
        #expect(clock.resume(now: start + .seconds(5)) == .none)
    }

    @Test func timeSpentAskingIsNotCounted() {
        var clock = ConnectDeadline()
        _ = clock.arm(start + .seconds(30), now: start)
        #expect(clock.suspend(now: start + .seconds(10)) == .cancel)
        // The person takes a minute; 20 s are left afterwards.
        #expect(clock.resume(now: start + .seconds(70)) == .schedule(start + .seconds(90)))
    }

    @Test func armedWhileAskingStartsStopped() {
        var clock = ConnectDeadline()
        #expect(clock.suspend(now: start) == .none)
        #expect(clock.arm(start + .seconds(30), now: start + .seconds(1)) == .none)
        #expect(clock.resume(now: start + .seconds(100)) == .schedule(start + .seconds(129)))
    }

    @Test func anExpiredRemainderStillGivesTheLoopATurn() {
        var clock = ConnectDeadline()
        _ = clock.arm(start + .seconds(1), now: start)
        _ = clock.suspend(now: start + .seconds(2))
        #expect(clock.resume(now: start + .seconds(3)) == .schedule(start + .seconds(3) + .milliseconds(1)))
    }
}
