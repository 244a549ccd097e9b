/// SSHConfigKeywords is OpenSSH 9.x's table of ssh_config(5) client keywords
/// (readconf.c `keywords[]`, plus the GSSAPI keywords Debian and Red Hat add),
/// so that ferry can tell a keyword it uses from one OpenSSH knows and ferry
/// ignores, and both from a typo, which OpenSSH refuses and so does ferry.
public enum SSHConfigKeywords {
    /// What a keyword means to ferry.
    public enum Kind: Sendable, Equatable {
        /// ferry applies it (`ClientOptions.apply`); the payload is the canonical
        /// keyword when this one is an alias (`identityfile2` → `identityfile`).
        case supported(String)
        /// OpenSSH knows it; ferry accepts it and records it as ignored.
        case ignored
        /// OpenSSH accepts it only to say it is deprecated or unsupported.
        case obsolete
        /// `Host`: starts a block matched against host patterns.
        case host
        /// `Match`: starts a block matched against criteria.
        case match
        /// `Include`: reads more files, with globs.
        case include
    }

    /// The kind of `keyword` (any case), or nil when OpenSSH does not know it.
    public static func kind(of keyword: String) -> Kind? {
        let key = keyword.lowercased()
        if let canonical = aliases[key] { return .supported(canonical) }
        if ClientOptions.supportedKeywords.contains(key) { return .supported(key) }
        switch key {
        case "host": return .host
        case "match": return .match
        case "include": return .include
        default: break
        }
        if obsolete.contains(key) { return .obsolete }
        if ignored.contains(key) { return .ignored }
        return nil
    }

    /// Old or alternative spellings OpenSSH maps onto a keyword ferry supports.
    static let aliases: [String: String] = [
        "identityfile2": "identityfile",
        "challengeresponseauthentication": "kbdinteractiveauthentication",
        "skeyauthentication": "kbdinteractiveauthentication",
        "tisauthentication": "kbdinteractiveauthentication",
        "dsaauthentication": "pubkeyauthentication",
        "pubkeyacceptedkeytypes": "pubkeyacceptedalgorithms",
    ]

    /// readconf.c's oIgnore, oDeprecated and oUnsupported keywords.
    static let obsolete: Set<String> = [
        "protocol", "cipher", "fallbacktorsh", "globalknownhostsfile2", "rhostsauthentication",
        "userknownhostsfile2", "useroaming", "usersh", "useprivilegedport", "afstokenpassing",
        "kerberosauthentication", "kerberostgtpassing", "rsaauthentication",
        "rhostsrsaauthentication", "compressionlevel",
    ]

    /// Keywords OpenSSH uses and ferry does not (yet): accepted, not applied.
    static let ignored: Set<String> = [
        "gssapiauthentication", "gssapidelegatecredentials", "gssapikeyexchange",
        "gssapiclientidentity", "gssapiserveridentity", "gssapirenewalforcesrekey",
        "gssapitrustdns", "gssapikexalgorithms", "pkcs11provider", "smartcarddevice",
        "forwardagent", "forwardx11", "forwardx11trusted", "forwardx11timeout",
        "exitonforwardfailure", "xauthlocation", "gatewayports", "kbdinteractivedevices",
        "hostbasedauthentication", "addkeystoagent", "remoteforward", "localforward",
        "permitremoteopen", "escapechar", "connectionattempts", "tcpkeepalive", "keepalive",
        "syslogfacility", "logverbose", "dynamicforward",
        "casignaturealgorithms", "bindaddress", "bindinterface", "clearallforwardings",
        "enablesshkeysign", "verifyhostkeydns", "nohostauthenticationforlocalhost", "sendenv",
        "setenv", "controlpath", "controlmaster", "controlpersist", "tunnel", "tunneldevice",
        "localcommand", "permitlocalcommand", "remotecommand", "visualhostkey", "ipqos",
        "requesttty", "sessiontype", "stdinnull", "forkafterauthentication", "proxyusefdpass",
        "canonicaldomains", "canonicalizefallbacklocal", "canonicalizehostname",
        "canonicalizemaxdots", "canonicalizepermittedcnames", "streamlocalbindmask",
        "streamlocalbindunlink", "revokedhostkeys", "fingerprinthash", "updatehostkeys",
        "hostbasedacceptedalgorithms", "hostbasedkeytypes", "securitykeyprovider",
        "knownhostscommand", "requiredrsasize", "enableescapecommandline",
        // Added after 9.2 (9.5 to 9.9).
        "obscurekeystroketiming", "channeltimeout", "tag",
    ]
}
