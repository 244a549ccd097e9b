import Testing
@_spi(Internals) @testable import SSHCore

/// Runs `body` and checks that it throws an `SSHError` with `code`: not
/// another error type (a `WireError` or `CryptoError` leaking out of a layer
/// is a bug too), not success. Returns the error for further checks.
@discardableResult
func expectSSHError(_ code: SSHError.Code, _ what: @autoclosure () -> String = "",
                    sourceLocation: SourceLocation = #_sourceLocation,
                    _ body: () throws -> Void) -> SSHError? {
    do {
        try body()
        Issue.record("expected SSHError.\(code) \(what()), but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as SSHError {
        #expect(error.code == code, "\(what()): \(error.message)", sourceLocation: sourceLocation)
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected SSHError.\(code) \(what()), got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Runs `body`; an error, if any, must be an `SSHError` (fuzzing: any code
/// is fine, another error type or a trap is not). Returns the error.
@discardableResult
func expectNothingButSSHError(_ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation,
                              _ body: () throws -> Void) -> SSHError? {
    do {
        try body()
        return nil
    } catch let error as SSHError {
        return error
    } catch {
        Issue.record("\(what()): threw \(type(of: error)) instead of SSHError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// True when `text` contains no C0 or C1 control character other than
/// newline and tab, nor DEL: nothing a terminal would act on.
func isTerminalSafe(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { scalar in
        let v = scalar.value
        if scalar == "\n" || scalar == "\t" { return true }
        return v >= 0x20 && v != 0x7f && !(0x80...0x9f).contains(v)
    }
}
