import Testing
@testable import CompareCore

/// The `ferry-lib` row of issue 17: the Examples `fetch` program (FerryKit
/// as a Swift program uses it) on the 0 ms big-file get, beside `ferry get`,
/// reaching the same sshd through the same ssh_config.
@Suite struct LibraryRowTests {
    static let context = ToolContext(sshConfig: "/cfg", ferry: "/ferry", fetch: "/examples/fetch", python: nil,
                                     peerScript: "/peer.py", scratch: "/tmp", port: 22, user: "u", identity: "/id",
                                     knownHosts: "/kh")

    static var withLibrary: PlanOptions {
        var options = PlanOptions()
        options.withLibrary = true
        return options
    }

    @Test func theLibraryJoinsOnlyTheZeroMillisecondBigFileGetNextToFerry() {
        let rows = Plan.scenarios(Self.withLibrary).filter { $0.tools.contains(.ferryLib) }
        #expect(rows.map(\.name) == ["get 1 GiB file, 0 ms, aes128-gcm"])
        #expect(rows.first?.tools.prefix(2) == [.ferry, .ferryLib])
        #expect(!Plan.scenarios(PlanOptions()).contains { $0.tools.contains(.ferryLib) })
        #expect(!Plan.scenarios(PlanOptions.quick).contains { $0.tools.contains(.ferryLib) })
    }

    @Test func namingItWithToolsIsEnoughAndItHandlesNothingButFileGets() {
        var options = PlanOptions()
        options.withLibrary = true
        options.onlyTools = [.ferry, .ferryLib]
        #expect(Plan.scenarios(options).filter { $0.tools.contains(.ferryLib) }.count == 1)
        let tree = Workload.tree(PlanOptions().tree)
        #expect(Tool.ferryLib.handles(.file(bytes: 1), .get))
        #expect(!Tool.ferryLib.handles(.file(bytes: 1), .put))
        #expect(!Tool.ferryLib.handles(tree, .get))
        #expect(!Tool.ferryLib.handles(tree, .sync))
        #expect(Tool(rawValue: "ferry-lib") == .ferryLib)
    }

    @Test func itRunsFetchWithTheHarnessConfigAndAlias() throws {
        let scenario = try #require(Plan.scenarios(Self.withLibrary).first { $0.tools.contains(.ferryLib) })
        let command = try Tool.ferryLib.command(for: scenario, source: "/data/file", destination: "/out/file",
                                                context: Self.context)
        #expect(command.arguments == ["/examples/fetch", "-F", "/cfg", "bench", "/data/file", "/out/file"])
        #expect(command.stdin == nil)
        var unbuilt = Self.context
        unbuilt.fetch = nil
        #expect(throws: HarnessError.self) {
            try Tool.ferryLib.command(for: scenario, source: "/s", destination: "/d", context: unbuilt)
        }
    }
}
