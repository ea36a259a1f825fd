/// Where a text stands in a grammar, a byte at a time: a pushdown automaton run on every
/// parse at once. Each stack holds positions in the grammar's symbols, the innermost last
/// (what is read next) and below it where each enclosing rule resumes; stacks are expanded
/// until their top reads a byte, and an empty stack is a parse that has finished.
public struct GrammarMatcher: Sendable {
    public let grammar: Grammar
    /// The live parses; none means the text left the grammar.
    private(set) var stacks: [[Int32]]

    public init(_ grammar: Grammar) {
        self.grammar = grammar
        var stacks: [[Int32]] = []
        for start in grammar.alternatives[Int(grammar.root)] { grammar.expand([start], into: &stacks) }
        self.stacks = stacks
    }

    /// The text read so far is a whole sentence of the grammar.
    public var isComplete: Bool { stacks.contains { $0.isEmpty } }

    /// Some byte can still follow.
    public var canContinue: Bool { stacks.contains { !$0.isEmpty } }

    /// Reads `bytes` if the grammar lets them follow; otherwise returns false and stays put.
    /// So does a text with more than `Grammar.maxParses` parses at once.
    @discardableResult
    public mutating func advance(_ bytes: some Collection<UInt8>) -> Bool {
        var next = stacks
        for byte in bytes {
            guard let after = grammar.advance(next, by: byte), !after.isEmpty else { return false }
            next = after
        }
        stacks = next
        return true
    }

    /// Whether `bytes` could follow, without reading them.
    public func accepts(_ bytes: some Collection<UInt8>) -> Bool {
        var copy = self
        return copy.advance(bytes)
    }
}

extension Grammar {
    /// Parses followed at once beyond which a grammar is refused as too ambiguous: runs of
    /// optional elements (`(a?b?){1000}`) would otherwise cost seconds a byte.
    public static let maxParses = 512

    /// The stacks that read `byte` from `stacks`, moved on and expanded; nil past `maxParses`.
    func advance(_ stacks: [[Int32]], by byte: UInt8) -> [[Int32]]? {
        var result: [[Int32]] = []
        for stack in stacks {
            guard let top = stack.last, case let .bytes(set) = symbols[Int(top)], byteSets[Int(set)].contains(byte) else {
                continue
            }
            var moved = stack
            moved[moved.count - 1] = top + 1
            expand(moved, into: &result)
            if result.count > Self.maxParses { return nil }
        }
        return result
    }

    /// Adds to `result` every stack that `stack` becomes once its top reads a byte (or it
    /// is empty): finished rules return to where their caller resumes, rule references
    /// open one stack per alternative. Left recursion is refused when the grammar is read,
    /// so this ends.
    func expand(_ stack: [Int32], into result: inout [[Int32]]) {
        var stack = stack
        while let top = stack.last, result.count <= Self.maxParses {
            switch symbols[Int(top)] {
            case .bytes:
                if !result.contains(stack) { result.append(stack) }
                return
            case .end:
                stack.removeLast()
            case let .rule(id):
                // Resume after the reference; a reference that ends its alternative resumes
                // where the caller does (no frame), so deep right recursion stays shallow.
                if symbols[Int(top) + 1] == .end {
                    stack.removeLast()
                } else {
                    stack[stack.count - 1] = top + 1
                }
                for start in alternatives[Int(id)] { expand(stack + [start], into: &result) }
                return
            }
        }
        if !result.contains(stack) { result.append(stack) }
    }
}
