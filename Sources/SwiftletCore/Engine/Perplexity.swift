/// Perplexity of a model on a text, measured the way llama-perplexity does so the two can
/// be compared: the tokens (with BOS where the model adds one) are cut into chunks of
/// `contextSize`; each chunk starts from an empty cache with its first token replaced by
/// BOS (when the model uses one), and only the second half of each chunk is scored, so
/// every scored token has at least half a context before it.
public struct PerplexityResult: Sendable {
    public let chunks: Int
    public let scoredTokens: Int
    /// Mean negative log-likelihood per chunk (nats).
    public let chunkNLL: [Double]
    public var meanNLL: Double { chunkNLL.reduce(0, +) / Double(max(chunkNLL.count, 1)) }
    public var perplexity: Double { MathFunctions.exp(meanNLL) }
}

extension Session {
    /// Scores `tokens` (the whole text, tokenized with BOS as the model wants) over at most
    /// `maxChunks` chunks of this session's context size. Resets the session.
    public func perplexity(of tokens: [Int32], maxChunks: Int = .max) throws(EngineError) -> PerplexityResult {
        let n = contextSize
        let chunkCount = min(maxChunks, tokens.count / n)
        guard chunkCount > 0 else { throw .promptTooLong(tokens: tokens.count, contextSize: n) }
        let vocabulary = model.config.vocabularySize
        let first = n / 2
        var chunkNLL: [Double] = []
        for chunk in 0..<chunkCount {
            reset()
            var ids = Array(tokens[(chunk * n)..<((chunk + 1) * n)])
            if tokenizer.vocabulary.addBOS, let bos = tokenizer.vocabulary.bos { ids[0] = bos }
            var nll = 0.0
            try evaluate(ids, logitsFrom: first) { position, logits in
                guard position < n - 1 else { return }
                // log-softmax as llama-perplexity: max in f32, Σ exp in double.
                var maximum = -Float.infinity
                for i in 0..<vocabulary { maximum = max(maximum, logits[i]) }
                var sum = 0.0
                for i in 0..<vocabulary { sum += Double(MathFunctions.exp(logits[i] - maximum)) }
                nll -= Double(logits[Int(ids[position + 1])] - maximum) - MathFunctions.log(sum)
            }
            chunkNLL.append(nll / Double(n - 1 - first))
        }
        return PerplexityResult(chunks: chunkCount, scoredTokens: chunkCount * (n - 1 - first), chunkNLL: chunkNLL)
    }
}
