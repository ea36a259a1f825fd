/// Why a model's tokenizer could not be built from its metadata.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case metadata(GGUFError)
    case unsupportedModel(String)
    case unsupportedPreTokenizer(String)
    case inconsistent(String)

    public var description: String {
        switch self {
        case let .metadata(error): "tokenizer: \(error)"
        case let .unsupportedModel(name):
            "unsupported tokenizer '\(name)': Swiftlet supports 'llama' (SentencePiece) and 'gpt2' (byte-level BPE)"
        case let .unsupportedPreTokenizer(name):
            "unsupported pre-tokenizer '\(name)': supported are \(PreTokenizer.supportedNames)"
        case let .inconsistent(what): "inconsistent tokenizer metadata: \(what)"
        }
    }
}

/// How llama.cpp treats a token (from `tokenizer.ggml.token_type`, adjusted by name for
/// end-of-generation tokens as llama.cpp does).
public struct TokenAttributes: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let normal = TokenAttributes(rawValue: 1 << 0)
    public static let unknown = TokenAttributes(rawValue: 1 << 1)
    public static let control = TokenAttributes(rawValue: 1 << 2)
    public static let userDefined = TokenAttributes(rawValue: 1 << 3)
    public static let unused = TokenAttributes(rawValue: 1 << 4)
    public static let byte = TokenAttributes(rawValue: 1 << 5)

    /// Token types as GGUF stores them: 1 normal, 2 unknown, 3 control, 4 user-defined,
    /// 5 unused, 6 byte.
    init(gguf type: Int32) {
        switch type {
        case 1: self = .normal
        case 2: self = .unknown
        case 3: self = .control
        case 4: self = .userDefined
        case 5: self = .unused
        case 6: self = .byte
        default: self = []
        }
    }
}

/// A model's vocabulary, read from `tokenizer.ggml.*` metadata without copying the token
/// texts out of the file.
public struct Vocabulary {
    public enum Kind: Sendable { case sentencePiece, bytePairEncoding }

    public let kind: Kind
    public let count: Int
    let table: TokenTable
    let scores: [Float]
    public let attributes: [TokenAttributes]
    public let bos: Int32?
    public let eos: Int32?
    public let unknown: Int32?
    /// Tokens that end a generation (EOS, end-of-turn and the like).
    public let endOfGeneration: [Int32]
    public let addBOS: Bool
    public let addEOS: Bool
    public let addSpacePrefix: Bool
    let preTokenizer: PreTokenizer
    /// Whether a word that is itself a token skips merging (llama 3's tokenizer).
    let ignoreMerges: Bool
    /// BPE merge rank by (left id, right id) packed into 64 bits.
    let mergeRanks: [UInt64: Int32]
    /// Control, user-defined and unknown tokens, longest text first: what is split out of
    /// raw text before tokenizing (user-defined always; the others when parsing specials).
    let specialTokens: [Int32]

    public init(_ file: GGUFFile) throws(TokenizerError) {
        let metadata = file.metadata
        func optionalID(_ key: String, default value: Int32?) throws(TokenizerError) -> Int32? {
            guard metadata.contains(key) else { return value }
            do { return try metadata.integer(key, as: Int32.self) } catch { throw .metadata(error) }
        }
        func optionalBool(_ key: String, default value: Bool) throws(TokenizerError) -> Bool {
            guard metadata.contains(key) else { return value }
            do { return try metadata.bool(key) } catch { throw .metadata(error) }
        }

        let model: String
        let tokens: GGUFArray
        do {
            model = try metadata.string("tokenizer.ggml.model")
            tokens = try metadata.array("tokenizer.ggml.tokens")
        } catch {
            throw .metadata(error)
        }
        guard tokens.elementType == .string else {
            throw .metadata(.typeMismatch(key: "tokenizer.ggml.tokens", expected: "array of string", found: tokens.elementType))
        }
        count = tokens.count
        let base = file.bytes.baseAddress!
        var texts: [Range<Int>] = []
        texts.reserveCapacity(count)
        for text in tokens.strings {
            let start = text.utf8.baseAddress.map { $0 - base } ?? 0
            texts.append(start..<(start + text.utf8.count))
        }
        table = TokenTable(texts: texts, in: file)

        scores = try Self.floats(metadata["tokenizer.ggml.scores"], count: count, key: "tokenizer.ggml.scores")
        var attributes = try Self.tokenTypes(metadata["tokenizer.ggml.token_type"], count: count)

        let pre = metadata["tokenizer.ggml.pre"].flatMap { value -> String? in
            if case let .string(s) = value { s.string } else { nil }
        }
        switch model {
        case "llama":
            kind = .sentencePiece
            preTokenizer = .none
            ignoreMerges = false
            bos = try optionalID("tokenizer.ggml.bos_token_id", default: 1)
            eos = try optionalID("tokenizer.ggml.eos_token_id", default: 2)
            unknown = try optionalID("tokenizer.ggml.unknown_token_id", default: 0)
            addBOS = try optionalBool("tokenizer.ggml.add_bos_token", default: true)
            addSpacePrefix = try optionalBool("tokenizer.ggml.add_space_prefix", default: true)
        case "gpt2":
            kind = .bytePairEncoding
            guard let preTokenizer = PreTokenizer(name: pre ?? "default") else {
                throw .unsupportedPreTokenizer(pre ?? "")
            }
            self.preTokenizer = preTokenizer
            ignoreMerges = preTokenizer == .llama3
            bos = try optionalID("tokenizer.ggml.bos_token_id", default: 11)
            eos = try optionalID("tokenizer.ggml.eos_token_id", default: 11)
            unknown = try optionalID("tokenizer.ggml.unknown_token_id", default: nil)
            addBOS = try optionalBool("tokenizer.ggml.add_bos_token", default: preTokenizer == .llama3)
            addSpacePrefix = false
        default:
            throw .unsupportedModel(model)
        }
        addEOS = try optionalBool("tokenizer.ggml.add_eos_token", default: false)
        for (name, id) in [("BOS", bos), ("EOS", eos), ("unknown", unknown)] {
            if let id, id < 0 || Int(id) >= count {
                throw .inconsistent("\(name) token id \(id) is outside the vocabulary of \(count)")
            }
        }

        // End of generation: EOS, the explicit EOT/EOM ids, and tokens llama.cpp recognises
        // by name; those become control tokens if the file did not mark them so.
        var endOfGeneration: [Int32] = []
        for id in [eos, try optionalID("tokenizer.ggml.eot_token_id", default: nil),
                   try optionalID("tokenizer.ggml.eom_token_id", default: nil)] {
            if let id, id >= 0, Int(id) < count, !endOfGeneration.contains(id) { endOfGeneration.append(id) }
        }
        for name in Self.endOfGenerationNames {
            guard let id = table.lookup(Array(name.utf8)) else { continue }
            attributes[Int(id)].insert(.control)
            if !endOfGeneration.contains(id) { endOfGeneration.append(id) }
        }
        self.endOfGeneration = endOfGeneration
        self.attributes = attributes

        var special: [Int32] = []
        for id in 0..<count where !attributes[id].isDisjoint(with: [.control, .userDefined, .unknown]) {
            special.append(Int32(id))
        }
        special.sort { a, b in
            let (la, lb) = (texts[Int(a)].count, texts[Int(b)].count)
            return la != lb ? la > lb : a < b
        }
        specialTokens = special

        mergeRanks = kind == .bytePairEncoding ? try Self.mergeRanks(metadata, table: table) : [:]
    }

    /// Token names llama.cpp treats as ending a generation (end of turn, end of text, and
    /// the fill-in-the-middle padding/repository/file separators), whatever the file says.
    static let endOfGenerationNames = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>",
        "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>",
        "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
        "<REPO>", "<reponame>", "<|file_sep|>",
    ]

    public func text(of token: Int32) -> UnsafeRawBufferPointer { table.text(token) }

    public func score(of token: Int32) -> Float { scores.isEmpty ? 0 : scores[Int(token)] }

    public func token(forText text: [UInt8]) -> Int32? { table.lookup(text) }

    public func isEndOfGeneration(_ token: Int32) -> Bool { endOfGeneration.contains(token) }

    // MARK: Reading metadata arrays

    private static func floats(_ value: GGUFValue?, count: Int, key: String) throws(TokenizerError) -> [Float] {
        guard let value else { return [] }
        guard case let .array(array) = value, array.elementType == .float32, array.count == count else {
            throw .inconsistent("\(key) must be \(count) float32 values")
        }
        return (0..<count).map { array.float32($0) }
    }

    private static func tokenTypes(_ value: GGUFValue?, count: Int) throws(TokenizerError) -> [TokenAttributes] {
        guard let value else { return [TokenAttributes](repeating: .normal, count: count) }
        guard case let .array(array) = value, array.elementType == .int32 || array.elementType == .uint32,
              array.count == count else {
            throw .inconsistent("tokenizer.ggml.token_type must be \(count) int32 values")
        }
        return (0..<count).map { TokenAttributes(gguf: array.load($0, as: Int32.self)) }
    }

    /// Merges are "left right" strings, ranked by position. A merge whose halves are not
    /// both tokens can never apply (symbols are always tokens), so it is skipped.
    private static func mergeRanks(_ metadata: GGUFMetadata, table: TokenTable) throws(TokenizerError) -> [UInt64: Int32] {
        guard case let .array(merges)? = metadata["tokenizer.ggml.merges"], merges.elementType == .string else {
            throw .inconsistent("a gpt2 tokenizer needs tokenizer.ggml.merges (array of string)")
        }
        var ranks: [UInt64: Int32] = [:]
        ranks.reserveCapacity(merges.count)
        var rank: Int32 = 0
        for merge in merges.strings {
            defer { rank += 1 }
            let bytes = merge.utf8
            // Split at the first space after the first byte, as llama.cpp does.
            guard bytes.count > 2, let space = bytes.dropFirst().firstIndex(of: 0x20),
                  let left = table.lookup(UnsafeRawBufferPointer(rebasing: bytes[..<space])),
                  let right = table.lookup(UnsafeRawBufferPointer(rebasing: bytes[(space + 1)...]))
            else { continue }
            let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
            if ranks[key] == nil { ranks[key] = rank }
        }
        return ranks
    }
}
