/// Whether a session drafts tokens ahead and verifies them in one batch (speculative
/// decoding). The answer is the same either way: greedy tokens are those decode picks, and
/// sampled ones follow the same distribution.
public enum Speculation: Sendable, Equatable {
    case off
    /// Drafts by prompt lookup whenever the context's last few tokens occurred before in it.
    case ngram
    /// `ngram` only while drafted tokens are accepted often enough that verifying them
    /// costs less than it saves: it switches itself off on text that does not repeat.
    case auto

    /// The way a caller names it (the CLI, the server, the web API): `off`, `ngram`, `auto`.
    public init?(name: some Collection<UInt8>) {
        if name.elementsEqual("off".utf8) {
            self = .off
        } else if name.elementsEqual("ngram".utf8) {
            self = .ngram
        } else if name.elementsEqual("auto".utf8) {
            self = .auto
        } else {
            return nil
        }
    }
}

/// Proposes what follows by prompt lookup: the tokens that came after the latest earlier
/// occurrence of the context's last n tokens, trying the longest n first. Rewriting,
/// extracting and editing copy long spans of their input, which this finds for free.
public enum NGramLookup {
    public static let longest = 4, shortest = 2

    /// Up to `limit` tokens to follow `context` (empty when no n-gram recurs).
    public static func draft(after context: [Int32], limit: Int) -> ArraySlice<Int32> {
        guard limit > 0 else { return [] }
        for n in stride(from: min(longest, context.count - 1), through: shortest, by: -1) {
            let suffix = context[(context.count - n)...]
            // Latest first; an occurrence must leave at least one token after it.
            for start in stride(from: context.count - n - 1, through: 0, by: -1)
            where context[start..<(start + n)].elementsEqual(suffix) {
                return context[(start + n)..<min(start + n + limit, context.count)]
            }
        }
        return []
    }
}

/// How long a draft should be: the one that maximizes expected tokens per second, from
/// running estimates of how often a drafted token is accepted and of what a drafted row
/// adds to a pass (timed where the shell gives the session a clock).
public struct DraftPolicy {
    public static let maxLength = 12
    /// A drafted row's cost in one-token passes before any pass is timed. Machines differ
    /// widely: about 0.2 where decode is bound by memory bandwidth, 0.5–0.7 where two
    /// cores are bound by arithmetic (docs/performance.md).
    public static let untimedRowCost = 0.5
    /// Recent evidence counts more: the weight one observation keeps after the next.
    static let memory = 0.8

    public private(set) var mode: Speculation
    /// Drafted tokens accepted and tried (a draft is tried up to its first rejection),
    /// decayed; they start at a prior of 1 in 2.
    private var accepted = 1.0, tried = 2.0
    /// Seconds of a one-token pass, and what each drafted row adds to a verification pass.
    private var passSeconds: Double?, rowSeconds: Double?

    public init(_ mode: Speculation) { self.mode = mode }

    /// Starts over for a new answer in `mode`: acceptance goes back to the prior (answers
    /// differ), the timings stay (the machine does not).
    public mutating func restart(_ mode: Speculation) {
        self.mode = mode
        (accepted, tried) = (1, 2)
    }

    /// The chance that a drafted token is accepted when the one before it was.
    public var acceptance: Double { accepted / tried }

    /// What a drafted row adds to a verification pass, in one-token passes.
    public var rowCost: Double {
        guard let passSeconds, let rowSeconds, passSeconds > 0 else { return Self.untimedRowCost }
        return rowSeconds / passSeconds
    }

    /// Tokens to draft now, at most `limit`; 0 where drafting does not pay (in `auto`).
    public func length(limit: Int) -> Int {
        guard mode != .off, limit > 0 else { return 0 }
        // Speed against plain decode: (1 + Σ_{j≤k} α^j) tokens for (1 + rowCost·k) steps.
        let (alpha, rowCost) = (acceptance, rowCost)
        var best = (length: 0, speedup: 1.0)
        var expected = 0.0, power = 1.0
        for k in 1...min(limit, Self.maxLength) {
            power *= alpha
            expected += power
            let speedup = (1 + expected) / (1 + rowCost * Double(k))
            if speedup > best.speedup { best = (k, speedup) }
        }
        return mode == .ngram ? max(best.length, 1) : best.length
    }

    /// Notes a verification: `accepted` of `drafted` tokens agreed.
    public mutating func record(drafted: Int, accepted agreed: Int) {
        accepted = accepted * Self.memory + Double(agreed)
        tried = tried * Self.memory + Double(agreed + (agreed < drafted ? 1 : 0))
    }

    /// Notes how long a one-token pass took.
    public mutating func recordPass(seconds: Double) {
        passSeconds = passSeconds.map { $0 * Self.memory + seconds * (1 - Self.memory) } ?? seconds
    }

    /// Notes how long a verification pass of `rows` tokens (the pending one and the drafts) took.
    public mutating func recordVerification(rows: Int, seconds: Double) {
        guard let passSeconds, rows > 1 else { return }
        let perRow = max(0, seconds - passSeconds) / Double(rows - 1)
        rowSeconds = rowSeconds.map { $0 * Self.memory + perRow * (1 - Self.memory) } ?? perRow
    }
}
