import Foundation
import SSHCrypto
import Testing
@_spi(Internals) @testable import SSHCore

/// The StrictHostKeyChecking matrix, recording of new keys, messages, and
/// CheckHostIP, against real files in a temporary home directory.
@Suite struct HostKeyPolicyTests {
    typealias K = TestHostKeys

    /// A temporary home directory with no ~/.ssh yet, and a global file.
    struct Home {
        let root: URL
        var path: String { root.path }
        var sshDirectory: String { root.appendingPathComponent(".ssh").path }
        var userFile: String { root.appendingPathComponent(".ssh/known_hosts").path }
        var globalFile: String { root.appendingPathComponent("ssh_known_hosts").path }

        init() throws { root = try makeTemporaryDirectory() }

        func remove() { try? FileManager.default.removeItem(at: root) }

        func policy(_ mode: StrictHostKeyChecking, hashed: Bool = false, alias: String? = nil,
                    checkHostIP: Bool = false) -> HostKeyPolicy {
            HostKeyPolicy(strictHostKeyChecking: mode,
                          userKnownHostsFiles: ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"],
                          globalKnownHostsFiles: [globalFile],
                          hashKnownHosts: hashed, hostKeyAlias: alias, checkHostIP: checkHostIP,
                          homeDirectory: path)
        }

        func writeUserFile(_ text: String) throws {
            try FileManager.default.createDirectory(atPath: sshDirectory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: userFile))
        }

        func userFileText() -> String? {
            FileManager.default.contents(atPath: userFile).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Records the questions a prompt was asked and answers them.
    actor Asker {
        let answer: Bool
        var questions: [HostKeyQuestion] = []
        init(answer: Bool) { self.answer = answer }
        func ask(_ question: HostKeyQuestion) -> Bool {
            questions.append(question)
            return answer
        }
        nonisolated var prompt: HostKeyPrompt { { await self.ask($0) } }
    }

    enum Situation: String, CaseIterable {
        case match, unknown, changed, revoked
    }

    enum Mode: String, CaseIterable {
        case yes, acceptNew, no, askYes, askNo, askWithoutPrompt
    }

    enum Outcome: Equatable {
        case accepted
        case recorded
        case untrusted
        case refused
    }

    static func expected(_ mode: Mode, _ situation: Situation) -> Outcome {
        switch (situation, mode) {
        case (.match, _): .accepted
        case (.revoked, _): .refused
        case (.changed, .no): .untrusted
        case (.changed, _): .refused
        case (.unknown, .yes), (.unknown, .askNo), (.unknown, .askWithoutPrompt): .refused
        case (.unknown, .acceptNew), (.unknown, .no), (.unknown, .askYes): .recorded
        }
    }

    static let matrix: [(Mode, Situation)] = Mode.allCases.flatMap { mode in Situation.allCases.map { (mode, $0) } }

    @Test(arguments: matrix)
    func strictHostKeyCheckingMatrix(mode: Mode, situation: Situation) async throws {
        let home = try Home()
        defer { home.remove() }
        let presented = try K.key(K.ed25519A)
        switch situation {
        case .match: try home.writeUserFile("server.example \(K.ed25519A)\n")
        case .unknown: break
        case .changed: try home.writeUserFile("server.example \(K.ed25519B)\n")
        case .revoked: try home.writeUserFile("server.example \(K.ed25519A)\n@revoked * \(K.ed25519A)\n")
        }
        let before = home.userFileText()

        let strict: StrictHostKeyChecking
        var asker: Asker?
        switch mode {
        case .yes: strict = .yes
        case .acceptNew: strict = .acceptNew
        case .no: strict = .no
        case .askYes: strict = .ask; asker = Asker(answer: true)
        case .askNo: strict = .ask; asker = Asker(answer: false)
        case .askWithoutPrompt: strict = .ask
        }
        let verifier = HostKeyVerifier(policy: home.policy(strict), prompt: asker?.prompt)

        var outcome: Outcome
        var verdict: HostKeyVerdict?
        var failure: SSHError?
        do {
            let result = try await verifier.verify(presented, host: "server.example", port: 22)
            verdict = result
            outcome = result.disablePasswordAuthentication ? .untrusted : (result.recordedIn != nil ? .recorded : .accepted)
        } catch let error as SSHError {
            failure = error
            outcome = .refused
        }
        #expect(outcome == Self.expected(mode, situation), "\(mode) × \(situation)")
        if let failure { #expect(failure.code == .hostKeyRejected) }

        // Only a recorded key touches the file.
        if outcome == .recorded {
            let file = try KnownHostsFile.load(path: home.userFile)
            #expect(file.entries.map(\.hostField) == ["server.example"])
            #expect(file.entries.first?.key == presented)
            #expect(verdict?.recordedIn == home.userFile)
            #expect(verdict?.warnings.contains("Warning: Permanently added 'server.example' (ED25519) to the list of known hosts.") == true)
        } else {
            #expect(home.userFileText() == before)
        }
        // The prompt is asked only about an unknown host.
        let questions = await asker?.questions ?? []
        #expect(questions.count == (situation == .unknown && asker != nil ? 1 : 0))
        if let question = questions.first {
            #expect(question.kind == .unknownHost)
            #expect(question.hostName == "server.example")
            #expect(question.text.contains("The authenticity of host 'server.example' can't be established."))
            #expect(question.text.contains("ED25519 key fingerprint is \(presented.fingerprintSHA256)."))
        }
        if situation == .changed, let failure {
            #expect(failure.message.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"))
        }
        if situation == .revoked, let failure {
            #expect(failure.message.contains("REVOKED HOST KEY DETECTED"))
        }
    }

    @Test func theChangedKeyMessageNamesTypeFingerprintAndOffendingLine() async throws {
        let home = try Home()
        defer { home.remove() }
        try home.writeUserFile("# keys\n[server.example]:2222 \(K.ecdsaP256)\n")
        let presented = try K.key(K.ecdsaP384)
        let verifier = HostKeyVerifier(policy: home.policy(.yes))
        let error = await #expect(throws: SSHError.self) {
            _ = try await verifier.verify(presented, host: "server.example", port: 2222)
        }
        let message = try #require(error).message
        #expect(message.hasPrefix("host key for [server.example]:2222 has changed: the server sent a ecdsa-sha2-nistp384 key \(presented.fingerprintSHA256)"))
        #expect(message.contains("@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @"))
        #expect(message.contains("The fingerprint for the ECDSA key sent by the remote host is\n\(presented.fingerprintSHA256)."))
        #expect(message.contains("Offending ECDSA key in \(home.userFile):2"))
        #expect(message.contains("ssh-keygen -f \"\(home.userFile)\" -R \"[server.example]:2222\""))
        #expect(message.contains("Host key for [server.example]:2222 has changed and you have requested strict checking."))
    }

    @Test func aKeyOfAnotherTypeIsRefusedAsChangedWithItsOwnWording() async throws {
        let home = try Home()
        defer { home.remove() }
        try home.writeUserFile("server.example \(K.rsaD)\n")
        let verifier = HostKeyVerifier(policy: home.policy(.acceptNew))
        let error = await #expect(throws: SSHError.self) {
            _ = try await verifier.verify(try K.key(K.ed25519A), host: "server.example", port: 22)
        }
        let message = try #require(error).message
        #expect(message.contains("only a key of another type (ssh-rsa) is on record, in \(home.userFile):1"))
        #expect(message.contains("Offending RSA key in \(home.userFile):1"))
    }

    @Test func strictNoConnectsToAChangedHostWithPasswordsOffAndRecordsNothing() async throws {
        let home = try Home()
        defer { home.remove() }
        try home.writeUserFile("server.example \(K.ed25519B)\n")
        let verdict = try await HostKeyVerifier(policy: home.policy(.no))
            .verify(try K.key(K.ed25519A), host: "server.example", port: 22)
        #expect(verdict.disablePasswordAuthentication)
        #expect(verdict.recordedIn == nil)
        #expect(verdict.warnings.count == 1)
        #expect(verdict.warnings.first?.contains("Password and keyboard-interactive authentication are disabled") == true)
        #expect(home.userFileText() == "server.example \(K.ed25519B)\n")
    }

    @Test func recordingCreatesTheSSHDirectoryAndFilePrivately() async throws {
        let home = try Home()
        defer { home.remove() }
        #expect(!FileManager.default.fileExists(atPath: home.sshDirectory))
        _ = try await HostKeyVerifier(policy: home.policy(.acceptNew))
            .verify(try K.key(K.ed25519A), host: "server.example", port: 2222)
        let directory = try FileManager.default.attributesOfItem(atPath: home.sshDirectory)
        let file = try FileManager.default.attributesOfItem(atPath: home.userFile)
        #expect((directory[.posixPermissions] as? Int) == 0o700)
        #expect((file[.posixPermissions] as? Int) == 0o600)
        #expect(home.userFileText() == "[server.example]:2222 \(K.ed25519A)\n")
    }

    @Test func recordingAppendsAfterALastLineWithoutNewline() async throws {
        let home = try Home()
        defer { home.remove() }
        try home.writeUserFile("other.example \(K.rsaD)")
        _ = try await HostKeyVerifier(policy: home.policy(.no))
            .verify(try K.key(K.ed25519A), host: "Server.Example", port: 22)
        #expect(home.userFileText() == "other.example \(K.rsaD)\nserver.example \(K.ed25519A)\n")
        let file = try KnownHostsFile.load(path: home.userFile)
        #expect(file.entries.count == 2)
        #expect(file.skippedLines.isEmpty)
    }

    @Test func hashedRecordingIsReadByUsAndBySSHKeygen() async throws {
        try requireSSHKeygen()
        let home = try Home()
        defer { home.remove() }
        let key = try K.key(K.ed25519A)
        let verdict = try await HostKeyVerifier(policy: home.policy(.acceptNew, hashed: true))
            .verify(key, host: "127.0.0.1", port: 2222)
        #expect(verdict.recordedIn == home.userFile)
        let file = try KnownHostsFile.load(path: home.userFile)
        #expect(file.entries.count == 1)
        #expect(file.entries.first?.isHashed == true)
        #expect(file.entries.first?.hostField.hasPrefix("|1|") == true)
        #expect(!(home.userFileText() ?? "").contains("127.0.0.1"))
        #expect(try sshKeygenFoundLines("[127.0.0.1]:2222", file: home.userFile).lines == [1])
        // The next connection matches.
        let again = try await HostKeyVerifier(policy: home.policy(.yes)).verify(key, host: "127.0.0.1", port: 2222)
        #expect(again.status == .match(KnownHostsLocation(path: home.userFile, line: 1)))
        #expect(again.recordedIn == nil)
    }

    @Test func hostKeyAliasIsWhatIsLookedUpAndRecorded() async throws {
        let home = try Home()
        defer { home.remove() }
        let key = try K.key(K.ed25519A)
        _ = try await HostKeyVerifier(policy: home.policy(.acceptNew, alias: "Tunnel"))
            .verify(key, host: "localhost", port: 10022)
        #expect(home.userFileText() == "tunnel \(K.ed25519A)\n")
        let again = try await HostKeyVerifier(policy: home.policy(.yes, alias: "tunnel"))
            .verify(key, host: "127.0.0.1", port: 20022)
        #expect(again.status == .match(KnownHostsLocation(path: home.userFile, line: 1)))
    }

    @Test func theGlobalFileIsConsultedButNeverWritten() async throws {
        let home = try Home()
        defer { home.remove() }
        try Data("server.example \(K.ed25519A)\n".utf8).write(to: URL(fileURLWithPath: home.globalFile))
        let verdict = try await HostKeyVerifier(policy: home.policy(.yes))
            .verify(try K.key(K.ed25519A), host: "server.example", port: 22)
        #expect(verdict.status == .match(KnownHostsLocation(path: home.globalFile, line: 1)))
        await #expect(throws: SSHError.self) {
            _ = try await HostKeyVerifier(policy: home.policy(.acceptNew))
                .verify(try K.key(K.ed25519B), host: "server.example", port: 22)
        }
        #expect(home.userFileText() == nil)
    }

    @Test func anUnknownHostThatCannotBeRecordedIsRefusedInEveryMode() async throws {
        let home = try Home()
        defer { home.remove() }
        var noUserFiles = home.policy(.no)
        noUserFiles.userKnownHostsFiles = []
        await #expect(throws: SSHError.self) {
            _ = try await HostKeyVerifier(policy: noUserFiles).verify(try K.key(K.ed25519A), host: "h", port: 22)
        }
        for host in ["*.example", "a[b]", "evil\nhost", "two words", "a,b"] {
            await #expect(throws: SSHError.self, "\(host)") {
                _ = try await HostKeyVerifier(policy: home.policy(.no)).verify(try K.key(K.ed25519A), host: host, port: 22)
            }
        }
        #expect(home.userFileText() == nil)
    }

    @Test func failingToWriteTheFileIsOnlyAWarningAsInSSH() async throws {
        let home = try Home()
        defer { home.remove() }
        var policy = home.policy(.acceptNew)
        policy.userKnownHostsFiles = [home.root.appendingPathComponent("no/such/dir/known_hosts").path]
        let verdict = try await HostKeyVerifier(policy: policy).verify(try K.key(K.ed25519A), host: "h", port: 22)
        #expect(verdict.status == .unknown)
        #expect(verdict.recordedIn == nil)
        #expect(verdict.warnings.contains { $0.hasPrefix("Failed to add the host to the list of known hosts") })
    }

    @Test func theQuestionListsOtherNamesTheKeyIsKnownBy() async throws {
        let home = try Home()
        defer { home.remove() }
        let hashed = try KnownHostsWriter.lines(names: ["secret"], key: try K.key(K.ed25519A), hashed: true)
        try home.writeUserFile("alias1,alias2 \(K.ed25519A)\n\(hashed[0])\nunrelated \(K.ed25519B)\n")
        let asker = Asker(answer: false)
        await #expect(throws: SSHError.self) {
            _ = try await HostKeyVerifier(policy: home.policy(.ask), prompt: asker.prompt)
                .verify(try K.key(K.ed25519A), host: "new.example", port: 22, address: "192.0.2.5")
        }
        let question = try #require(await asker.questions.first)
        #expect(question.text.contains("The authenticity of host 'new.example (192.0.2.5)' can't be established."))
        #expect(question.text.contains("This host key is known by the following other names/addresses:"))
        #expect(question.text.contains("\(home.userFile):1: alias1,alias2"))
        #expect(question.text.contains("\(home.userFile):2: [hashed name]"))
        #expect(!question.text.contains("unrelated"))
        #expect(question.text.hasSuffix("Are you sure you want to continue connecting (yes/no/[fingerprint])? "))
    }

    @Test func answersAreReadAsSSHConfirmReadsThem() throws {
        let key = try K.key(K.ed25519A)
        let question = HostKeyQuestion(kind: .unknownHost, hostName: "h", address: nil, key: key, text: "")
        #expect(question.answer("yes") == true)
        #expect(question.answer(" YES\n") == true)
        #expect(question.answer("no") == false)
        #expect(question.answer(key.fingerprintSHA256) == true)
        #expect(question.answer("SHA256:wrong") == nil)
        #expect(question.answer("y") == nil)
        let addressQuestion = HostKeyQuestion(kind: .addressKeyDiffers, hostName: "h", address: "192.0.2.1", key: key, text: "")
        #expect(addressQuestion.answer(key.fingerprintSHA256) == nil)
    }

    @Test func configValuesParseAsOpenSSHReadsThem() {
        #expect(StrictHostKeyChecking(configValue: "yes") == .yes)
        #expect(StrictHostKeyChecking(configValue: "True") == .yes)
        #expect(StrictHostKeyChecking(configValue: "no") == .no)
        #expect(StrictHostKeyChecking(configValue: "off") == .no)
        #expect(StrictHostKeyChecking(configValue: "false") == .no)
        #expect(StrictHostKeyChecking(configValue: "ask") == .ask)
        #expect(StrictHostKeyChecking(configValue: "accept-new") == .acceptNew)
        #expect(StrictHostKeyChecking(configValue: "maybe") == nil)
        let defaults = HostKeyPolicy()
        #expect(defaults.strictHostKeyChecking == .ask)
        #expect(defaults.userKnownHostsFiles == ["~/.ssh/known_hosts", "~/.ssh/known_hosts2"])
        #expect(defaults.globalKnownHostsFiles == ["/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2"])
        #expect(!defaults.checkHostIP)
        #expect(!defaults.hashKnownHosts)
        #expect(HostKeyPolicy(homeDirectory: "/home/u/").expandedPath("~/.ssh/known_hosts") == "/home/u/.ssh/known_hosts")
        #expect(HostKeyPolicy(homeDirectory: "/home/u").expandedPath("/etc/x") == "/etc/x")
        #expect(HostKeyPolicy(homeDirectory: "/home/u").expandedPath("~other/x") == "~other/x")
    }

    // MARK: - CheckHostIP

    @Test func checkHostIPRecordsTheAddressWithTheName() async throws {
        let home = try Home()
        defer { home.remove() }
        let key = try K.key(K.ed25519A)
        let verdict = try await HostKeyVerifier(policy: home.policy(.acceptNew, checkHostIP: true))
            .verify(key, host: "server.example", port: 2222, address: "192.0.2.10")
        #expect(verdict.addressStatus == .unknown)
        #expect(home.userFileText() == "[server.example]:2222,[192.0.2.10]:2222 \(K.ed25519A)\n")

        // Hashed: one line per name, as ssh writes them.
        let hashedHome = try Home()
        defer { hashedHome.remove() }
        _ = try await HostKeyVerifier(policy: hashedHome.policy(.acceptNew, hashed: true, checkHostIP: true))
            .verify(key, host: "server.example", port: 22, address: "192.0.2.10")
        let file = try KnownHostsFile.load(path: hashedHome.userFile)
        #expect(file.entries.count == 2)
        #expect(file.entries[0].matches("server.example"))
        #expect(file.entries[1].matches("192.0.2.10"))
    }

    @Test func checkHostIPAddsAMissingAddressToAKnownHost() async throws {
        let home = try Home()
        defer { home.remove() }
        try home.writeUserFile("server.example \(K.ed25519A)\n")
        let verdict = try await HostKeyVerifier(policy: home.policy(.yes, checkHostIP: true))
            .verify(try K.key(K.ed25519A), host: "server.example", port: 22, address: "192.0.2.10")
        #expect(verdict.status == .match(KnownHostsLocation(path: home.userFile, line: 1)))
        #expect(verdict.recordedIn == home.userFile)
        #expect(verdict.warnings.contains("Warning: Permanently added the ED25519 host key for IP address '192.0.2.10' to the list of known hosts."))
        #expect(home.userFileText() == "server.example \(K.ed25519A)\n192.0.2.10 \(K.ed25519A)\n")
    }

    @Test func checkHostIPWithADifferentKeyForTheAddress() async throws {
        let home = try Home()
        defer { home.remove() }
        try home.writeUserFile("server.example \(K.ed25519A)\n192.0.2.10 \(K.ed25519B)\n")
        let key = try K.key(K.ed25519A)
        let error = await #expect(throws: SSHError.self) {
            _ = try await HostKeyVerifier(policy: home.policy(.yes, checkHostIP: true))
                .verify(key, host: "server.example", port: 22, address: "192.0.2.10")
        }
        #expect(error?.message.contains("differs from the key for the IP address '192.0.2.10'") == true)
        #expect(error?.message.contains("Offending key for IP in \(home.userFile):2") == true)

        let warned = try await HostKeyVerifier(policy: home.policy(.no, checkHostIP: true))
            .verify(key, host: "server.example", port: 22, address: "192.0.2.10")
        #expect(!warned.disablePasswordAuthentication)
        #expect(warned.warnings.contains { $0.contains("Matching host key in \(home.userFile):1") })

        let asker = Asker(answer: true)
        _ = try await HostKeyVerifier(policy: home.policy(.ask, checkHostIP: true), prompt: asker.prompt)
            .verify(key, host: "server.example", port: 22, address: "192.0.2.10")
        #expect(await asker.questions.map(\.kind) == [.addressKeyDiffers])

        // Off by default, and skipped for loopback addresses as ssh does.
        let plain = try await HostKeyVerifier(policy: home.policy(.yes))
            .verify(key, host: "server.example", port: 22, address: "192.0.2.10")
        #expect(plain.addressStatus == nil)
        let loopback = try await HostKeyVerifier(policy: home.policy(.yes, checkHostIP: true))
            .verify(key, host: "server.example", port: 22, address: "127.0.0.1")
        #expect(loopback.addressStatus == nil)
    }

    @Test func aChangedHostKeyWithAnUnchangedAddressWarnsOfDNSSpoofing() async throws {
        let home = try Home()
        defer { home.remove() }
        try home.writeUserFile("server.example \(K.ed25519B)\n192.0.2.10 \(K.ed25519A)\n")
        let error = await #expect(throws: SSHError.self) {
            _ = try await HostKeyVerifier(policy: home.policy(.yes, checkHostIP: true))
                .verify(try K.key(K.ed25519A), host: "server.example", port: 22, address: "192.0.2.10")
        }
        #expect(error?.message.contains("POSSIBLE DNS SPOOFING DETECTED") == true)
        #expect(error?.message.contains("is unchanged. This could either mean that") == true)
    }

    @Test func unreadableFilesAreWarnedAboutNotFatal() async throws {
        let home = try Home()
        defer { home.remove() }
        try home.writeUserFile("server.example \(K.ed25519A)\n")
        var policy = home.policy(.yes)
        policy.globalKnownHostsFiles = [home.path]  // a directory
        let verdict = try await HostKeyVerifier(policy: policy).verify(try K.key(K.ed25519A), host: "server.example", port: 22)
        #expect(verdict.warnings.contains { $0.contains("is not a regular file") })
    }
}
