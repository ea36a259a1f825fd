import ServiceLifecycle
import Swiftlet

/// What the server streams out of one answer: the model's events, and the end of an answer
/// that a graceful shutdown did not wait for.
enum AnswerEvent: Sendable {
    case text(String)
    case finished(ResponseStats)
    /// The server is shutting down and the answer's grace period is over; generation stopped.
    case cutShort
}

extension LanguageModel {
    /// `responses(to:options:)`, cut short `gracePeriod` after the server begins a graceful
    /// shutdown (SIGTERM): answers in flight may finish within the grace period, and those
    /// still running then end cleanly instead of being torn off when the process exits.
    /// Ending the stream early stops the generation, as with `responses`.
    nonisolated func answer(
        to prompt: Prompt, options: ResponseOptions, gracePeriod: Duration
    ) -> AsyncThrowingStream<AnswerEvent, any Error> {
        let events = self.responses(to: prompt, options: options)
        return AsyncThrowingStream { continuation in
            let generation = Task {
                do {
                    for try await event in events {
                        switch event {
                        case let .text(text): continuation.yield(.text(text))
                        case let .finished(stats): continuation.yield(.finished(stats))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            // `gracefulShutdown()` learns of the shutdown through ServiceLifecycle's task-local
            // values, which this task inherits from the request's.
            let deadline = Task {
                try await gracefulShutdown()
                try await Task.sleep(for: gracePeriod)
                continuation.yield(.cutShort)
                continuation.finish()
            }
            continuation.onTermination = { _ in
                generation.cancel()
                deadline.cancel()
            }
        }
    }
}
