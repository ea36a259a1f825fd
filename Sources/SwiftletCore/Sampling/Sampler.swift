/// How the next token is chosen from the logits.
public struct SamplingParameters: Sendable {
    /// 0 picks the most likely token (greedy); higher values flatten the distribution.
    public var temperature: Float
    /// Keep only the k most likely tokens (0: all).
    public var topK: Int
    /// Keep the most likely tokens whose probabilities sum to at least p (1: all).
    public var topP: Float
    /// Drop tokens less likely than minP × the most likely one's probability (0: none).
    public var minP: Float
    /// Divides positive (multiplies negative) logits of recently seen tokens (1: off).
    public var repetitionPenalty: Float
    /// How many recent tokens the penalty looks at.
    public var repetitionWindow: Int
    public var seed: UInt64

    /// The defaults here are Swiftlet's everywhere: the Swift API, the CLI, the server (for
    /// fields a request leaves out) and the web API (through the wasm ABI's description) all
    /// read `SamplingParameters.defaults` rather than restating them.
    public init(
        temperature: Float = 0.8, topK: Int = 40, topP: Float = 0.95, minP: Float = 0.05,
        repetitionPenalty: Float = 1, repetitionWindow: Int = 64, seed: UInt64 = 0
    ) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionWindow = repetitionWindow
        self.seed = seed
    }

    public static let defaults = SamplingParameters()
    public static let greedy = SamplingParameters(temperature: 0)

    /// Always the largest logit: no temperature and no penalty.
    public var isGreedy: Bool { temperature <= 0 && repetitionPenalty == 1 }
}

/// Chooses tokens: penalties, then top-k, top-p and min-p on the untempered distribution,
/// then temperature and a draw from the seeded generator (llama.cpp's default order).
public struct Sampler {
    public let parameters: SamplingParameters
    private var random: RandomGenerator
    /// Reused candidate list: (token, logit or probability).
    private var candidates: [(token: Int32, value: Float)] = []

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        random = RandomGenerator(seed: parameters.seed)
    }

    /// The index of the largest logit (the first one on ties).
    public static func argmax(_ logits: UnsafePointer<Float>, count: Int) -> Int32 {
        var best = 0
        for i in 1..<count where logits[i] > logits[best] { best = i }
        return Int32(best)
    }

    /// A token drawn from the distribution the parameters make of `logits`. With a `draft`
    /// (a token proposed ahead, as speculative decoding does), the draft is kept with its
    /// probability p(draft) and otherwise a token is drawn from the rest renormalized: the
    /// speculative-sampling rule for a draft proposed with certainty, which leaves the
    /// distribution of what is returned the same. The result equals the draft when accepted.
    /// With `allowed` ([count], a grammar's mask), only tokens it marks are candidates; at
    /// least one must be.
    public mutating func sample(
        _ logits: UnsafePointer<Float>, count: Int, history: some Collection<Int32>, draft: Int32? = nil,
        allowed: [Bool]? = nil
    ) -> Int32 {
        let p = parameters
        let penalized = p.repetitionPenalty != 1 && !history.isEmpty
        if p.temperature <= 0 && !penalized {
            guard let allowed else { return Self.argmax(logits, count: count) }
            var best = allowed.firstIndex(of: true) ?? 0
            for i in best..<count where allowed[i] && logits[i] > logits[best] { best = i }
            return Int32(best)
        }

        candidates.removeAll(keepingCapacity: true)
        for i in 0..<count { candidates.append((Int32(i), logits[i])) }
        if penalized {
            var seen: [Int32] = []
            for token in history.suffix(p.repetitionWindow) where !seen.contains(token) && Int(token) < count {
                seen.append(token)
                let logit = candidates[Int(token)].value
                candidates[Int(token)].value = logit > 0 ? logit / p.repetitionPenalty : logit * p.repetitionPenalty
            }
        }
        if let allowed { candidates.removeAll { !allowed[Int($0.token)] } }
        if p.temperature <= 0 {
            return candidates.max { $0.value < $1.value || ($0.value == $1.value && $0.token > $1.token) }!.token
        }

        if p.topK > 0 && p.topK < candidates.count {
            keepLargest(p.topK)
        } else {
            candidates.sort { $0.value > $1.value }
        }
        // Probabilities of the untempered logits, for top-p and min-p.
        softmax()
        if p.topP < 1 {
            var cumulative: Float = 0
            var keep = candidates.count
            for (i, candidate) in candidates.enumerated() {
                cumulative += candidate.value
                if cumulative >= p.topP { keep = i + 1; break }
            }
            candidates.removeLast(candidates.count - keep)
        }
        if p.minP > 0 {
            let threshold = candidates[0].value * p.minP
            let keep = max(1, candidates.firstIndex { $0.value < threshold } ?? candidates.count)
            candidates.removeLast(candidates.count - keep)
        }
        // Temperature on the kept tokens: p^(1/T), renormalized.
        var total: Float = 0
        for i in candidates.indices {
            let tempered = MathFunctions.exp(MathFunctions.logFloat(max(candidates[i].value, .leastNormalMagnitude)) / p.temperature)
            candidates[i].value = tempered
            total += tempered
        }
        if let draft, let kept = candidates.firstIndex(where: { $0.token == draft }) {
            let weight = candidates[kept].value
            if random.nextUnitFloat() * total < weight || total - weight <= 0 { return draft }
            candidates.remove(at: kept)
            total -= weight
        }
        var draw = random.nextUnitFloat() * total
        for candidate in candidates {
            draw -= candidate.value
            if draw < 0 { return candidate.token }
        }
        return candidates[candidates.count - 1].token
    }

    /// Sorts the `k` largest candidates first and drops the rest.
    private mutating func keepLargest(_ k: Int) {
        // A min-heap of the best k seen so far.
        var heap = Heap<(token: Int32, value: Float)> { $0.value < $1.value }
        var size = 0
        var smallest = -Float.infinity
        for candidate in candidates {
            if size < k {
                heap.push(candidate)
                size += 1
                if size == k { smallest = heap.peek!.value }
            } else if candidate.value > smallest {
                _ = heap.pop()
                heap.push(candidate)
                smallest = heap.peek!.value
            }
        }
        candidates.removeAll(keepingCapacity: true)
        while let item = heap.pop() { candidates.append(item) }
        candidates.reverse()
    }

    /// Replaces the (sorted) candidates' logits by their softmax probabilities.
    private mutating func softmax() {
        let maximum = candidates[0].value
        var sum: Float = 0
        for i in candidates.indices {
            candidates[i].value = MathFunctions.exp(candidates[i].value - maximum)
            sum += candidates[i].value
        }
        for i in candidates.indices { candidates[i].value /= sum }
    }
}
