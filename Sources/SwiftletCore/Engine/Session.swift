/// Why generation could not proceed.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case promptTooLong(tokens: Int, contextSize: Int)
    case emptyPrompt
    case contextFull(contextSize: Int)
    case invalidToken(Int32)
    /// The answer's grammar admits no token of the vocabulary where it stands.
    case noTokenFitsGrammar
    /// The answer reached a point with more parses at once than `Grammar.maxParses`.
    case grammarTooAmbiguous
    /// The device running the forward pass failed (a lost GPU); the message says how.
    case device(String)

    public var description: String {
        switch self {
        case let .promptTooLong(tokens, contextSize):
            "the prompt is \(tokens) tokens, more than the context of \(contextSize) holds (with room for one generated token)"
        case .emptyPrompt: "the prompt is empty"
        case let .contextFull(contextSize): "the context of \(contextSize) tokens is full"
        case let .invalidToken(token): "token id \(token) is outside the vocabulary"
        case .noTokenFitsGrammar: "no token of the vocabulary continues the answer's grammar here"
        case .grammarTooAmbiguous:
            "the answer's grammar is too ambiguous here (more than \(Grammar.maxParses) parses at once): bound its repetitions of optional parts"
        case let .device(message): message
        }
    }
}

/// What a generation step produced.
public enum GenerationEvent: Equatable {
    /// New text (whole UTF-8 characters) and the token that completed it.
    case token(Int32, text: [UInt8])
    case finished(FinishReason)
}

public enum FinishReason: Sendable, Equatable {
    /// The model produced an end-of-generation token (EOS, end of turn).
    case endOfGeneration
    case maxTokens
    /// A caller's stop string appeared (it is not part of the text).
    case stopString
    /// The context has no room for another token.
    case contextFull
}

public struct GenerationOptions: Sendable {
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Text that ends the answer when it appears (UTF-8).
    public var stopStrings: [[UInt8]]
    /// Whether tokens are drafted and verified in batches (on the CPU engine).
    public var speculation: Speculation
    /// What the answer must be a sentence of (a JSON schema's grammar, say); it ends when
    /// the grammar admits nothing more.
    public var grammar: Grammar?

    /// The answer length when a caller names none (the CLI, the Swift API and the web API).
    public static let defaultMaxTokens = 512
    public static let defaultSpeculation = Speculation.auto

    public init(
        maxTokens: Int = defaultMaxTokens, sampling: SamplingParameters = .defaults, stopStrings: [[UInt8]] = [],
        speculation: Speculation = defaultSpeculation, grammar: Grammar? = nil
    ) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopStrings = stopStrings
        self.speculation = speculation
        self.grammar = grammar
    }
}

/// One conversation with a model: its KV cache and the tokens in it. The caller pulls
/// tokens one at a time with `next()`; the native shell wraps this in an async stream, the
/// web shell in a worker message loop. Earlier turns stay in the cache, so a follow-up
/// only evaluates its own tokens.
public final class Session {
    /// The context a session holds when a caller names none (the CLI, the server, the Swift
    /// and web APIs).
    public static let defaultContextSize = 2048
    /// Prompt tokens evaluated in one pass when a caller names no batch size.
    public static let defaultMaxBatch = 64

    public let model: Transformer
    public let tokenizer: Tokenizer
    public let cache: KVCache
    let state: ForwardState
    public var parallel: ParallelFor
    /// Where the forward passes run when not on the core's CPU kernels.
    public let device: DeviceForward?
    /// Seconds on a monotonic clock (the shell's), to time passes: drafting weighs what a
    /// verification pass costs here. Without one it assumes a typical cost.
    public var clock: (() -> Double)?
    /// Every token whose keys and values are in the cache, in order.
    public private(set) var tokens: [Int32] = []
    /// The tokens of the current (or last) answer, the end-of-generation token included.
    public private(set) var answerTokens: [Int32] = []
    /// Tokens run through the model since the session began: what prefill and decode cost.
    public private(set) var evaluatedTokenCount = 0
    /// Tokens drafted for verification since the session began, and those of them accepted.
    public private(set) var draftedTokenCount = 0
    public private(set) var acceptedTokenCount = 0

    private var options = GenerationOptions()
    private var sampler = Sampler(.greedy)
    private var decoder: StreamingDecoder
    /// Sampled, shown to the caller, but not evaluated yet (done lazily, so the last token
    /// of an answer costs nothing unless the conversation goes on).
    private var pending: Int32?
    /// Answer tokens a verification pass decided, not yet returned by `next()`: accepted
    /// drafts (in the cache) and, last, the token that followed them (`pending`).
    private var verified: [Int32] = []
    private var draftPolicy = DraftPolicy(.off)
    /// The first token of a draft the policy declined, to learn whether it would have been
    /// accepted (so that `auto` can switch drafting back on).
    private var declinedDraft: Int32?
    private var heldText: [UInt8] = []
    private var finished = true
    /// Where the answer stands in its grammar, if it has one.
    private var constraint: GrammarConstraint?
    private var trie: TokenTrie?

    /// The vocabulary's trie, which grammars need; built on first use (a vocabulary of 262k
    /// tokens takes a while), or handed over from another session of the same model.
    public var tokenTrie: TokenTrie {
        get {
            if let trie { return trie }
            let built = TokenTrie(tokenizer: tokenizer)
            trie = built
            return built
        }
        set { trie = newValue }
    }

    public init(
        model: Transformer, tokenizer: Tokenizer, contextSize: Int, maxBatch: Int = defaultMaxBatch,
        precision: Precision = .f16, parallel: @escaping ParallelFor = serialFor, device: DeviceForward? = nil
    ) {
        self.model = model
        self.tokenizer = tokenizer
        let batch = max(1, min(maxBatch, contextSize))
        // With a device, the CPU cache and state only give the sizes: their pages are never
        // touched, so they cost address space, not memory.
        cache = model.makeCache(contextSize: contextSize, maxBatch: batch, precision: precision)
        state = model.makeState(maxBatch: batch)
        self.device = device
        self.parallel = parallel
        decoder = StreamingDecoder(tokenizer: tokenizer)
    }

    public var contextSize: Int { cache.contextSize }

    /// Evaluates `newTokens` after what the cache holds (in batches), leaving the logits of
    /// the last one in `logits`.
    public func append(_ newTokens: [Int32]) throws(EngineError) {
        try evaluate(newTokens, each: nil)
    }

    /// Evaluates `newTokens`, calling `each(index, logits)` with the logits that follow
    /// each of them from index `logitsFrom` on (for perplexity and teacher-forced checks).
    /// With `decodeArithmetic` (on the CPU), those logits are bit for bit what decoding the
    /// tokens one at a time gives, at a batch's cost in weight reads.
    public func evaluate(
        _ newTokens: [Int32], logitsFrom: Int = 0, decodeArithmetic: Bool = false, each: ((Int, UnsafePointer<Float>) -> Void)?
    ) throws(EngineError) {
        try flushPending()
        guard tokens.count + newTokens.count <= contextSize else {
            throw .promptTooLong(tokens: tokens.count + newTokens.count, contextSize: contextSize)
        }
        for token in newTokens where token < 0 || Int(token) >= model.config.vocabularySize {
            throw .invalidToken(token)
        }
        var offset = 0
        while offset < newTokens.count {
            // With every row's logits asked for, a pass takes no more rows than a device keeps.
            let n = min(state.maxBatch, newTokens.count - offset, each == nil ? .max : device?.logitRows ?? .max)
            // Logits for rows from `first` on (the last row alone when nobody looks).
            let first = each == nil ? n - 1 : max(0, logitsFrom - offset)
            try run(newTokens[offset..<(offset + n)], logitsFrom: first, decodeArithmetic: decodeArithmetic)
            tokens += newTokens[offset..<(offset + n)]
            evaluatedTokenCount += n
            if let each, first < n {
                for row in first..<n {
                    if let device {
                        each(offset + row, try device.logits(row - first))
                    } else {
                        each(offset + row, state.logits + (row - first) * model.config.vocabularySize)
                    }
                }
            }
            offset += n
        }
    }

    /// One forward pass of at most `state.maxBatch` tokens after those in the cache.
    private func run(_ batch: ArraySlice<Int32>, logitsFrom first: Int, decodeArithmetic: Bool = false) throws(EngineError) {
        if let device {
            try batch.withUnsafeBufferPointer { (batch) throws(EngineError) in
                try device.run(batch, tokens.count, first)
            }
        } else {
            batch.withUnsafeBufferPointer { batch in
                model.forward(
                    batch, start: tokens.count, cache: cache, state: state, logitsFrom: first, decodeArithmetic: decodeArithmetic,
                    parallel: parallel)
            }
        }
    }

    /// Logits after the last evaluated token: [vocabulary size] (on a device, read back).
    public func lastLogits() throws(EngineError) -> UnsafePointer<Float> {
        if let device { return try device.logits(0) }
        return UnsafePointer(state.logits + (state.logitRows - 1) * model.config.vocabularySize)
    }

    /// Starts answering after `prompt` (appended to the conversation so far).
    public func start(prompt: [Int32], options: GenerationOptions) throws(EngineError) {
        guard !prompt.isEmpty || !tokens.isEmpty else { throw .emptyPrompt }
        guard tokens.count + prompt.count + (pending == nil ? 0 : 1) < contextSize else {
            throw .promptTooLong(tokens: tokens.count + prompt.count, contextSize: contextSize)
        }
        try append(prompt)
        self.options = options
        sampler = Sampler(options.sampling)
        draftPolicy.restart(device == nil ? options.speculation : .off)
        constraint = options.grammar.map { GrammarConstraint($0, trie: tokenTrie, tokenizer: tokenizer) }
        declinedDraft = nil
        decoder = StreamingDecoder(tokenizer: tokenizer)
        answerTokens = []
        heldText = []
        finished = false
    }

    /// The next token of the answer, or `.finished`, then nil.
    public func next() throws(EngineError) -> GenerationEvent? {
        guard !finished else { return nil }
        if answerTokens.count >= options.maxTokens { return finish(.maxTokens) }
        if constraint?.isFinished == true { return finish(.endOfGeneration) }
        if verified.isEmpty, pending != nil { try speculate() }
        let token: Int32
        if verified.isEmpty {
            try flushPending()
            if tokens.count >= contextSize { return finish(.contextFull) }
            // A device picks a greedy token itself: a few bytes read back instead of the logits.
            if let device, sampler.parameters.isGreedy, constraint == nil {
                token = device.lastArgmax()
            } else if let constraint {
                guard let fitting = constraint.choose(&sampler, try lastLogits(), count: model.config.vocabularySize, history: tokens)
                else { throw constraint.failure }
                token = fitting
            } else {
                token = sampler.sample(try lastLogits(), count: model.config.vocabularySize, history: tokens)
            }
            if let declined = declinedDraft {
                draftPolicy.record(drafted: 1, accepted: declined == token ? 1 : 0)
                declinedDraft = nil
            }
            // Evaluated lazily: part of the conversation if it goes on (an end of turn too).
            pending = token
        } else {
            token = verified.removeFirst()
        }
        answerTokens.append(token)
        constraint?.accept(token)
        if tokenizer.vocabulary.isEndOfGeneration(token) { return finish(.endOfGeneration) }
        heldText += decoder.append(token)
        if let stop = Self.firstMatch(of: options.stopStrings, in: heldText) {
            heldText.removeSubrange(stop...)
            return finish(.stopString)
        }
        // Hold back text that could still turn out to start a stop string.
        let safe = heldText.count - Self.longestStopPrefixSuffix(options.stopStrings, heldText)
        let text = Array(heldText[..<safe])
        heldText.removeFirst(safe)
        return .token(token, text: text)
    }

    private func finish(_ reason: FinishReason) -> GenerationEvent {
        discardUnreturned()
        finished = true
        return .finished(reason)
    }

    // MARK: Speculation

    /// Drafts what may follow the pending token and evaluates both in one pass, leaving in
    /// `verified` the tokens decode would have produced from the same logits: the drafts
    /// up to the first that the sampler does not keep, then the sampler's own token.
    private func speculate() throws(EngineError) {
        guard let last = pending, draftPolicy.mode != .off else { return }
        // Room in one pass for the pending token and the drafts, and in the context and the
        // answer for one more token sampled after them.
        let room = min(contextSize - tokens.count - 2, options.maxTokens - answerTokens.count - 1, state.maxBatch - 1)
        let context = tokens + [last]
        let lookup = NGramLookup.draft(after: context, limit: min(room, DraftPolicy.maxLength))
        guard !lookup.isEmpty else { return }
        let length = draftPolicy.length(limit: lookup.count)
        guard length > 0 else {
            declinedDraft = lookup.first
            return
        }
        let draft = lookup.prefix(length)
        var decided: [Int32] = []
        var rejected = false
        // The grammar moves on with each decided row (the answer's own moves as they are returned).
        var rowConstraint = constraint
        var deadEnd = false
        let vocabulary = model.config.vocabularySize
        pending = nil  // evaluated with the drafts
        let begin = clock?()
        do {
            try evaluate([last] + draft, logitsFrom: 0, decodeArithmetic: true) { row, logits in
                // Rows after a rejection predict from a token that is not in the answer.
                guard !rejected else { return }
                let proposal = row < draft.count ? draft[draft.startIndex + row] : nil
                let history = context + draft.prefix(row)
                let choice = if let constraint = rowConstraint {
                    constraint.choose(&self.sampler, logits, count: vocabulary, history: history, draft: proposal)
                } else {
                    self.sampler.sample(logits, count: vocabulary, history: history, draft: proposal)
                }
                guard let token = choice else {
                    deadEnd = true
                    rejected = true
                    return
                }
                rowConstraint?.accept(token)
                decided.append(token)
                // A finished grammar takes nothing more: the row's token ends what is decided.
                rejected = token != proposal || rowConstraint?.isFinished == true
            }
        } catch {
            pending = last
            throw error
        }
        if deadEnd && decided.isEmpty {
            tokens.removeLast(draft.count + 1)
            pending = last
            throw rowConstraint?.failure ?? .noTokenFitsGrammar
        }
        if let begin, let end = clock?() { draftPolicy.recordVerification(rows: draft.count + 1, seconds: end - begin) }
        let agreed = decided.count - 1
        draftedTokenCount += draft.count
        acceptedTokenCount += agreed
        draftPolicy.record(drafted: draft.count, accepted: agreed)
        tokens.removeLast(draft.count - agreed)
        pending = decided.last
        verified = decided
    }

    /// Forgets verified tokens that were never returned (the answer ended, or the caller
    /// stopped asking): the cache keeps only what the answer holds.
    private func discardUnreturned() {
        guard !verified.isEmpty else { return }
        // The last verified token is pending and the others follow the last one returned in
        // the cache; that one becomes pending again, where decode would have left it.
        tokens.removeLast(verified.count)
        pending = answerTokens.last
        verified = []
    }

    /// Text not yet returned: held back for a possible stop string, or an incomplete
    /// character. Call after `.finished` to get the end of the answer.
    public func remainingText() -> [UInt8] {
        defer { heldText = [] }
        if !finished { return [] }
        return heldText + decoder.finish()
    }

    /// Forgets the conversation (keeps the allocated cache).
    public func reset() {
        tokens = []
        answerTokens = []
        pending = nil
        verified = []
        finished = true
    }

    private func flushPending() throws(EngineError) {
        discardUnreturned()
        guard let token = pending else { return }
        pending = nil
        guard tokens.count < contextSize else { throw .contextFull(contextSize: contextSize) }
        let begin = clock?()
        try run([token][...], logitsFrom: 0)
        if let begin, let end = clock?() { draftPolicy.recordPass(seconds: end - begin) }
        tokens.append(token)
        evaluatedTokenCount += 1
    }

    static func firstMatch(of stops: [[UInt8]], in text: [UInt8]) -> Int? {
        var best: Int?
        for stop in stops where !stop.isEmpty && stop.count <= text.count {
            for start in 0...(text.count - stop.count) where text[start..<(start + stop.count)].elementsEqual(stop) {
                best = min(best ?? start, start)
                break
            }
        }
        return best
    }

    /// Length of the longest suffix of `text` that is a proper prefix of a stop string.
    static func longestStopPrefixSuffix(_ stops: [[UInt8]], _ text: [UInt8]) -> Int {
        var longest = 0
        for stop in stops {
            for length in stride(from: min(stop.count - 1, text.count), to: longest, by: -1)
            where text[(text.count - length)...].elementsEqual(stop[..<length]) {
                longest = length
                break
            }
        }
        return longest
    }
}
