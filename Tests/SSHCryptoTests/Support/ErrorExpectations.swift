import Testing
@testable import SSHCrypto

/// Expects `body` to throw a CryptoError whose code is one of `codes`;
/// `context` names the case in a failure (e.g. which truncation).
func expectCryptoError(
    _ codes: CryptoError.Code...,
    context: @autoclosure () -> String = "",
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    let wanted = codes.map(\.rawValue).joined(separator: " or ")
    do {
        try body()
        Issue.record("expected CryptoError \(wanted), nothing was thrown \(context())", sourceLocation: sourceLocation)
    } catch let error as CryptoError {
        if !codes.contains(error.code) {
            Issue.record("expected \(wanted), got \(error.code.rawValue): \(error.message) \(context())", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected CryptoError \(wanted), got \(error) \(context())", sourceLocation: sourceLocation)
    }
}
