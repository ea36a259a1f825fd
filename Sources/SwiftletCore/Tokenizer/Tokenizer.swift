/// Text ↔ token ids for a model, token-exact with llama.cpp on the same GGUF. Text is UTF-8
/// bytes throughout; `String` conveniences convert at the edge.
public struct Tokenizer {
    public let vocabulary: Vocabulary
    private let sentencePiece: SentencePieceEncoder?

    public init(_ file: GGUFFile) throws(TokenizerError) {
        try self.init(vocabulary: Vocabulary(file))
    }

    public init(vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        sentencePiece = vocabulary.kind == .sentencePiece ? SentencePieceEncoder(vocabulary: vocabulary) : nil
    }

    /// Token ids of `text`. `addSpecial` adds BOS/EOS where the model asks for them;
    /// `parseSpecial` turns control-token text such as "<|im_start|>" into those tokens
    /// (for rendered chat prompts); otherwise it is tokenized as plain text.
    public func encode(_ text: UnsafeRawBufferPointer, addSpecial: Bool = true, parseSpecial: Bool = false) -> [Int32] {
        var output: [Int32] = []
        output.reserveCapacity(text.count / 3 + 2)
        if addSpecial && vocabulary.addBOS, let bos = vocabulary.bos { output.append(bos) }
        // SentencePiece prefixes a space to text that starts the input or follows a special
        // token, when the model asks for it (Gemma does not; Llama 2 does).
        var afterSpecial = true
        var escaped: [UInt8] = []
        for fragment in vocabulary.fragments(of: text, parseSpecial: parseSpecial) {
            switch fragment {
            case let .token(token):
                output.append(token)
                afterSpecial = true
            case let .text(range):
                let raw = UnsafeRawBufferPointer(rebasing: text[range])
                if let sentencePiece {
                    escaped.removeAll(keepingCapacity: true)
                    if vocabulary.addSpacePrefix && afterSpecial { escaped += Self.spaceMarker }
                    for byte in raw {
                        if byte == 0x20 { escaped += Self.spaceMarker } else { escaped.append(byte) }
                    }
                    escaped.withUnsafeBytes { sentencePiece.encode($0, into: &output) }
                } else {
                    BytePairEncoder(vocabulary: vocabulary).encode(raw, into: &output)
                }
                afterSpecial = false
            }
        }
        if addSpecial && vocabulary.addEOS, let eos = vocabulary.eos { output.append(eos) }
        return output
    }

    public func encode(_ text: String, addSpecial: Bool = true, parseSpecial: Bool = false) -> [Int32] {
        var text = text
        return text.withUTF8 { encode(UnsafeRawBufferPointer($0), addSpecial: addSpecial, parseSpecial: parseSpecial) }
    }

    /// The bytes a token stands for. Control and unknown tokens are empty unless `special`.
    public func piece(_ token: Int32, special: Bool = false) -> [UInt8] {
        guard token >= 0, Int(token) < vocabulary.count else { return [] }
        let attributes = vocabulary.attributes[Int(token)]
        let text = vocabulary.text(of: token)
        if !attributes.isDisjoint(with: [.control, .unknown]) { return special ? Array(text) : [] }
        if attributes.contains(.userDefined) { return Array(text) }
        if attributes.contains(.byte) { return Self.byteValue(text).map { [$0] } ?? [] }
        guard attributes.contains(.normal) else { return [] }
        return vocabulary.kind == .sentencePiece ? Self.unescapingSpaces(text) : Self.byteLevelDecoded(text)
    }

    /// The text of `tokens`: the concatenation of their pieces.
    public func decode(_ tokens: some Sequence<Int32>, special: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        for token in tokens { bytes += piece(token, special: special) }
        return bytes
    }

    // MARK: Pieces

    /// "▁" (U+2581), SentencePiece's stand-in for a space.
    static let spaceMarker: [UInt8] = [0xe2, 0x96, 0x81]

    private static func unescapingSpaces(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if i + 2 < text.count && text[i] == 0xe2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    private static func byteLevelDecoded(_ text: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            let (scalar, length) = UTF8Scanner.decode(text, at: i)
            if scalar < UInt32(ByteLevel.decoded.count), ByteLevel.decoded[Int(scalar)] >= 0 {
                out.append(UInt8(ByteLevel.decoded[Int(scalar)]))
            } else {
                out += text[i..<(i + length)]  // not a byte-level character: keep it as it is
            }
            i += length
        }
        return out
    }

    /// The value of a byte token's text "<0xNN>".
    private static func byteValue(_ text: UnsafeRawBufferPointer) -> UInt8? {
        guard text.count == 6, text[0] == 0x3c, text[1] == 0x30, text[2] == 0x78, text[5] == 0x3e else { return nil }
        func digit(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x41 + 10
            case 0x61...0x66: c - 0x61 + 10
            default: nil
            }
        }
        guard let high = digit(text[3]), let low = digit(text[4]) else { return nil }
        return high << 4 | low
    }
}

/// Turns tokens into text as they are generated without ever emitting half a UTF-8
/// sequence: bytes of an incomplete character at the end are held back until the tokens
/// that complete it arrive (byte-fallback and byte-level tokens split characters).
public struct StreamingDecoder {
    public let tokenizer: Tokenizer
    public let special: Bool
    private var pending: [UInt8] = []

    public init(tokenizer: Tokenizer, special: Bool = false) {
        self.tokenizer = tokenizer
        self.special = special
    }

    /// The bytes that are complete after `token`.
    public mutating func append(_ token: Int32) -> [UInt8] {
        pending += tokenizer.piece(token, special: special)
        let complete = Self.completePrefixLength(pending)
        let ready = Array(pending[..<complete])
        pending.removeFirst(complete)
        return ready
    }

    /// Whatever is held back, at the end of a generation (possibly an invalid sequence).
    public mutating func finish() -> [UInt8] {
        defer { pending.removeAll() }
        return pending
    }

    /// Length of `bytes` without a trailing sequence that could still become a valid
    /// character. Invalid bytes are passed on rather than held forever.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        // Look back at most 3 bytes for the lead byte of an unfinished sequence.
        var i = bytes.count - 1
        while i >= 0 && i >= bytes.count - 3 {
            let byte = bytes[i]
            if byte & 0xc0 != 0x80 {  // a lead or ASCII byte
                let needed = UTF8Scanner.sequenceLength(lead: byte)
                return byte >= 0xc0 && bytes.count - i < needed ? i : bytes.count
            }
            i -= 1
        }
        return bytes.count
    }
}
