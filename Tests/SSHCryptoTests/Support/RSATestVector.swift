/// A fixed 2048-bit RSA key and the PKCS#1 v1.5 signatures OpenSSL made
/// with it, recorded once with:
///
///     openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem
///     printf 'ferry: RSA PKCS#1 v1.5 known-answer message' > msg
///     openssl dgst -sha1|-sha256|-sha512 -sign rsa.pem -out sig msg
///
/// PKCS#1 v1.5 is deterministic, so our signatures must equal these bytes.
/// Test material only: this key protects nothing.
enum RSATestVector {
    static let message = Array("ferry: RSA PKCS#1 v1.5 known-answer message".utf8)
    static let e = hex("010001")
    static let n = hex("""
        d53d80dbe32673cd3c41a7eed47de31277b30453049793147e6192432acb3679
        a2b80ddf482852c8944c25f1ffda8bb1c87020bf9090cc4b01c35d4456596536
        aa79ebaa64fffd044de79273120b0dec03d5586bcb7600dc83efd24ae5d98df7
        779f7eb8c5bd22696302fa6fe94d32d8c3170ec47a713eb8ff7d15cc576119d6
        6d4a8bd05abed6fbe87fd813c8df0b4c188e904aa312b4bd2bc80551360e03a6
        f3f6c16c760ef9d12f1b379be952cc22a11f15ee2855e9edd1952226db610ca0
        ec462674a3d22840fc3f7bebb2752717d13a44de63048f86b63f731201cca65d
        4219f5718c93e5c271d4b5980f8c777bc3e816002df23d692b5bf3c9b05d2cb3
        """)
    static let d = hex("""
        48c36ae41d77b28e36e084885793f95704e75e3361dec2fe7c3d992638450d7a
        a60ebe1511cf48a84f0a48ec720cc61c4d340dc8b070e87533cdd1568f4c83e0
        0a7dfdefaff5360630fb331af6ee34baf377ea6b260b4731f8076eafc60cdd87
        b31706abd035c0b74b64e9c6244b066db6ec784a8d297568b52d9eb192a37ca7
        f22dde8cbda2721dea97bb222d26f89ab764068452a2159ebef8deff7979da4e
        badd4f4ac90a06635c0e3796e69ae1573e07235fc186fff70e7bb9e11b0fc6fd
        cb23709ffa5ce266a094034244c06104129ddd666d29e19dae165c8def165b5a
        f02ce0367702134de9903560f3f29627d868f4379a6338306e9cc48dce65ade9
        """)
    static let p = hex("""
        f0ec4e46f019fd05cbe4fd1e41959e38a3ccec561f4ed99ebc41f1da13ce5f1c
        6d1e9f14765ae2d837c496a0b6f687526aadf13866f8268aa9c41b123a387e60
        2ce868035e4b68e6d542b7507aa430b13b1dad6ddcb2286c225c56354d085c30
        b2d02782b14299c7b7b4f533454055c2d0123c6a8a9338df7e2068dce1f3a835
        """)
    static let q = hex("""
        e295b4dea9f246086b69d431d78b1d5043e0ed6eb9ee0c66f8b6f7f3ff5a5a29
        00f1511b09870fd908b8739d0fd65b572f88e75d38be4e3e9f1a0c071f46d27c
        1cd7f8abc7a0e85cd4cc7047ed1178c26c19a34ea816a35295080be1d3c64f95
        d8fa54e22b9d8e6bb42894057c78a36adfcb094d7d3ddbf5e16b5b5d99502e47
        """)
    /// q⁻¹ mod p (PKCS#1 "coefficient", OpenSSH "iqmp").
    static let iqmp = hex("""
        e9a43a0d3a6798c9788a02b90ff4ac33de5be82db2179beac98eda6e3f76ecc9
        01fc095e5bf2d166b22c7bd5df5ab8a31f041b4ee35a4a4916d6b4938278bceb
        fe3605fdb72c6ea80f467baba5681b4a507dcb6678e9407996cea9a9ff5f225c
        28b8b5637afa02a12fd6e64586dc3805e8c77cf8d5cef4eae1c8dfcfb268c83f
        """)
    static let signatureSHA1 = hex("""
        72570fa011e0ccd6a73f3d1ebe01f723f1cdc407efea0384cd749e31aacb3c3b
        f75c3c94727343d9a74bde93d54465d7c9dd1504863f29e2a85f095ce5ce4e62
        4a0155ca8b59ed6e8f1eae4df10f69d4736bc1b20e92167f61e6c86e0640141e
        89e4fe1ce0ac90570f8cf24835807ca26c1822633fa9aa130ce322e123c34ead
        583e8a4a130c77ca2152b7f7811c86ac6b73418a84ea6229497b146250e74650
        94553b948147d2859ccf43c0f5e285472f31ccff7aad839d3021bc6d3d82cd07
        2a6792d1c1998b66836259514e5dbbd8019deede777aa8fdad6b24d99a5dc53e
        54c3fe7baf2d97d0cde57c37cd1db8f9b083ee24a2494f771c651e816c08eaf9
        """)
    static let signatureSHA256 = hex("""
        ba00315645477198cca9090309bbfdc6c0abf1cdf8c4de90a7f8cf32b42c9a16
        d53ac3e8a28632d6bbbf171a713c99dd18d87fd29f9418be06303941ed3e6df3
        7ad52a71900c5775c61a0ab0fb36e31da0d8cc55885cd4b6f05b6f35c24ed244
        3ee60576c2719b3fa9103ba59b60a3759a6c757a6f11e8dff26079f57e199e53
        d3316b20f682d9ecfac42127b08826d03997753215571d99fdd6c50403113a64
        2151b8b9c908885c05e60f58d8b4f07d73e3eb196b50df445d3aaa3158c575d8
        9ae6af7efe3eff52cd8581e9bb53602d70194c478e460c122bbf2451675eb910
        d4358dab28bfd76e68c35a2739583c49e6b189b1a84b6795ce2e698ecb38100d
        """)
    static let signatureSHA512 = hex("""
        4c90600b30dd5c627094647bae06c22289c318bb4cba30e0f15f5215e34052c0
        c50513bd1a6600e6ca5f38b715b8b00b91aa8ff23911198be42f234e864163e8
        0cd5d0212333e1bd7a10e6c0ce00fb8d12a181612c8f9c83a2aa25237ef6def7
        2329b4492259c6980581ff554ce3a6473eaf67ad412c8a1e861fba153105e5e5
        84595dbfa010b629b468f7bb2652e3631c2863a0a98d04d9aeafc220b3775828
        7d23ae3c42b4afb7b8ea5471ead1bfd9884671c52a5aa830ecfc742f1affbccd
        14619db5697cf28d243d2ea16cf4214879f21fa16ede48cfa2d8e08648f4f52e
        145c905188ff593bdc8171a5964fc6fc5fb574d2eee7d3e5df94faf0c7e34c07
        """)
}
