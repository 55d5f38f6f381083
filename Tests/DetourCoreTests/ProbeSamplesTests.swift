import DetourCore
import DetourTestSupport
import Foundation
import Testing

/// The probe samples kept between passes for the metrics file.
struct ProbeSamplesTests {
    @Test func namesWithEscapesSurviveARoundTripThroughTheStateFolder() throws {
        let workspace = try TemporaryWorkspace()
        let directory = workspace.root
        var samples = ProbeSamples()
        // Read back from the metrics text by pattern, `p\nq` used to come back as `p\\\nq`.
        for name in ["p\nq", #"a"b"#, #"c\d"#, #"\n"#] {
            samples.record(MetricsText.ProbeSample(channel: "mall", probe: name, seconds: 0.25, passed: true))
        }
        samples.record(MetricsText.ProbeSample(channel: "gone", probe: "x", seconds: 1, passed: false))
        try samples.save(stateDirectory: directory, channels: ["mall"])
        let loaded = ProbeSamples.load(stateDirectory: directory)
        #expect(loaded.samples(of: ["mall", "gone"]).map(\.probe) == [#"\n"#, #"a"b"#, #"c\d"#, "p\nq"])
        #expect(loaded.samples(of: ["mall"]) == samples.samples(of: ["mall"]))
    }

    @Test func anUnreadableFileMeansNoSamplesYet() throws {
        let workspace = try TemporaryWorkspace()
        let directory = workspace.root
        try Data("not json".utf8).write(to: URL(fileURLWithPath: directory + "/" + ProbeSamples.fileName))
        #expect(ProbeSamples.load(stateDirectory: directory) == ProbeSamples())
        #expect(ProbeSamples.load(stateDirectory: directory + "/missing") == ProbeSamples())
    }
}
