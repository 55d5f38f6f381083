import DetourCore
import Foundation
import Testing

/// Backoff between attempts, beyond what the incident machine's tests cover.
struct RetryPolicyTests {
    @Test func theJitterSpreadsStepsThatFailTogether() {
        let policy = RetryPolicy()
        let waits = Set((0..<20).map { policy.backoff(.seconds(10), failures: 2, key: "mall-down/step\($0)") })
        #expect(waits.count > 10, "steps failing at once do not all come back at the same second")
        #expect(waits.allSatisfy { (20...40).contains($0) })
    }

    @Test(arguments: [(-3, 1.0), (0, 1.0)])
    func negativeFailuresCountAsNone(failures: Int, base: Double) {
        let wait = RetryPolicy().backoff(.seconds(1), failures: failures, key: "k")
        #expect(wait >= base * 0.5 && wait <= base)
    }

    @Test func aZeroOrNegativeBaseWaitsNotAtAllAndAHugeOneStopsAtTheCap() {
        let policy = RetryPolicy()
        #expect(policy.backoff(.zero, failures: 5, key: "k") == 0)
        #expect(policy.backoff(.seconds(-5), failures: 5, key: "k") == 0)
        let huge = policy.backoff(.seconds(Int64.max / 4), failures: 20, key: "k")
        #expect(huge.isFinite && huge <= policy.maxBackoff && huge >= policy.maxBackoff * 0.5)
    }
}
