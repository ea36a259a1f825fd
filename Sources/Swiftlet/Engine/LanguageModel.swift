import SwiftletCore

/// A model loaded for inference, shaped like MediaPipe's `LlmInference`: ask for a whole
/// response or a stream of text chunks, or open `ChatSession`s that keep their own
/// history and KV cache. It runs on a thread of its own (see `InferenceThread`), so
/// callers, a UI among them, never wait on arithmetic. Requests take turns; cancelling
/// the task that awaits an answer, or dropping its stream, stops generation before the
/// next token.
public actor LanguageModel {
    public struct Configuration: Sendable {
        /// Tokens a session's KV cache holds (prompt and answers of every turn).
        public var contextSize: Int
        public var threads: Int
        /// Prompt tokens evaluated together (larger: faster prefill, more memory).
        public var maxBatch: Int
        public var backend: Backend

        public init(
            contextSize: Int = Session.defaultContextSize, threads: Int = ThreadPool.defaultThreadCount, maxBatch: Int = Session.defaultMaxBatch,
            backend: Backend = .cpu
        ) {
            self.contextSize = contextSize
            self.threads = threads
            self.maxBatch = maxBatch
            self.backend = backend
        }
    }

    /// What to answer.
    public enum Prompt: Sendable {
        /// Text to continue as is (after the BOS token).
        case raw(String)
        /// A whole conversation through the chat template; the answer is the assistant's next turn.
        case messages([ChatMessage])
    }

    /// What a response stream delivers: text as it comes, then the figures.
    public enum ResponseEvent: Sendable {
        case text(String)
        case finished(ResponseStats)
    }

    public nonisolated let model: LoadedModel
    public nonisolated let configuration: Configuration
    /// From opening the file to ready to answer (the GPU's weights uploaded, where used).
    public nonisolated let loadDuration: Duration
    /// Where the forward passes run.
    public nonisolated let backend: BackendChoice
    private nonisolated let gpu: GPUModel?
    private nonisolated let executor: InferenceThread
    private let pool: ThreadPool
    /// The session behind one-shot answers, reused (reset) for each.
    private var oneShot: SessionState?
    /// The vocabulary's trie for grammars, built for the first answer that has one and
    /// shared by every session after.
    private var tokenTrie: TokenTrie?

    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// Maps and parses the model at `path` (weights are read lazily from the page cache).
    public init(path: String, configuration: Configuration = Configuration()) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        let model = try await onBlockingThread { () throws in try LoadedModel(path: path) }
        self.model = model
        self.configuration = configuration
        executor = InferenceThread(name: "swiftlet-inference")
        let pool = ThreadPool(threadCount: configuration.threads)
        self.pool = pool
        (gpu, backend) = try await configuration.backend.open(model, pool: pool)
        loadDuration = clock.now - start
    }

    deinit { executor.stop() }

    /// Tokens `text` takes (without the BOS token a prompt starts with).
    public nonisolated func sizeInTokens(_ text: String) -> Int {
        model.tokenizer.encode(text, addSpecial: false).count
    }

    /// A new conversation with its own history and cache.
    public func makeSession(system: String? = nil) throws -> ChatSession {
        ChatSession(model: self, state: try makeState(system: system))
    }

    /// The answer to `prompt` as a single user message through the chat template
    /// (`raw: true`: a continuation of the text as is).
    public func generateResponse(_ prompt: String, raw: Bool = false, options: ResponseOptions = ResponseOptions()) throws -> String {
        try respond(to: raw ? .raw(prompt) : .messages([ChatMessage(role: "user", content: prompt)]), options: options).text
    }

    /// `generateResponse` as a stream of text chunks (whole UTF-8 characters).
    public nonisolated func generateResponseStream(
        _ prompt: String, raw: Bool = false, options: ResponseOptions = ResponseOptions()
    ) -> AsyncThrowingStream<String, any Error> {
        let prompt: Prompt = raw ? .raw(prompt) : .messages([ChatMessage(role: "user", content: prompt)])
        return stream { model, onText in _ = try await model.respond(to: prompt, options: options, onText: onText) }
    }

    /// The answer and what it cost. Each call starts afresh.
    public func respond(to prompt: Prompt, options: ResponseOptions = ResponseOptions()) throws -> (text: String, stats: ResponseStats) {
        try respond(to: prompt, options: options, onText: nil)
    }

    /// `respond(to:)` as a stream: the text in pieces, then the figures.
    public nonisolated func responses(to prompt: Prompt, options: ResponseOptions = ResponseOptions()) -> AsyncThrowingStream<ResponseEvent, any Error> {
        stream { model, emit in
            let (_, stats) = try await model.respond(to: prompt, options: options) { emit(.text($0)) }
            emit(.finished(stats))
        }
    }

    /// The tokens a prompt comes to (to check it fits the context before answering).
    public nonisolated func tokens(for prompt: Prompt) throws -> [Int32] {
        switch prompt {
        case let .raw(text): return model.tokenizer.encode(text, addSpecial: true)
        case let .messages(messages):
            guard let formatter = model.chatFormatter else { throw LanguageModelError.noChatTemplate }
            return try formatter.tokens(messages)
        }
    }

    /// Statistics of the last one-shot answer.
    public var lastResponseStats: ResponseStats? { oneShot?.lastStats }

    // MARK: Generation (on the inference thread)

    private func respond(
        to prompt: Prompt, options: ResponseOptions, onText: (@Sendable (String) -> Void)?
    ) throws -> (text: String, stats: ResponseStats) {
        let state = try oneShot ?? makeState(system: nil)
        oneShot = state
        state.reset()
        let tokens = try self.tokens(for: prompt)
        let text = try generate(state, prompt: tokens, options: options, onText: onText)
        return (text, state.lastStats!)
    }

    func makeState(system: String?) throws -> SessionState {
        let device = try gpu?.makeForward(contextSize: configuration.contextSize, maxBatch: configuration.maxBatch)
        let session = Session(
            model: model.transformer, tokenizer: model.tokenizer, contextSize: configuration.contextSize,
            maxBatch: configuration.maxBatch, parallel: pool.parallelFor, device: device)
        session.clock = Session.monotonicSeconds
        return SessionState(session: session, formatter: model.chatFormatter, system: system)
    }

    /// A session's next turn: only what is new since its last answer is evaluated.
    func respond(
        _ state: SessionState, turn message: String, options: ResponseOptions, onText: (@Sendable (String) -> Void)?
    ) throws -> String {
        guard state.conversation != nil else { throw LanguageModelError.noChatTemplate }
        let tokens = try state.conversation!.beginTurn(message, in: state.session)
        let text = try generate(state, prompt: tokens, options: options, onText: onText)
        state.conversation!.endTurn(answer: text, in: state.session)
        return text
    }

    /// Evaluates `prompt` after what the session holds, then samples until the answer ends
    /// or the task is cancelled, handing each piece of text to `onText`.
    private func generate(
        _ state: SessionState, prompt: [Int32], options: ResponseOptions, onText: (@Sendable (String) -> Void)?
    ) throws -> String {
        let session = state.session
        // Built once, outside the first answer's timings.
        if options.grammar != nil {
            if let tokenTrie { session.tokenTrie = tokenTrie } else { tokenTrie = session.tokenTrie }
        }
        let clock = ContinuousClock()
        let begin = clock.now
        let evaluatedBefore = session.evaluatedTokenCount
        let (draftedBefore, acceptedBefore) = (session.draftedTokenCount, session.acceptedTokenCount)
        try Task.checkCancellation()
        try session.start(prompt: prompt, options: options.generation)
        let prefillEnd = clock.now
        let promptTokens = session.evaluatedTokenCount - evaluatedBefore

        var answer: [UInt8] = []
        var firstToken: ContinuousClock.Instant?
        var reason = ResponseStats.FinishReason.cancelled
        while !Task.isCancelled, let event = try session.next() {
            switch event {
            case let .token(_, text):
                firstToken = firstToken ?? clock.now
                answer += text
                if let onText, !text.isEmpty { onText(String(decoding: text, as: UTF8.self)) }
            case let .finished(why):
                reason = ResponseStats.FinishReason(why)
                let rest = session.remainingText()
                answer += rest
                if let onText, !rest.isEmpty { onText(String(decoding: rest, as: UTF8.self)) }
            }
        }
        let end = clock.now
        state.lastStats = ResponseStats(
            promptTokens: promptTokens, generatedTokens: session.answerTokens.count,
            timeToFirstToken: (firstToken ?? end) - begin, prefillDuration: prefillEnd - begin,
            decodeDuration: end - (firstToken ?? end), finishReason: reason,
            draftedTokens: session.draftedTokenCount - draftedBefore, acceptedTokens: session.acceptedTokenCount - acceptedBefore)
        if reason == .cancelled { throw CancellationError() }
        return String(decoding: answer, as: UTF8.self)
    }

    /// A stream fed by `body` on the model's thread; ending the stream early (or cancelling
    /// its consumer) cancels the generation.
    nonisolated func stream<Element: Sendable>(
        _ body: @escaping @Sendable (LanguageModel, @escaping @Sendable (Element) -> Void) async throws -> Void
    ) -> AsyncThrowingStream<Element, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await body(self) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

public enum LanguageModelError: Error, CustomStringConvertible {
    case noChatTemplate

    public var description: String {
        "the model has no chat template and none is built in for its architecture; use a raw prompt"
    }
}

extension ResponseStats.FinishReason {
    init(_ reason: FinishReason) {
        switch reason {
        case .endOfGeneration: self = .endOfGeneration
        case .maxTokens: self = .maxTokens
        case .stopString: self = .stopString
        case .contextFull: self = .contextFull
        }
    }
}

/// What a session keeps between turns. Touched only on its model's thread.
final class SessionState: @unchecked Sendable {
    let session: Session
    var conversation: Conversation?
    var lastStats: ResponseStats?

    init(session: Session, formatter: ChatFormatter?, system: String?) {
        self.session = session
        conversation = formatter.map { Conversation(formatter: $0, system: system) }
    }

    func reset() {
        if conversation != nil { conversation!.reset(session) } else { session.reset() }
    }
}
