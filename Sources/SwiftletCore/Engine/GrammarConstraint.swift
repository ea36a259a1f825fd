/// Keeps an answer inside a grammar. The sampler first picks as usual and only that token is
/// checked, which is all a step costs while the model writes what the grammar wants; when the
/// pick does not fit, the most likely tokens are tried (greedy), and failing that the trie
/// gives the mask of every token that fits and the sampler picks among those (llama.cpp's
/// order: greedy answers are the best fitting token, and unchanged where the free answer fits).
struct GrammarConstraint {
    /// Shared by copies (a verification pass moves one ahead): a cache, whatever state it is asked about.
    let automaton: GrammarAutomaton
    private(set) var state: Int32
    let trie: TokenTrie
    let tokenizer: Tokenizer
    /// How many of the likeliest tokens a greedy step checks before building the mask.
    static let greedyCandidates = 64

    init(_ grammar: Grammar, trie: TokenTrie, tokenizer: Tokenizer) {
        automaton = GrammarAutomaton(grammar)
        state = automaton.start
        self.trie = trie
        self.tokenizer = tokenizer
    }

    /// Why `choose` found no token.
    var failure: EngineError { automaton.tooAmbiguous ? .grammarTooAmbiguous : .noTokenFitsGrammar }

    /// Nothing can follow: the answer is whole.
    var isFinished: Bool { !automaton.canContinue(state) }

    /// Whether `token` may come next: its text continues the grammar, or it ends the
    /// generation where the grammar is complete.
    func fits(_ token: Int32) -> Bool {
        if tokenizer.vocabulary.isEndOfGeneration(token) { return automaton.isComplete(state) }
        let text = tokenizer.piece(token)
        return !text.isEmpty && automaton.next(state, text) != GrammarAutomaton.dead
    }

    /// Reads a chosen token.
    mutating func accept(_ token: Int32) {
        if !tokenizer.vocabulary.isEndOfGeneration(token) { state = automaton.next(state, tokenizer.piece(token)) }
    }

    /// The token to take from `logits` ([count]), or nil when no token of the vocabulary fits.
    func choose(
        _ sampler: inout Sampler, _ logits: UnsafePointer<Float>, count: Int, history: some Collection<Int32>,
        draft: Int32? = nil
    ) -> Int32? {
        let token = sampler.sample(logits, count: count, history: history, draft: draft)
        if fits(token) { return token }
        if sampler.parameters.isGreedy {
            for candidate in Self.likeliest(logits, count: count, Self.greedyCandidates) where fits(candidate) { return candidate }
        }
        var allowed = trie.allowedTokens(automaton, state)
        // The model's logits and the tokenizer's list may differ in length (padded vocabularies).
        if allowed.count != count { allowed = Array(allowed.prefix(count)) + [Bool](repeating: false, count: max(0, count - allowed.count)) }
        guard allowed.contains(true) else { return nil }
        return sampler.sample(logits, count: count, history: history, allowed: allowed)
    }

    /// The `k` tokens with the largest logits, largest first (the first index on ties).
    static func likeliest(_ logits: UnsafePointer<Float>, count: Int, _ k: Int) -> [Int32] {
        var best: [Int32] = []
        for i in 0..<count where best.count < k || logits[i] > logits[Int(best[best.count - 1])] {
            var slot = best.count
            while slot > 0 && logits[Int(best[slot - 1])] < logits[i] { slot -= 1 }
            best.insert(Int32(i), at: slot)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
