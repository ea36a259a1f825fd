import SwiftletCore
import Testing

/// The parts of speculative decoding that need no real model: drafting by lookup, the draft
/// length policy, and the acceptance rule that keeps sampled tokens' distribution.
@Suite struct SpeculationTests {
    @Test func lookupDraftsWhatFollowedTheLatestOccurrenceOfTheLongestNGram() {
        //                       0  1  2  3  4  5  6  7  8  9 10 11 12 13
        let context: [Int32] = [5, 1, 2, 3, 9, 8, 2, 3, 7, 6, 4, 1, 2, 3]
        // [1, 2, 3] recurs at 1 (followed by 9, 8, …); [2, 3] alone recurs later, at 6.
        #expect(Array(NGramLookup.draft(after: context, limit: 3)) == [9, 8, 2])
        #expect(Array(NGramLookup.draft(after: context + [7], limit: 4)) == [6, 4, 1, 2])
        #expect(Array(NGramLookup.draft(after: [4, 4, 4], limit: 5)) == [4])
        #expect(NGramLookup.draft(after: context + [11], limit: 4).isEmpty)  // nothing ends in 3, 11
        #expect(NGramLookup.draft(after: context, limit: 0).isEmpty)
        #expect(NGramLookup.draft(after: [1], limit: 4).isEmpty)
    }

    @Test func draftsLengthenWhileAcceptedAndAutoStopsWhenTheyAreNot() {
        var auto = DraftPolicy(.auto), ngram = DraftPolicy(.ngram)
        for _ in 0..<20 {
            auto.record(drafted: 8, accepted: 8)
        }
        #expect(auto.length(limit: 12) >= 8)
        #expect(auto.length(limit: 3) == 3)
        for _ in 0..<30 {
            auto.record(drafted: 4, accepted: 0)
            ngram.record(drafted: 4, accepted: 0)
        }
        #expect(auto.length(limit: 12) == 0, "acceptance \(auto.acceptance)")
        #expect(ngram.length(limit: 12) == 1)
        #expect(DraftPolicy(.off).length(limit: 12) == 0)
        // Half the drafted tokens accepted: not worth it where a drafted row costs half a
        // one-token pass (the untimed guess), worth short drafts where it costs a fifth.
        var even = DraftPolicy(.auto)
        for _ in 0..<20 { even.record(drafted: 1, accepted: 1); even.record(drafted: 1, accepted: 0) }
        #expect(even.rowCost == DraftPolicy.untimedRowCost && even.length(limit: 12) == 0)
        even.recordPass(seconds: 0.010)
        even.recordVerification(rows: 5, seconds: 0.018)
        #expect(abs(even.rowCost - 0.2) < 1e-9)
        #expect((1...3).contains(even.length(limit: 12)))
        even.restart(.auto)
        #expect(even.acceptance == 0.5 && abs(even.rowCost - 0.2) < 1e-9, "a new answer keeps the timings")
    }

    /// Where a draft is kept with its probability and the rest renormalized otherwise, every
    /// token still comes out with the sampler's probability: 200,000 draws from logits of the
    /// tiny model, for a likely, a middling and the least likely draft, against the exact
    /// softmax (a chi-square test at p = 10⁻⁶ over the buckets).
    @Test(arguments: [0, 20, 49])
    func draftsLeaveTheSampledDistributionUnchanged(_ draftRank: Int) throws {
        let vocabulary = TinyModelTests.vocabulary
        let logits = try TinyModelTests.logits(TinyModelTests.model(window: nil), TinyModelTests.tokens, batch: 10)
        let temperature: Float = 0.7
        // Exact probabilities: topK, topP and minP off, so softmax(logits / T).
        let top = Double(logits.max()!)
        let weights = logits.map { MathFunctions.exp((Double($0) - top) / Double(temperature)) }
        let probabilities = weights.map { $0 / weights.reduce(0, +) }
        let ranked = (0..<vocabulary).sorted { probabilities[$0] > probabilities[$1] }
        let draft = Int32(ranked[draftRank])

        var sampler = Sampler(SamplingParameters(temperature: temperature, topK: 0, topP: 1, minP: 0, seed: 11))
        let draws = 200_000
        var counts = [Int](repeating: 0, count: vocabulary)
        logits.withUnsafeBufferPointer { row in
            for _ in 0..<draws { counts[Int(sampler.sample(row.baseAddress!, count: vocabulary, history: [], draft: draft))] += 1 }
        }
        // Buckets of at least 20 expected draws (the rarest tokens pooled).
        var chiSquare = 0.0, buckets = 0
        var pooled = (expected: 0.0, observed: 0)
        for token in ranked.reversed() {
            pooled.expected += probabilities[token] * Double(draws)
            pooled.observed += counts[token]
            guard pooled.expected >= 20 else { continue }
            chiSquare += (Double(pooled.observed) - pooled.expected) * (Double(pooled.observed) - pooled.expected) / pooled.expected
            buckets += 1
            pooled = (0, 0)
        }
        #expect(buckets > 10)
        // χ² at p = 10⁻⁶ is below 2·dof + 40 for these degrees of freedom.
        #expect(chiSquare < Double(2 * (buckets - 1) + 40), "χ² \(chiSquare) over \(buckets) buckets; draft p = \(probabilities[Int(draft)])")
        // A rule that always kept the draft, or never drew it, would be far off.
        let share = Double(counts[Int(draft)]) / Double(draws)
        #expect(abs(share - probabilities[Int(draft)]) < 0.005)
    }
}
