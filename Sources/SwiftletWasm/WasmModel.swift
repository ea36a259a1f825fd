import SwiftletCore

/// A model parsed from GGUF bytes in module memory. It owns those bytes: they are freed
/// when the model and every generation using it are gone.
final class WasmModel {
    let file: GGUFFile
    let transformer: Transformer
    let tokenizer: Tokenizer
    /// Renders chat messages with the model's template; nil when it has none we can run.
    let formatter: ChatFormatter?
    let chatTemplateError: String?

    init(_ bytes: ModelBytes) throws(ModelError) {
        do { file = try GGUFFile(bytes) } catch { throw .metadata(error) }
        transformer = try Transformer(file)
        do { tokenizer = try Tokenizer(file) } catch { throw .tokenizer(error) }
        do {
            formatter = try ChatFormatter(file, tokenizer: tokenizer)
            chatTemplateError = nil
        } catch {
            formatter = nil
            chatTemplateError = error.description
        }
    }

    /// A small JSON object describing the model, for the JavaScript side.
    var infoJSON: String {
        let c = transformer.config
        var name = ""
        if case let .string(value)? = file.metadata["general.name"] { name = value.string }
        var architecture = ""
        if case let .string(value)? = file.metadata["general.architecture"] { architecture = value.string }
        return "{\"name\":\(jsonString(name)),\"architecture\":\(jsonString(architecture)),"
            + "\"vocabularySize\":\(c.vocabularySize),\"layers\":\(c.layerCount),"
            + "\"embeddingLength\":\(c.embeddingLength),\"trainedContextLength\":\(c.trainedContextLength),"
            + "\"fileBytes\":\(file.bytes.count),\"hasChatTemplate\":\(formatter != nil)}"
    }
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String {
    String(decoding: JSONText.quoted(Array(text.utf8)), as: UTF8.self)
}

/// One generation at a time over a model: a `Session` (its KV cache) plus what the last
/// step produced, for JavaScript to read.
final class WasmGeneration {
    let model: WasmModel
    let session: Session
    /// Text of the last step (a token's characters, or the rest of the answer at the end).
    var chunk = OutputBuffer()
    var lastToken: Int32 = -1
    var promptTokenCount = 0
    var generatedTokenCount = 0
    var finishReason = FinishCode.none
    private var cancelRequested = false

    init(model: WasmModel, contextSize: Int) {
        self.model = model
        session = Session(model: model.transformer, tokenizer: model.tokenizer, contextSize: contextSize)
    }

    /// Evaluates the prompt (from scratch) and gets ready to sample.
    func start(_ prompt: [Int32], options: GenerationOptions) throws(EngineError) {
        session.reset()
        cancelRequested = false
        finishReason = .none
        generatedTokenCount = 0
        promptTokenCount = prompt.count
        try session.start(prompt: prompt, options: options)
    }

    /// One step: true with a token and its text in `chunk`, false once finished (the rest
    /// of the answer in `chunk`).
    func next() throws(EngineError) -> Bool {
        if cancelRequested, finishReason == .none {
            finishReason = .cancelled
            chunk.set([])
            return false
        }
        guard let event = try session.next() else {
            chunk.set([])
            return false
        }
        switch event {
        case let .token(token, text):
            lastToken = token
            generatedTokenCount += 1
            chunk.set(text)
            return true
        case let .finished(reason):
            finishReason = FinishCode(reason)
            chunk.set(session.remainingText())
            return false
        }
    }

    func cancel() { cancelRequested = true }

    /// One of `swiftlet_stats`'s slots.
    func stat(_ field: StatsField) -> Int32 {
        switch field {
        case .promptTokens: Int32(promptTokenCount)
        case .generatedTokens: Int32(generatedTokenCount)
        case .tokensInContext: Int32(session.tokens.count)
        case .contextSize: Int32(session.contextSize)
        case .finishReason: finishReason.code
        }
    }
}
