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
/// step produced, for JavaScript to read. Chat prompts go through a `Conversation`, so a
/// chat that goes on from the last answer evaluates only its new turn.
final class WasmGeneration {
    let model: WasmModel
    let session: Session
    private var conversation: Conversation?
    /// Whether the current answer continues `conversation` (recorded when it finishes).
    private var answeringChat = false
    /// Text of the last step (a token's characters, or the rest of the answer at the end).
    var chunk = OutputBuffer()
    var lastToken: Int32 = -1
    var promptTokenCount = 0
    /// Tokens of the context the current prompt continued after instead of evaluating again.
    var reusedTokenCount = 0
    var generatedTokenCount = 0
    /// The session's drafted and accepted counts when the current answer started.
    private var draftedBefore = 0, acceptedBefore = 0
    var finishReason = FinishCode.none
    private var cancelRequested = false
    /// What the answers started from now on must be (`swiftlet_set_grammar`); nil: free text.
    var grammar: Grammar?

    init(model: WasmModel, contextSize: Int) {
        self.model = model
        session = Session(model: model.transformer, tokenizer: model.tokenizer, contextSize: contextSize)
        conversation = model.formatter.map { Conversation(formatter: $0) }
    }

    /// The tokens that answer `messages`: the whole chat, or only what follows the context
    /// when the chat goes on from what it holds (else the context is emptied).
    func chatPrompt(_ messages: [ChatMessage]) throws(ChatTemplateError) -> [Int32]? {
        guard conversation != nil else { return nil }
        return try conversation!.begin(messages, in: session)
    }

    /// Evaluates the prompt (after the context for a continued chat, from scratch
    /// otherwise) and gets ready to sample.
    func start(_ prompt: [Int32], chat: Bool, options: GenerationOptions) throws(EngineError) {
        if !chat { forgetContext() }
        answeringChat = chat
        reusedTokenCount = session.tokens.count
        cancelRequested = false
        finishReason = .none
        generatedTokenCount = 0
        (draftedBefore, acceptedBefore) = (session.draftedTokenCount, session.acceptedTokenCount)
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
            if answeringChat { conversation?.recordAnswer(in: session) }
            chunk.set(session.remainingText())
            return false
        }
    }

    func cancel() { cancelRequested = true }

    /// Empties the context; the next chat is evaluated whole.
    func forgetContext() {
        session.reset()
        conversation?.forgetCache()
        answeringChat = false
    }

    /// Runs `tokens` into the context outside any chat.
    func append(_ tokens: [Int32]) throws(EngineError) {
        conversation?.forgetCache()
        answeringChat = false
        try session.append(tokens)
    }

    /// One of `swiftlet_stats`'s slots.
    func stat(_ field: StatsField) -> Int32 {
        switch field {
        case .promptTokens: Int32(promptTokenCount)
        case .reusedTokens: Int32(reusedTokenCount)
        case .generatedTokens: Int32(generatedTokenCount)
        case .tokensInContext: Int32(session.tokens.count)
        case .contextSize: Int32(session.contextSize)
        case .finishReason: finishReason.code
        case .draftedTokens: Int32(session.draftedTokenCount - draftedBefore)
        case .acceptedTokens: Int32(session.acceptedTokenCount - acceptedBefore)
        }
    }
}
