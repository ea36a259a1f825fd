/// The matcher's sets of stacks numbered as states, with each step from a state by a byte
/// worked out once and then looked up: inside a JSON string every character leads back to the
/// same state, so checking a token, or walking the whole vocabulary's trie, costs a table
/// lookup a byte. States are made as an answer reaches them, at most one a byte it reads, so
/// one automaton serves one answer (1 KiB of table a state).
public final class GrammarAutomaton {
    public let grammar: Grammar
    /// No state: the bytes left the grammar (or, with `tooAmbiguous` set, had too many parses).
    public static let dead: Int32 = -1
    /// Some byte led to more than `Grammar.maxParses` parses at once: nothing was allowed there.
    public private(set) var tooAmbiguous = false
    private static let unknown: Int32 = -2

    /// Each state's stacks, sorted, so that one set has one number: [states].
    private var stacks: [[[Int32]]] = []
    private var ids: [[[Int32]]: Int32] = [:]
    /// The state after state s reads byte b at s * 256 + b (`unknown` until asked): [states × 256].
    private var transitions: [Int32] = []
    /// Which tokens may follow a state, for the few states answers come back to: [vocabulary size] each.
    private var masks: [Int32: [Bool]] = [:]
    private static let maxMasks = 32

    public init(_ grammar: Grammar) {
        self.grammar = grammar
    }

    /// The state the grammar starts in.
    public var start: Int32 { state(GrammarMatcher(grammar).stacks) }

    /// The state where `matcher` stands.
    public func state(of matcher: GrammarMatcher) -> Int32 { state(matcher.stacks) }

    public func isComplete(_ state: Int32) -> Bool { stacks[Int(state)].contains { $0.isEmpty } }

    public func canContinue(_ state: Int32) -> Bool { stacks[Int(state)].contains { !$0.isEmpty } }

    /// The state after `state` reads `byte`, or `dead`.
    public func next(_ state: Int32, _ byte: UInt8) -> Int32 {
        let slot = Int(state) * 256 + Int(byte)
        let known = transitions[slot]
        if known != Self.unknown { return known }
        let after = grammar.advance(stacks[Int(state)], by: byte)
        if after == nil { tooAmbiguous = true }
        let next = after.map { $0.isEmpty ? Self.dead : self.state($0) } ?? Self.dead
        transitions[slot] = next
        return next
    }

    /// The state after `state` reads all of `bytes`, or `dead`.
    public func next(_ state: Int32, _ bytes: some Sequence<UInt8>) -> Int32 {
        var state = state
        for byte in bytes {
            state = next(state, byte)
            if state == Self.dead { return state }
        }
        return state
    }

    /// The mask of tokens allowed in `state`, from the cache or made by `make`.
    func mask(_ state: Int32, make: () -> [Bool]) -> [Bool] {
        if let mask = masks[state] { return mask }
        let mask = make()
        if masks.count >= Self.maxMasks { masks.removeAll() }
        masks[state] = mask
        return mask
    }

    private func state(_ unsorted: [[Int32]]) -> Int32 {
        let key = unsorted.sorted { $0.lexicographicallyPrecedes($1) }
        if let id = ids[key] { return id }
        let id = Int32(stacks.count)
        stacks.append(key)
        ids[key] = id
        transitions += [Int32](repeating: Self.unknown, count: 256)
        return id
    }
}
