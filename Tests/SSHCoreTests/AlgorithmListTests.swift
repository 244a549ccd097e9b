import Testing
@_spi(Internals) @testable import SSHCore

@Suite struct AlgorithmListTests {
    let supported = ["a-ctr", "b-ctr", "c-gcm", "d-gcm", "e-old"]
    let defaults = ["c-gcm", "a-ctr", "b-ctr"]

    @Test func plainListReplacesInUserOrder() throws {
        #expect(try AlgorithmList.resolve("b-ctr,c-gcm", defaults: defaults, supported: supported, what: "x") == ["b-ctr", "c-gcm"])
    }

    @Test func plusAppendsMinusRemovesCaretPrepends() throws {
        #expect(try AlgorithmList.resolve("+e-old", defaults: defaults, supported: supported, what: "x") == ["c-gcm", "a-ctr", "b-ctr", "e-old"])
        #expect(try AlgorithmList.resolve("+a-ctr", defaults: defaults, supported: supported, what: "x") == defaults)
        #expect(try AlgorithmList.resolve("-*-ctr", defaults: defaults, supported: supported, what: "x") == ["c-gcm"])
        #expect(try AlgorithmList.resolve("^b-ctr", defaults: defaults, supported: supported, what: "x") == ["b-ctr", "c-gcm", "a-ctr"])
    }

    @Test func wildcardsExpandAgainstSupported() throws {
        #expect(try AlgorithmList.resolve("*-gcm", defaults: defaults, supported: supported, what: "x") == ["c-gcm", "d-gcm"])
        #expect(try AlgorithmList.resolve("?-ctr", defaults: defaults, supported: supported, what: "x") == ["a-ctr", "b-ctr"])
    }

    @Test func unknownNamesAndMalformedListsAreErrors() {
        for spec in ["nope", "a-ctr,nope", "", ",a-ctr", "a-ctr,", "+"] {
            #expect(throws: SSHError.self) { try AlgorithmList.resolve(spec, defaults: defaults, supported: supported, what: "x") }
        }
    }

    @Test func realCategoriesAcceptOpenSSHSpellings() throws {
        var prefs = AlgorithmPreferences()
        try prefs.apply(ciphers: "aes128-ctr,chacha20-poly1305@openssh.com")
        #expect(prefs.ciphers == ["aes128-ctr", "chacha20-poly1305@openssh.com"])
        try prefs.apply(keyExchange: "+diffie-hellman-group14-sha1")
        #expect(prefs.keyExchange.last == "diffie-hellman-group14-sha1")
        try prefs.apply(hostKey: "+ssh-rsa")
        #expect(prefs.hostKey.last == "ssh-rsa")
        try prefs.apply(macs: "-hmac-sha1*")
        #expect(!prefs.macs.contains { $0.hasPrefix("hmac-sha1") })
        #expect(throws: SSHError(.invalidConfiguration, "")) { try prefs.apply(ciphers: "3des-cbc") }
    }

    @Test func legacyAlgorithmsAreNotOfferedByDefault() {
        let prefs = AlgorithmPreferences()
        #expect(!prefs.keyExchange.contains { $0.hasSuffix("-sha1") })
        #expect(!prefs.hostKey.contains("ssh-rsa"))
    }
}

@Suite struct ClientOptionsTests {
    @Test func firstValueWins() throws {
        var o = ClientOptions()
        try o.apply(option: "Port=2222")
        try o.apply(option: "Port 22")
        try o.apply(option: "ciphers = aes128-ctr")
        #expect(o.port == 2222)
        #expect(o.ciphers == "aes128-ctr")
    }

    @Test func parsesRekeyLimitAndTimes() throws {
        var o = ClientOptions()
        try o.apply(option: "RekeyLimit=1M 1h30m")
        #expect(o.rekeyLimitBytes == .some(1 << 20))
        #expect(o.rekeyInterval == .some(.seconds(5400)))
        var d = ClientOptions()
        try d.apply(option: "RekeyLimit default none")
        #expect(d.rekeyLimitBytes == .some(nil))
        var t = ClientOptions()
        try t.apply(option: "ServerAliveInterval=15")
        try t.apply(option: "ConnectTimeout=2m")
        #expect(t.serverAliveInterval == .seconds(15))
        #expect(t.connectTimeout == .seconds(120))
    }

    @Test func badValuesAreClearErrors() {
        for option in ["Port=0", "Port=99999", "Port=x", "Compression=maybe", "RekeyLimit=12Q", "ServerAliveInterval=5y",
                       "StrictHostKeyChecking=perhaps", "NoSuchOption=1", "Port", "RekeyLimit=   ", "ConnectTimeout=99999999999999999999"] {
            var o = ClientOptions()
            #expect(throws: SSHError.self, "\(option)") { try o.apply(option: option) }
        }
    }

    @Test func compressionSelectsOpenSSHOrder() throws {
        var o = ClientOptions()
        try o.apply(option: "Compression=yes")
        #expect(try o.algorithmPreferences().compression == ["zlib@openssh.com", "zlib", "none"])
    }
}
