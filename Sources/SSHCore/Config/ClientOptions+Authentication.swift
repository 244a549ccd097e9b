import Foundation

extension ClientOptions {
    /// The authentication policy these options select, with ssh's defaults:
    /// PreferredAuthentications `publickey,keyboard-interactive,password`,
    /// every method on, BatchMode off, NumberOfPasswordPrompts 3. `canPrompt`
    /// is left to the owner, who knows whether anybody can answer.
    public func authenticationPolicy(host: String) -> AuthenticationPolicy {
        var preferred = AuthenticationPolicy.defaultPreferredMethods
        if let list = preferredAuthentications {
            preferred = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return AuthenticationPolicy(
            preferredMethods: preferred,
            publicKey: pubkeyAuthentication != "false",
            password: passwordAuthentication ?? true,
            keyboardInteractive: kbdInteractiveAuthentication ?? true,
            batchMode: batchMode ?? false,
            numberOfPasswordPrompts: numberOfPasswordPrompts ?? 3,
            host: host)
    }
}
