import Foundation
import Hummingbird
import Swiftlet
import SwiftletCore

/// Answers completion requests in OpenAI's shapes: one JSON object, or server-sent events
/// (`data: {chunk}` … `data: [DONE]`) when `stream` is true.
struct Completions: Sendable {
    let chat: Bool
    let metrics: ServerMetrics
    /// How long answers in flight may go on once a graceful shutdown begins.
    let shutdownGracePeriod: Duration

    func respond(_ request: CompletionRequest, with hosted: HostedModel) async throws -> Response {
        let objects = CompletionObjects(chat: chat, model: hosted.name)
        try metrics.admit()
        let events = hosted.model.answer(to: request.prompt, options: request.options, gracePeriod: shutdownGracePeriod)
        if request.stream { return stream(events, objects, includeUsage: request.includeUsage, calling: request.toolUse != nil) }

        var text = ""
        do {
            for try await event in events {
                switch event {
                case let .text(piece):
                    text += piece
                case let .finished(stats):
                    metrics.finished(stats)
                    let call = request.toolUse == nil ? nil : objects.toolCall(in: text)
                    return try jsonResponse(objects.whole(text, stats, toolCall: call))
                case .cutShort:
                    throw APIError(
                        status: .serviceUnavailable, message: "the server shut down before the answer was finished; retry",
                        type: "server_error", code: "server_shutting_down")
                }
            }
            throw CancellationError()
        } catch {
            let failed = error is EngineError || error is LanguageModelError
            metrics.finished(nil, cancelled: !failed, failed: failed)
            throw Self.apiError(error)
        }
    }

    private func stream(
        _ events: AsyncThrowingStream<AnswerEvent, any Error>, _ objects: CompletionObjects, includeUsage: Bool, calling: Bool
    ) -> Response {
        let metrics = metrics
        let body = ResponseBody { writer in
            var stats: ResponseStats?
            do {
                if let opening = try objects.opening() { try await writer.write(opening) }
                var ended = false
                // With tools, an answer that opens with "{" is a call: held until it is whole.
                var callText: String?
                var streamedText = false
                for try await event in events {
                    switch event {
                    case let .text(piece):
                        if calling && !streamedText && (callText != nil || piece.hasPrefix("{")) {
                            callText = (callText ?? "") + piece
                        } else {
                            streamedText = true
                            try await writer.write(objects.piece(piece))
                        }
                    case let .finished(figures):
                        stats = figures
                        var finishReason = Self.finishReason(figures)
                        if let callText {
                            if let call = objects.toolCall(in: callText) {
                                try await writer.write(objects.piece(call))
                                finishReason = "tool_calls"
                            } else {
                                try await writer.write(objects.piece(callText))  // cut short: the text as it is
                            }
                        }
                        try await writer.write(objects.end(finishReason: finishReason, timings: Timings(figures)))
                        if includeUsage { try await writer.write(objects.usage(Usage(figures))) }
                        ended = true
                    case .cutShort:
                        // Cut short by a limit, as "length" says; OpenAI sends no usage for an interrupted stream.
                        if let callText { try await writer.write(objects.piece(callText)) }
                        try await writer.write(objects.end(finishReason: "length", timings: nil))
                        ended = true
                    }
                }
                guard ended else { throw CancellationError() }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
                metrics.finished(stats, cancelled: stats == nil)
            } catch {
                // A failed write means the client went away; leaving the loop drops the
                // event stream, which cancels the generation.
                metrics.finished(stats, cancelled: stats == nil && !(error is APIError), failed: error is EngineError)
                if let error = error as? EngineError,
                   let event = try? objects.event(APIError(status: .badRequest, message: error.description).body) {
                    try? await writer.write(event)
                    try? await writer.finish(nil)
                }
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    static func finishReason(_ stats: ResponseStats) -> String {
        switch stats.finishReason {
        case .maxTokens, .contextFull: "length"
        default: "stop"
        }
    }

    static func apiError(_ error: any Error) -> any Error {
        switch error {
        case let error as EngineError:
            if case .promptTooLong = error {
                return APIError(status: .badRequest, message: error.description, param: "messages", code: "context_length_exceeded")
            }
            return APIError(status: .badRequest, message: error.description)
        case let error as LanguageModelError:
            return APIError(status: .badRequest, message: error.description)
        default: return error
        }
    }
}

/// One answer's objects in JSON: the whole completion, or its server-sent events.
struct CompletionObjects: Sendable {
    let chat: Bool
    let id: String
    let created: Int64
    let model: String

    init(chat: Bool, model: String) {
        self.chat = chat
        self.model = model
        id = (chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        created = Int64(Date().timeIntervalSince1970)
    }

    func whole(_ text: String, _ stats: ResponseStats, toolCall: ToolCall? = nil) -> any Encodable {
        let finishReason = toolCall == nil ? Completions.finishReason(stats) : "tool_calls"
        let message = toolCall.map { ChatCompletion.Message(content: nil, toolCalls: [$0]) } ?? .init(content: text)
        return chat
            ? ChatCompletion(id: id, created: created, model: model, choices: [.init(message: message, finishReason: finishReason)],
                             usage: Usage(stats), swiftlet: Timings(stats))
            : TextCompletion(id: id, created: created, model: model, choices: [.init(text: text, finishReason: finishReason)],
                             usage: Usage(stats), swiftlet: Timings(stats))
    }

    /// A chat stream opens with the assistant's role (OpenAI's first chunk); a text stream has no opening.
    func opening() throws -> ByteBuffer? {
        chat ? try chunk(.init(role: "assistant", content: ""), text: "", finishReason: nil) : nil
    }

    func piece(_ text: String) throws -> ByteBuffer {
        try chunk(.init(content: text), text: text, finishReason: nil)
    }

    /// A whole tool call in one delta (its arguments are known only once they are whole).
    func piece(_ call: ToolCall) throws -> ByteBuffer {
        var call = call
        call.index = 0
        return try chunk(.init(toolCalls: [call]), text: "", finishReason: nil)
    }

    /// The tool call an answer makes, under a new id in OpenAI's style; nil if it is text.
    func toolCall(in answer: String) -> ToolCall? {
        guard let (name, arguments) = ToolUse.call(in: answer) else { return nil }
        let id = "call_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        return ToolCall(id: id, function: .init(name: name, arguments: arguments))
    }

    func end(finishReason: String, timings: Timings?) throws -> ByteBuffer {
        try chunk(.init(), text: "", finishReason: finishReason, timings: timings)
    }

    /// The chunk after the last choice, with `stream_options.include_usage`: no choices, the usage.
    func usage(_ usage: Usage) throws -> ByteBuffer {
        chat
            ? try event(ChatCompletionChunk(id: id, created: created, model: model, choices: [], usage: usage))
            : try event(TextCompletion(id: id, created: created, model: model, choices: [], usage: usage))
    }

    private func chunk(_ delta: ChatCompletionChunk.Delta, text: String, finishReason: String?, timings: Timings? = nil) throws -> ByteBuffer {
        chat
            ? try event(ChatCompletionChunk(
                id: id, created: created, model: model, choices: [.init(delta: delta, finishReason: finishReason)], swiftlet: timings))
            : try event(TextCompletion(
                id: id, created: created, model: model, choices: [.init(text: text, finishReason: finishReason)], swiftlet: timings))
    }

    /// `data: {json}` and the blank line that ends a server-sent event.
    func event(_ value: some Encodable) throws -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes(try encodeJSON(value))
        buffer.writeString("\n\n")
        return buffer
    }
}

/// JSON as the server writes it: keys in a stable order.
func encodeJSON(_ value: some Encodable) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(value)
}

func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encodeJSON(value))))
}
