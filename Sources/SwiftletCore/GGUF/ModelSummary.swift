/// What a person asks of a model file before running it: what it is, how many parameters
/// it has and how its bytes split across tensor types. Pure facts from the GGUF; the shells
/// format them.
public struct ModelSummary {
    public struct TypeUsage {
        public let type: TensorType
        public var tensors: Int
        public var parameters: Int
        public var bytes: Int
    }

    public let architecture: String?
    public let name: String?
    public let contextLength: Int?
    public let parameterCount: Int
    public let tensorBytes: Int
    /// One entry per tensor type present, most bytes first.
    public let types: [TypeUsage]
    /// `tokenizer.ggml.model`: "llama" (SentencePiece-style) or "gpt2" (byte-level BPE).
    public let tokenizerModel: String?
    public let tokenizerPre: String?
    public let vocabularySize: Int?
    public let hasChatTemplate: Bool
    /// How the weights are quantized, as llama.cpp names its file types ("Q4_K_M"), or the
    /// tensor type holding the most bytes when the file does not say.
    public let quantization: String

    public init(_ file: GGUFFile) {
        let metadata = file.metadata
        func string(_ key: String) -> String? {
            if case let .string(s)? = metadata[key] { s.string } else { nil }
        }
        architecture = string("general.architecture")
        name = string("general.name")
        contextLength = architecture.flatMap { metadata["\($0).context_length"]?.integer }.flatMap { Int(exactly: $0) }
        tokenizerModel = string("tokenizer.ggml.model")
        tokenizerPre = string("tokenizer.ggml.pre")
        if case let .array(tokens)? = metadata["tokenizer.ggml.tokens"] {
            vocabularySize = tokens.count
        } else {
            vocabularySize = nil
        }
        hasChatTemplate = metadata.contains("tokenizer.chat_template")

        var usage: [TypeUsage] = []
        for tensor in file.tensors {
            if let i = usage.firstIndex(where: { $0.type == tensor.type }) {
                usage[i].tensors += 1
                usage[i].parameters += tensor.elementCount
                usage[i].bytes += tensor.byteCount
            } else {
                usage.append(TypeUsage(type: tensor.type, tensors: 1, parameters: tensor.elementCount, bytes: tensor.byteCount))
            }
        }
        usage.sort { $0.bytes > $1.bytes }
        types = usage
        parameterCount = usage.reduce(0) { $0 + $1.parameters }
        tensorBytes = usage.reduce(0) { $0 + $1.bytes }
        let fileType = metadata["general.file_type"]?.integer.flatMap { Self.fileTypeNames[$0] }
        quantization = fileType ?? usage.first?.type.name.uppercased() ?? "none"
    }

    /// llama.cpp's `llama_ftype` values (`general.file_type`).
    static let fileTypeNames: [Int64: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
        11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
        17: "Q5_K_M", 18: "Q6_K", 32: "BF16",
    ]
}
