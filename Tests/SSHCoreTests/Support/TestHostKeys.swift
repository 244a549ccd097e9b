import SSHCrypto

/// Public host keys made once with ssh-keygen for these tests (the private
/// halves were discarded): several per type, so "same type, other key" and
/// "other type" cases can be built.
enum TestHostKeys {
    static let ed25519A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIORVVkM0hfleLwJce+BesDQ0NfdSZhmwodqq3Ra5L2Se"
    static let ed25519B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAqzYDkPf9Q0TdyojIro7RUM7bHTRHsW3x6qsd69Sh2n"
    static let ed25519C = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBGyP8aX83XpRb2S8/7KuuIWx1GThmYT0rUAKJ2/xxlV"
    static let rsaD = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCcVRzoF0yF+URN4Iu70rrdqe679/cC607GyTTOu4zpqO1CixoO53e6snqglfnN/LbrszZ74wWwPd/+HmPeEKWDtv8gdiyd63+psZQAmfW4+o6ySLTtlFcoQZcQcWz2OmpYS182zlaTcXZrDs1BI786W/70weAmu6Fnt74AWZISC/aZxlW785YmVohi3yfL6K1yfsu9i0Gfc7Zm0wTs0kJKROGPGjLf28TH6jEZWett8vMzlWXy/hpHp9fEMSgqINwgtVOhZvuyzcH1iJrtzb/fZKeux8muKIkyGbagaPLDRl45K9PNZymwuFmrH5YsGffXEf/0Q0GdI8hlZIGnwV/1"
    static let rsaE = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC1HMQmOUvdvxBhQDD/7AyVKdy761b+o+DSOZvQ6YCWRdyisae7PslTfaYTe/S0ERDKxZV8XciyEuSHRZI30aC6CGDnDZwgs0pB3mOu6F7hA/hu/QJ4h0mLS2c1OJcckPAxL30v6dduNmoJ6MgMllsiu0XIWad/llgQRqCfGR5VQc7UZPwCCsMgsU242YaBS+AlBmnv2uG1I6mBRMN/F4kgCiB8fgYTA39VFCBdEXuXLMGz8FO4O6LkUA/glFvNrpb+dZ8LGnZTbGSNLJJT6YzXEivOnBJ34BdkRdeoUUIBMjgE8/twd0NYGx9yjrS1/9drSgcUb01D+WQ5eU3L47cX"
    static let ecdsaP256 = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBERiDCepGssO7Lhsthd1vlia0vpNW6bCCLRXMNCwdXqBrI1B0g7sEPA52mUO51C/69jax/NbZ/cVD6h0OimdSbc="
    static let ecdsaP384 = "ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBPUHkgsdrX+4WzXPCACbOfEUuOU0YsjeH8U7pDOy9JutY7nCUjazPp7JMn8qKdh49RIbhfiTZ5GBKCi5Qi24fRHyrXSQdd+qAqcdg379oGzH9oIQFlklMJzvmKINDoce0g=="
    static let ecdsaP521 = "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAG6LIgVFIU0lqLBJeosI0TrWwhUdH3qmiQGLMdFyKk6W4oK1xbs69ThxJLqRwJ31YSGCZlf+LZ5DkTVZXyRAD92FwA+Cns8wg0dFWHf6KzivkWTSddK+TGlGgs71PoYq7lEk+iB5wh2PzMmDni005reXRPPJNHks+S0pMFaoylRlm82zQ=="

    static let all = [ed25519A, ed25519B, ed25519C, rsaD, rsaE, ecdsaP256, ecdsaP384, ecdsaP521]

    /// The parsed key of one of the lines above.
    static func key(_ line: String) throws -> SSHPublicKey { try SSHPublicKey(openSSHLine: line) }
}
