/// SentencePiece-style merging (`tokenizer.ggml.model == "llama"`: Gemma, Llama 2): start
/// from single characters and repeatedly merge the adjacent pair whose merged text is the
/// highest-scoring token; characters left without a token become byte tokens (<0xNN>).
struct SentencePieceEncoder {
    private struct Symbol {
        var start: Int
        var length: Int
        var previous: Int
        var next: Int
    }

    private struct Bigram {
        let left: Int
        let right: Int
        let score: Float
        let length: Int
    }

    let vocabulary: Vocabulary
    /// The token of each byte value (<0xNN>), for characters without a token of their own.
    let byteTokens: [Int32?]

    init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        byteTokens = (0..<256).map { byte -> Int32? in
            vocabulary.token(forText: [0x3c, 0x30, 0x78, hex[byte >> 4], hex[byte & 15], 0x3e])  // <0xNN>
                ?? vocabulary.token(forText: [UInt8(byte)])
                ?? vocabulary.unknown
        }
    }

    /// Appends the tokens of `text` (spaces already escaped as ▁) to `output`.
    func encode(_ text: UnsafeRawBufferPointer, into output: inout [Int32]) {
        var symbols: [Symbol] = []
        var offset = 0
        while offset < text.count {
            let length = min(UTF8Scanner.sequenceLength(lead: text[offset]), text.count - offset)
            symbols.append(Symbol(start: offset, length: length, previous: symbols.count - 1, next: -1))
            offset += length
            if offset < text.count { symbols[symbols.count - 1].next = symbols.count }
        }

        // Highest score first; on ties the leftmost pair, as llama.cpp's queue orders them.
        var queue = Heap<Bigram> { a, b in a.score > b.score || (a.score == b.score && a.left < b.left) }
        func tryAddBigram(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0 else { return }
            let range = symbols[left].start..<(symbols[left].start + symbols[left].length + symbols[right].length)
            guard let token = vocabulary.token(forText: UnsafeRawBufferPointer(rebasing: text[range])) else { return }
            queue.push(Bigram(left: left, right: right, score: vocabulary.score(of: token), length: range.count))
        }
        for i in symbols.indices.dropFirst() { tryAddBigram(i - 1, i) }

        while let bigram = queue.pop() {
            let (left, right) = (symbols[bigram.left], symbols[bigram.right])
            // Skip pairs that an earlier merge already consumed or changed.
            guard left.length > 0, right.length > 0, left.length + right.length == bigram.length else { continue }
            symbols[bigram.left].length += right.length
            symbols[bigram.right].length = 0
            symbols[bigram.left].next = right.next
            if right.next >= 0 { symbols[right.next].previous = bigram.left }
            tryAddBigram(symbols[bigram.left].previous, bigram.left)
            tryAddBigram(bigram.left, symbols[bigram.left].next)
        }

        var i = symbols.isEmpty ? -1 : 0
        while i >= 0 {
            let symbol = symbols[i]
            let piece = UnsafeRawBufferPointer(rebasing: text[symbol.start..<(symbol.start + symbol.length)])
            if let token = vocabulary.token(forText: piece) {
                output.append(token)
            } else {
                for byte in piece { if let token = byteTokens[Int(byte)] { output.append(token) } }
            }
            i = symbol.next
        }
    }
}

extension Vocabulary {
    func token(forText text: UnsafeRawBufferPointer) -> Int32? { table.lookup(text) }
}
