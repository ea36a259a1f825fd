/// A vocabulary's token texts as a trie, so that the tokens a grammar allows are found by
/// reading each shared prefix once and skipping every subtree the grammar rejects, rather
/// than matching 262k tokens one by one.
public final class TokenTrie {
    /// Nodes in depth-first order, the root (the empty text) first; a node's first child is
    /// the next node, and each child's subtree ends where the next sibling starts.
    /// The byte leading into each node: [nodes].
    private let nodeBytes: [UInt8]
    /// Where each node's subtree ends: [nodes].
    private let subtreeEnds: [Int32]
    /// Tokens whose text ends at node n: `tokens[tokenStarts[n]..<tokenStarts[n + 1]]`: [nodes + 1].
    private let tokenStarts: [Int32]
    private let tokens: [Int32]
    /// Tokens that end a generation: allowed when the grammar is complete.
    private let endOfGeneration: [Int32]
    public let vocabularySize: Int

    public init(tokenizer: Tokenizer) {
        let vocabulary = tokenizer.vocabulary
        vocabularySize = vocabulary.count
        endOfGeneration = vocabulary.endOfGeneration
        // Control tokens have no text, so no grammar reaches them; end-of-generation tokens
        // fit only where the grammar is complete, whatever their text.
        var entries: [(text: [UInt8], token: Int32)] = []
        for token in 0..<Int32(vocabulary.count) where !vocabulary.isEndOfGeneration(token) {
            let text = tokenizer.piece(token)
            if !text.isEmpty { entries.append((text, token)) }
        }
        entries.sort { $0.text.lexicographicallyPrecedes($1.text) || ($0.text == $1.text && $0.token < $1.token) }

        var nodeBytes: [UInt8] = [0]
        var subtreeEnds: [Int32] = [0]
        var tokenCounts: [Int32] = [0]
        var tokens: [Int32] = []
        // The nodes from the root to the last text's end.
        var path: [Int32] = [0]
        var previous: [UInt8] = []
        for (text, token) in entries {
            var shared = 0
            while shared < min(previous.count, text.count) && previous[shared] == text[shared] { shared += 1 }
            // Leaving a subtree closes it.
            while path.count > shared + 1 { subtreeEnds[Int(path.removeLast())] = Int32(nodeBytes.count) }
            for byte in text[shared...] {
                path.append(Int32(nodeBytes.count))
                nodeBytes.append(byte)
                subtreeEnds.append(0)
                tokenCounts.append(0)
            }
            tokens.append(token)
            tokenCounts[Int(path.last!)] += 1
            previous = text
        }
        while let node = path.popLast() { subtreeEnds[Int(node)] = Int32(nodeBytes.count) }
        var tokenStarts: [Int32] = [0]
        for count in tokenCounts { tokenStarts.append(tokenStarts.last! + count) }
        self.nodeBytes = nodeBytes
        self.subtreeEnds = subtreeEnds
        self.tokenStarts = tokenStarts
        self.tokens = tokens
    }

    /// Which tokens may come next in `state` of `automaton`: [vocabulary size].
    public func allowedTokens(_ automaton: GrammarAutomaton, _ state: Int32) -> [Bool] {
        automaton.mask(state) {
            var allowed = [Bool](repeating: false, count: vocabularySize)
            if automaton.isComplete(state) { for token in endOfGeneration { allowed[Int(token)] = true } }
            visitChildren(of: 0, automaton, state, &allowed)
            return allowed
        }
    }

    private func visitChildren(of node: Int, _ automaton: GrammarAutomaton, _ state: Int32, _ allowed: inout [Bool]) {
        var child = node + 1
        let end = Int(subtreeEnds[node])
        while child < end {
            let next = automaton.next(state, nodeBytes[child])
            if next != GrammarAutomaton.dead {
                for index in Int(tokenStarts[child])..<Int(tokenStarts[child + 1]) { allowed[Int(tokens[index])] = true }
                visitChildren(of: child, automaton, next, &allowed)
            }
            child = Int(subtreeEnds[child])
        }
    }
}
