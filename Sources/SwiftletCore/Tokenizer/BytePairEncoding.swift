/// Byte-level BPE (`tokenizer.ggml.model == "gpt2"`: SmolLM, Llama 3, Qwen): pre-tokenize
/// into words, map each byte to a printable character (GPT-2's byte-to-unicode table), then
/// apply merges in rank order within each word.
struct BytePairEncoder {
    private struct Symbol {
        var start: Int
        var length: Int
        var previous: Int
        var next: Int
        /// The token whose text this symbol is, if any.
        var token: Int32?
    }

    private struct Bigram {
        let left: Int
        let right: Int
        let rank: Int32
        let leftToken: Int32
        let rightToken: Int32
    }

    let vocabulary: Vocabulary

    /// Appends the tokens of `text` (raw UTF-8) to `output`.
    func encode(_ text: UnsafeRawBufferPointer, into output: inout [Int32]) {
        let points = UTF8Scanner.codePoints(text)
        var word: [UInt8] = []
        for range in vocabulary.preTokenizer.split(points) where !range.isEmpty {
            word.removeAll(keepingCapacity: true)
            for byte in text[points[range.lowerBound].start..<points[range.upperBound - 1].end] {
                word += ByteLevel.encoded[Int(byte)]
            }
            word.withUnsafeBytes { encodeWord($0, into: &output) }
        }
    }

    private func encodeWord(_ word: UnsafeRawBufferPointer, into output: inout [Int32]) {
        if vocabulary.ignoreMerges, let token = vocabulary.token(forText: word) {
            output.append(token)
            return
        }
        var symbols: [Symbol] = []
        var offset = 0
        while offset < word.count {
            let length = min(UTF8Scanner.sequenceLength(lead: word[offset]), word.count - offset)
            let token = vocabulary.token(forText: UnsafeRawBufferPointer(rebasing: word[offset..<(offset + length)]))
            symbols.append(Symbol(start: offset, length: length, previous: symbols.count - 1, next: -1, token: token))
            offset += length
            if offset < word.count { symbols[symbols.count - 1].next = symbols.count }
        }

        // Lowest rank first; on ties the leftmost pair.
        var queue = Heap<Bigram> { a, b in a.rank < b.rank || (a.rank == b.rank && a.left < b.left) }
        func tryAddBigram(_ left: Int, _ right: Int) {
            guard left >= 0, right >= 0, let l = symbols[left].token, let r = symbols[right].token,
                  let rank = vocabulary.mergeRanks[UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))]
            else { return }
            queue.push(Bigram(left: left, right: right, rank: rank, leftToken: l, rightToken: r))
        }
        for i in symbols.indices.dropFirst() { tryAddBigram(i - 1, i) }

        while let bigram = queue.pop() {
            let (left, right) = (symbols[bigram.left], symbols[bigram.right])
            // Skip pairs whose sides have changed since they were queued.
            guard left.length > 0, right.length > 0, left.token == bigram.leftToken, right.token == bigram.rightToken,
                  left.next == bigram.right
            else { continue }
            let merged = left.start..<(left.start + left.length + right.length)
            symbols[bigram.left].length = merged.count
            symbols[bigram.left].token = vocabulary.token(forText: UnsafeRawBufferPointer(rebasing: word[merged]))
            symbols[bigram.right].length = 0
            symbols[bigram.left].next = right.next
            if right.next >= 0 { symbols[right.next].previous = bigram.left }
            tryAddBigram(symbols[bigram.left].previous, bigram.left)
            tryAddBigram(bigram.left, symbols[bigram.left].next)
        }

        var i = symbols.isEmpty ? -1 : 0
        while i >= 0 {
            let symbol = symbols[i]
            if let token = symbol.token {
                output.append(token)
            } else {
                // No token for this text: llama.cpp tries each of its bytes as a token.
                for byte in word[symbol.start..<(symbol.start + symbol.length)] {
                    if let token = vocabulary.token(forText: [byte]) { output.append(token) }
                }
            }
            i = symbol.next
        }
    }
}

/// GPT-2's reversible byte ↔ character map: printable bytes stand for themselves, the other
/// 68 bytes map to U+0100 upward, so every byte sequence is a string without spaces or
/// control characters.
enum ByteLevel {
    /// UTF-8 of the character that stands for each byte.
    static let encoded: [[UInt8]] = {
        var next: UInt32 = 256
        return (0..<256).map { byte -> [UInt8] in
            let scalar: UInt32
            if (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte) {
                scalar = UInt32(byte)
            } else {
                scalar = next
                next += 1
            }
            // All scalars here are below U+0800: one or two UTF-8 bytes.
            return scalar < 0x80 ? [UInt8(scalar)] : [UInt8(0xc0 | scalar >> 6), UInt8(0x80 | scalar & 0x3f)]
        }
    }()

    /// The byte each character stands for, by scalar value (-1 where none).
    static let decoded: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for byte in 0..<256 {
            let bytes = encoded[byte]
            let scalar = bytes.count == 1 ? Int(bytes[0]) : (Int(bytes[0] & 0x1f) << 6) | Int(bytes[1] & 0x3f)
            table[scalar] = Int16(byte)
        }
        return table
    }()
}
