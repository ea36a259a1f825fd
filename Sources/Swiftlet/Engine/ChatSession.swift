import SwiftletCore

/// One conversation with a `LanguageModel` (MediaPipe's `LlmInference.Session`): its own
/// history and KV cache, so each turn evaluates only its new tokens. Sessions of one model
/// take turns on its thread.
public final class ChatSession: Sendable {
    public let model: LanguageModel
    let state: SessionState

    init(model: LanguageModel, state: SessionState) {
        self.model = model
        self.state = state
    }

    /// The assistant's answer to `message`, the conversation so far taken into account.
    public func respond(to message: String, options: ResponseOptions = ResponseOptions()) async throws -> String {
        try await model.respond(state, turn: message, options: options, onText: nil)
    }

    /// `respond(to:)` as a stream of text chunks.
    public func streamResponse(to message: String, options: ResponseOptions = ResponseOptions()) -> AsyncThrowingStream<String, any Error> {
        let state = state
        return model.stream { model, onText in
            _ = try await model.respond(state, turn: message, options: options, onText: onText)
        }
    }

    /// Forgets every turn (a system message stays).
    public func reset() async {
        await model.withSession(state) { $0.reset() }
    }

    /// Statistics of the last answer.
    public var lastResponseStats: ResponseStats? {
        get async { await model.withSession(state) { $0.lastStats } }
    }

    public var messages: [ChatMessage] {
        get async { await model.withSession(state) { $0.conversation?.messages ?? [] } }
    }

    /// The tokens in the session's cache: every turn so far, as the model saw them.
    public var tokens: [Int32] {
        get async { await model.withSession(state) { $0.session.tokens } }
    }

    /// Tokens run through the model over the session's life (prefill and decode).
    public var evaluatedTokenCount: Int {
        get async { await model.withSession(state) { $0.session.evaluatedTokenCount } }
    }
}

extension LanguageModel {
    func withSession<T: Sendable>(_ state: SessionState, _ body: (SessionState) -> T) -> T { body(state) }
}
