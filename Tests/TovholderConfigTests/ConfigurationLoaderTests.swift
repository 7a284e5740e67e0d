import Foundation
import Testing
import TovholderConfig
import TovholderCore

@Suite struct ConfigurationLoaderTests {
    static let repository = ShippedRulebookTests.repository

    func problems(rulebook text: String) -> [String] {
        do {
            _ = try RulebookLoader.load(text: text, file: "rb.toml")
            return []
        } catch { return error.problems.map(\.description) }
    }

    @Test func theExampleConfigurationLoads() throws {
        let loaded = try ConfigurationLoader.load(path: Self.repository.appendingPathComponent("config/tovholder.toml").path)
        let config = loaded.configuration
        #expect(config.directory.caseworkers["cw-mette"] == "syd")
        #expect(config.directory.resolve(.manager, caseworker: "cw-mette").person == "mgr-karl")
        #expect(config.directory.resolve(.manager, caseworker: "cw-anna").person == "mgr-eva")
        #expect(config.channelNames == ["journal", "spool"])
        #expect(config.stateDirectory.hasSuffix("config/../state"))
        #expect(config.sendHour == 8)
    }

    @Test func overridesWinOverTheFile() throws {
        let loaded = try ConfigurationLoader.load(
            path: Self.repository.appendingPathComponent("config/tovholder.toml").path,
            overrides: .init(stateDirectory: "/tmp/x", socketPath: "/tmp/x/s.sock"))
        #expect(loaded.configuration.stateDirectory == "/tmp/x")
        #expect(loaded.configuration.socketPath == "/tmp/x/s.sock")
    }

    @Test func problemsNameTheFileLineAndKey() {
        let text = """
            name = "x"

            [[rule]]
            id = "a"
            trigger = "takeover"
            due = "1 month"
            satisfied-by = ["contract-signed"]

            [[rule]]
            id = "b"
            trigger = "sunrise"
            due = "soon"
            satisfied-by = ["contract-signed"]
            colour = "red"
            """
        let found = problems(rulebook: text)
        #expect(found.contains { $0.hasPrefix("rb.toml:11: rule[1].trigger: unknown event kind 'sunrise'") })
        #expect(found.contains { $0.hasPrefix("rb.toml:12: rule[1].due: 'soon' is not a duration") })
        #expect(found.contains { $0.hasPrefix("rb.toml:14: rule[1].colour: unknown key") })
        #expect(found.count == 3)
    }

    @Test func syntaxErrorsCarryTheirLine() {
        let found = problems(rulebook: "name = \"x\"\n[[rule]\nid = 1\n")
        #expect(found.count == 1)
        #expect(found[0].hasPrefix("rb.toml:2: TOML syntax"))
    }

    @Test func stagesAreCheckedToo() {
        let text = """
            [[rule]]
            id = "a"
            trigger = "takeover"
            due = "1 month"
            satisfied-by = ["contract-signed"]
            stages = [
                { name = "x", at = "1 month", to = "caseworker" },
                { name = "y", at = "0 days", to = "boss" },
            ]
            """
        let found = problems(rulebook: text)
        #expect(found.contains { $0.contains("rule[0].stages[0].at") && $0.hasPrefix("rb.toml:6:") })
        #expect(found.contains { $0.contains("unknown role 'boss'") })
    }

    @Test func brokenConfigurationsAreRefusedWithEveryProblem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("t.toml").path
        try """
            [daemon]
            rulebook = "\(Self.repository.path)/config/rulebook.toml"
            send-hour = "eight"
            [teams.a]
            lead = "l"
            [caseworkers]
            cw = { team = "b" }
            [channels.spool]
            enabled = "yes"
            """.write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigurationLoader.load(path: path)
            Issue.record("a broken configuration was accepted")
        } catch {
            let text = error.description
            #expect(text.contains("t.toml:3: daemon.send-hour: expected an integer, found a string"))
            #expect(text.contains("t.toml:7: caseworkers.cw.team: no team 'b' under [teams]"))
            #expect(text.contains("t.toml:9: channels.spool.enabled: expected true or false"))
        }
        #expect(throws: ConfigError.self) { try ConfigurationLoader.load(path: directory.appendingPathComponent("missing.toml").path) }
    }
}
