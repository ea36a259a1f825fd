/// A piece of input after special tokens are split out: raw text to tokenize, or a token.
enum Fragment {
    case text(Range<Int>)
    case token(Int32)
}

extension Vocabulary {
    /// Splits `text` on the special tokens written in it, as llama.cpp does: each special
    /// token in turn, longest first, is cut out of every text fragment that is left.
    /// User-defined tokens are always cut out; control and unknown tokens only when
    /// `parseSpecial` (chat prompts), so that user text like "<|im_end|>" stays text.
    func fragments(of text: UnsafeRawBufferPointer, parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = text.isEmpty ? [] : [.text(0..<text.count)]
        for token in specialTokensOccurring(in: text) {
            if !parseSpecial && !attributes[Int(token)].isDisjoint(with: [.control, .unknown]) { continue }
            let needle = self.text(of: token)
            guard !needle.isEmpty else { continue }
            var split: [Fragment] = []
            split.reserveCapacity(fragments.count)
            for fragment in fragments {
                guard case var .text(range) = fragment else {
                    split.append(fragment)
                    continue
                }
                while let match = Self.find(needle, in: text, range) {
                    if match.lowerBound > range.lowerBound { split.append(.text(range.lowerBound..<match.lowerBound)) }
                    split.append(.token(token))
                    range = match.upperBound..<range.upperBound
                }
                if !range.isEmpty { split.append(.text(range)) }
            }
            fragments = split
        }
        return fragments
    }

    /// The special tokens whose text occurs anywhere in `text`, in the order they are split
    /// out. Gemma has over 6,000 special tokens; testing each substring length present
    /// among them against the vocabulary is far cheaper than searching for each token.
    private func specialTokensOccurring(in text: UnsafeRawBufferPointer) -> [Int32] {
        var lengths: [Int] = []
        for token in specialTokens where !lengths.contains(self.text(of: token).count) {
            lengths.append(self.text(of: token).count)
        }
        var found: [Int32] = []
        for start in 0..<text.count {
            for length in lengths where length > 0 && start + length <= text.count {
                if let token = token(forText: UnsafeRawBufferPointer(rebasing: text[start..<(start + length)])),
                   !attributes[Int(token)].isDisjoint(with: [.control, .userDefined, .unknown]),
                   !found.contains(token) {
                    found.append(token)
                }
            }
        }
        // Keep the vocabulary's order: longest first, then by id.
        return specialTokens.filter { found.contains($0) }
    }

    private static func find(_ needle: UnsafeRawBufferPointer, in text: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int>? {
        guard needle.count <= range.count else { return nil }
        let first = needle[0]
        var i = range.lowerBound
        while i + needle.count <= range.upperBound {
            if text[i] == first && UnsafeRawBufferPointer(rebasing: text[i..<(i + needle.count)]).elementsEqual(needle) {
                return i..<(i + needle.count)
            }
            i += 1
        }
        return nil
    }
}
