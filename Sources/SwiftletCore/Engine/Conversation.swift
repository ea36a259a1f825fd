/// A multi-turn chat held in one `Session`. Each turn renders the whole conversation with
/// the model's template, but only the text after what the session's cache already holds is
/// tokenized and evaluated, so earlier turns are never run through the model again. When
/// the template rewrites history (trims an answer, say), the turn starts over from scratch.
public struct Conversation {
    public private(set) var messages: [ChatMessage]
    let formatter: ChatFormatter
    /// The text whose tokens are in the session: the last rendered prompt followed by the
    /// answer's tokens as the model produced them (its end-of-turn token included).
    private var cachedText: [UInt8] = []
    private var renderedPrompt: [UInt8] = []

    public init(formatter: ChatFormatter, system: String? = nil) {
        self.formatter = formatter
        messages = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
    }

    /// Adds the user's message and returns the tokens to start the answer with: just the
    /// new part when the session holds the conversation so far, else all of it (after
    /// resetting the session).
    public mutating func beginTurn(_ userMessage: String, in session: Session) throws(ChatTemplateError) -> [Int32] {
        try begin(messages + [ChatMessage(role: "user", content: userMessage)], in: session)
    }

    /// `beginTurn` for a whole chat given at once (as the web API passes it): `messages`
    /// replace the conversation, and only what follows the cached text is evaluated.
    public mutating func begin(_ messages: [ChatMessage], in session: Session) throws(ChatTemplateError) -> [Int32] {
        self.messages = messages
        renderedPrompt = Array(try formatter.render(messages).utf8)
        if !session.tokens.isEmpty, !cachedText.isEmpty, renderedPrompt.starts(with: cachedText) {
            let newText = renderedPrompt[cachedText.count...]
            let tokens = newText.withUnsafeBytes { formatter.tokenizer.encode($0, addSpecial: false, parseSpecial: true) }
            if !tokens.isEmpty { return tokens }
        }
        session.reset()
        return try formatter.tokens(messages)
    }

    /// Records the answer the session just produced (`text` as shown to the user).
    public mutating func endTurn(answer text: String, in session: Session) {
        messages.append(ChatMessage(role: "assistant", content: text))
        recordAnswer(in: session)
    }

    /// Notes that the session now holds the rendered prompt and the answer's tokens, so
    /// that the next turn can continue after them.
    public mutating func recordAnswer(in session: Session) {
        cachedText = renderedPrompt + formatter.tokenizer.decode(session.answerTokens, special: true)
    }

    /// Forgets what the session holds (it was reset, or given other tokens): the next turn
    /// evaluates the whole conversation.
    public mutating func forgetCache() {
        cachedText = []
    }

    /// Forgets every turn (the system message stays) and the session's cache.
    public mutating func reset(_ session: Session) {
        messages.removeAll { $0.role != "system" }
        forgetCache()
        session.reset()
    }
}
