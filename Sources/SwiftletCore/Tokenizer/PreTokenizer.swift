/// Splits text into the words byte-level BPE merges within, per `tokenizer.ggml.pre`.
/// Each pattern is a hand-written scanner over code points (no regex engine, so the core
/// runs in WebAssembly) that reproduces llama.cpp's splits; the regex it stands for is
/// quoted above it.
enum PreTokenizer: Equatable {
    /// SentencePiece vocabularies split nothing before merging.
    case none
    case gpt2
    case llama3
    case qwen2
    /// Every number code point alone, then GPT-2 (SmolLM, StarCoder).
    case smollm
    /// llama.cpp's fallback for BPE vocabularies without a known pre-tokenizer.
    case `default`

    static let supportedNames = "gpt2 (gpt-2), llama3 (llama-bpe, llama-v3), qwen2, smollm (starcoder, refact), default"

    init?(name: String) {
        switch name {
        case "gpt2", "gpt-2", "phi-2": self = .gpt2
        case "llama3", "llama-bpe", "llama-v3", "falcon3", "pixtral": self = .llama3
        case "qwen2", "deepseek-r1-qwen": self = .qwen2
        case "smollm", "starcoder", "refact", "codeshell": self = .smollm
        case "default": self = .default
        default: return nil
        }
    }

    /// The words of `text`, as code-point index ranges.
    func split(_ points: [CodePoint]) -> [Range<Int>] {
        let classes = points.map { CharacterClass($0.scalar) }
        let whole = [0..<points.count]
        switch self {
        case .none: return whole
        case .gpt2: return Self.gpt2(points, classes, fragments: whole, lastResortWhitespace: true)
        case .llama3: return Self.llama3(points, classes, fragments: whole, maxDigits: 3)
        case .qwen2: return Self.llama3(points, classes, fragments: whole, maxDigits: 1)
        case .smollm:
            let numbers = Self.matches(classes, fragments: whole) { classes, i, _ in classes[i].contains(.number) ? 1 : 0 }
            return Self.gpt2(points, classes, fragments: numbers, lastResortWhitespace: true)
        case .default:
            // [\p{P}\$\+<=>\^~\|]+
            var words = Self.matches(classes, fragments: whole) { classes, i, end in
                var j = i
                while j < end && (classes[j].contains(.punctuation) || Self.isDefaultPunctuationSymbol(points[j].scalar)) { j += 1 }
                return j - i
            }
            words = Self.gpt2(points, classes, fragments: words, lastResortWhitespace: false)
            // \p{N}+
            words = Self.matches(classes, fragments: words) { classes, i, end in
                var j = i
                while j < end && classes[j].contains(.number) { j += 1 }
                return j - i
            }
            // [0-9][0-9][0-9]
            return Self.matches(classes, fragments: words) { _, i, end in
                i + 3 <= end && (i..<(i + 3)).allSatisfy { (0x30...0x39).contains(points[$0].scalar) } ? 3 : 0
            }
        }
    }

    private static func isDefaultPunctuationSymbol(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x24, 0x2b, 0x3c, 0x3d, 0x3e, 0x5e, 0x7e, 0x7c: true  // $ + < = > ^ ~ |
        default: false
        }
    }

    /// Splits each fragment into the leftmost matches of `match` (its match length at a
    /// position, 0 for none) and the gaps between them, as llama.cpp's regex split does.
    private static func matches(
        _ classes: [CharacterClass], fragments: [Range<Int>],
        _ match: ([CharacterClass], _ at: Int, _ end: Int) -> Int
    ) -> [Range<Int>] {
        var words: [Range<Int>] = []
        for fragment in fragments {
            var gapStart = fragment.lowerBound
            var i = fragment.lowerBound
            while i < fragment.upperBound {
                let length = match(classes, i, fragment.upperBound)
                if length > 0 {
                    if gapStart < i { words.append(gapStart..<i) }
                    words.append(i..<(i + length))
                    i += length
                    gapStart = i
                } else {
                    i += 1
                }
            }
            if gapStart < fragment.upperBound { words.append(gapStart..<fragment.upperBound) }
        }
        return words
    }

    /// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    /// (the last alternative only when `lastResortWhitespace`; without it such whitespace
    /// stays a gap, which is its own word all the same).
    private static func gpt2(
        _ points: [CodePoint], _ classes: [CharacterClass], fragments: [Range<Int>], lastResortWhitespace: Bool
    ) -> [Range<Int>] {
        var words: [Range<Int>] = []
        for fragment in fragments {
            let end = fragment.upperBound
            func cls(_ i: Int) -> CharacterClass { i < end ? classes[i] : [] }
            func scalar(_ i: Int) -> UInt32 { i < end ? points[i].scalar : 0xffff_ffff }
            // Code points no alternative matches (only without `lastResortWhitespace`)
            // collect into a gap, which becomes a word of its own.
            var start = fragment.lowerBound
            var i = start
            func emit(_ to: Int) {
                if i > start { words.append(start..<i) }
                if to > i { words.append(i..<to) }
                start = to
                i = to
            }
            while i < end {
                let c = scalar(i)
                if c == 0x27 {  // '
                    let next = scalar(i + 1)
                    if next == 0x73 || next == 0x74 || next == 0x6d || next == 0x64 { emit(i + 2); continue }  // s t m d
                    let pair = (next, scalar(i + 2))
                    if pair == (0x72, 0x65) || pair == (0x76, 0x65) || pair == (0x6c, 0x6c) { emit(i + 3); continue }  // re ve ll
                }
                let head = c == 0x20 ? cls(i + 1) : cls(i)
                let skip = c == 0x20 ? 1 : 0
                if head.contains(.letter) {
                    var j = i + skip
                    while cls(j).contains(.letter) { j += 1 }
                    emit(j); continue
                }
                if head.contains(.number) {
                    var j = i + skip
                    while cls(j).contains(.number) { j += 1 }
                    emit(j); continue
                }
                if !head.isEmpty && head.isDisjoint(with: [.whitespace, .letter, .number]) {
                    var j = i + skip
                    while !cls(j).isEmpty && cls(j).isDisjoint(with: [.whitespace, .letter, .number]) { j += 1 }
                    emit(j); continue
                }
                var spaces = 0
                while cls(i + spaces).contains(.whitespace) { spaces += 1 }
                if spaces > 1 && i + spaces < end { emit(i + spaces - 1); continue }  // \s+(?!\S)
                if spaces > 0 && (lastResortWhitespace || i + spaces == end) { emit(i + spaces); continue }
                if lastResortWhitespace { emit(i + 1) } else { i += 1 }  // nothing matched here
            }
            if start < end { words.append(start..<end) }
        }
        return words
    }

    /// (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|
    /// \p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    private static func llama3(
        _ points: [CodePoint], _ classes: [CharacterClass], fragments: [Range<Int>], maxDigits: Int
    ) -> [Range<Int>] {
        var words: [Range<Int>] = []
        for fragment in fragments {
            let end = fragment.upperBound
            func cls(_ i: Int) -> CharacterClass { i < end ? classes[i] : [] }
            func scalar(_ i: Int) -> UInt32 { i < end ? points[i].scalar : 0xffff_ffff }
            func lower(_ c: UInt32) -> UInt32 { (0x41...0x5a).contains(c) ? c + 0x20 : c }
            func isNewline(_ c: UInt32) -> Bool { c == 0x0d || c == 0x0a }
            var start = fragment.lowerBound
            var i = start
            func emit(_ to: Int) {
                if to > start { words.append(start..<to) }
                start = to
                i = to
            }
            while i < end {
                let c = scalar(i)
                let here = cls(i)
                if c == 0x27 && i + 1 < end {
                    let next = lower(scalar(i + 1))
                    if next == 0x73 || next == 0x74 || next == 0x6d || next == 0x64 { emit(i + 2); continue }
                    let pair = (next, lower(scalar(i + 2)))
                    if pair == (0x72, 0x65) || pair == (0x76, 0x65) || pair == (0x6c, 0x6c) { emit(i + 3); continue }
                }
                if !isNewline(c) && !here.contains(.number) && (here.contains(.letter) || cls(i + 1).contains(.letter)) {
                    var j = i + 1
                    while cls(j).contains(.letter) { j += 1 }
                    emit(j); continue
                }
                if here.contains(.number) {
                    var j = i
                    while cls(j).contains(.number) {
                        j += 1
                        if j - start >= maxDigits { emit(j) }
                    }
                    emit(j); continue
                }
                let head = c == 0x20 ? cls(i + 1) : here
                if !here.isEmpty && !head.isEmpty && head.isDisjoint(with: [.whitespace, .letter, .number]) {
                    var j = i + (c == 0x20 ? 1 : 0)
                    while !cls(j).isEmpty && cls(j).isDisjoint(with: [.whitespace, .letter, .number]) { j += 1 }
                    while isNewline(scalar(j)) { j += 1 }
                    emit(j); continue
                }
                var spaces = 0
                var lastNewlineEnd = 0
                while cls(i + spaces).contains(.whitespace) {
                    if isNewline(scalar(i + spaces)) { lastNewlineEnd = i + spaces + 1 }
                    spaces += 1
                }
                if lastNewlineEnd > 0 { emit(lastNewlineEnd); continue }  // \s*[\r\n]+
                if spaces > 1 && i + spaces < end { emit(i + spaces - 1); continue }  // \s+(?!\S)
                if spaces > 0 { emit(i + spaces); continue }  // \s+
                emit(i + 1)
            }
            if start < end { words.append(start..<end) }
        }
        return words
    }
}
