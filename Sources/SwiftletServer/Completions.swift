import Foundation
import Hummingbird
import Swiftlet
import SwiftletCore

/// Answers completion requests in OpenAI's shapes: one JSON object, or server-sent events
/// (`data: {chunk}` … `data: [DONE]`) when `stream` is true.
struct Completions: Sendable {
    let chat: Bool
    let metrics: ServerMetrics

    private var object: String { chat ? "chat.completion" : "text_completion" }

    func respond(_ request: CompletionRequest, with hosted: HostedModel) async throws -> Response {
        let id = (chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let created = Int64(Date().timeIntervalSince1970)
        try metrics.admit()
        if request.stream { return stream(request, hosted: hosted, id: id, created: created) }

        let text: String, stats: ResponseStats
        do {
            (text, stats) = try await hosted.model.respond(to: request.prompt, options: request.options)
        } catch {
            metrics.finished(nil, cancelled: error is CancellationError, failed: !(error is CancellationError))
            throw Self.apiError(error)
        }
        metrics.finished(stats)
        let choice: JSON = chat
            ? .object([("index", .int(0)), ("message", .object([("role", .string("assistant")), ("content", .string(text))])),
                       ("logprobs", .null), ("finish_reason", .string(Self.finishReason(stats)))])
            : .object([("index", .int(0)), ("text", .string(text)), ("logprobs", .null), ("finish_reason", .string(Self.finishReason(stats)))])
        let body = JSON.object([
            ("id", .string(id)), ("object", .string(object)), ("created", .int(created)), ("model", .string(hosted.name)),
            ("choices", .array([choice])), ("usage", Self.usage(stats)), ("swiftlet", Self.timings(stats)),
        ])
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body.rendered())))
    }

    private func stream(_ request: CompletionRequest, hosted: HostedModel, id: String, created: Int64) -> Response {
        let events = hosted.model.responses(to: request.prompt, options: request.options)
        let metrics = metrics, chat = chat, object = object + ".chunk"
        let chunkObject = chat ? object : "text_completion"
        @Sendable func chunk(_ delta: JSON?, text: String?, finish: String?, extra: [(String, JSON)] = []) -> ByteBuffer {
            let choice: JSON = chat
                ? .object([("index", .int(0)), ("delta", delta ?? .object([])), ("logprobs", .null), ("finish_reason", finish.map(JSON.string) ?? .null)])
                : .object([("index", .int(0)), ("text", .string(text ?? "")), ("logprobs", .null), ("finish_reason", finish.map(JSON.string) ?? .null)])
            let body = JSON.object([
                ("id", .string(id)), ("object", .string(chunkObject)), ("created", .int(created)), ("model", .string(hosted.name)),
                ("choices", .array([choice])),
            ] + extra)
            return ByteBuffer(string: "data: \(body.rendered())\n\n")
        }
        let body = ResponseBody { writer in
            var stats: ResponseStats?
            do {
                if chat { try await writer.write(chunk(.object([("role", .string("assistant")), ("content", .string(""))]), text: nil, finish: nil)) }
                for try await event in events {
                    switch event {
                    case let .text(text):
                        try await writer.write(chunk(.object([("content", .string(text))]), text: text, finish: nil))
                    case let .finished(figures):
                        stats = figures
                        var extra: [(String, JSON)] = [("swiftlet", Self.timings(figures))]
                        if request.includeUsage { extra.append(("usage", Self.usage(figures))) }
                        try await writer.write(chunk(nil, text: nil, finish: Self.finishReason(figures), extra: extra))
                    }
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                try await writer.finish(nil)
                metrics.finished(stats)
            } catch {
                // A failed write means the client went away; leaving the loop drops the
                // event stream, which cancels the generation.
                metrics.finished(stats, cancelled: stats == nil && !(error is APIError), failed: error is EngineError)
                if let error = error as? EngineError {
                    let message = JSON.object([("error", .object([("message", .string(error.description)), ("type", .string("invalid_request_error"))]))])
                    try? await writer.write(ByteBuffer(string: "data: \(message.rendered())\n\n"))
                    try? await writer.finish(nil)
                }
            }
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: body)
    }

    static func finishReason(_ stats: ResponseStats) -> String {
        switch stats.finishReason {
        case .maxTokens, .contextFull: "length"
        default: "stop"
        }
    }

    static func usage(_ stats: ResponseStats) -> JSON {
        .object([
            ("prompt_tokens", .int(Int64(stats.promptTokens))),
            ("completion_tokens", .int(Int64(stats.generatedTokens))),
            ("total_tokens", .int(Int64(stats.promptTokens + stats.generatedTokens))),
        ])
    }

    /// Swiftlet's own figures for each answer (the playground shows them).
    static func timings(_ stats: ResponseStats) -> JSON {
        .object([
            ("time_to_first_token_ms", .double((stats.timeToFirstToken.seconds * 1e4).rounded() / 10)),
            ("prefill_tokens_per_second", .double((stats.prefillTokensPerSecond * 10).rounded() / 10)),
            ("decode_tokens_per_second", .double((stats.decodeTokensPerSecond * 10).rounded() / 10)),
        ])
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
