import Swiftlet
import Synchronization

/// Counters for `/metrics` (Prometheus text format) and the admission limit.
final class ServerMetrics: Sendable {
    struct Counters {
        var requests = 0
        var rejected = 0
        var failed = 0
        /// Generations stopped because the client went away.
        var cancelled = 0
        var promptTokens = 0
        var completionTokens = 0
        /// Requests admitted and not yet answered (running or waiting for the model).
        var inFlight = 0
        var last: ResponseStats?
    }

    let counters = Mutex(Counters())
    /// Requests allowed in flight at once; more get 429.
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Counts a request in, or refuses it when too many are waiting.
    func admit() throws(APIError) {
        let admitted = counters.withLock { c in
            c.requests += 1
            guard c.inFlight < limit else { c.rejected += 1; return false }
            c.inFlight += 1
            return true
        }
        if !admitted {
            throw APIError(status: .tooManyRequests, message: "the server is busy (\(limit) requests in flight); retry later", type: "rate_limit_error", code: "rate_limit_exceeded")
        }
    }

    func finished(_ stats: ResponseStats?, cancelled: Bool = false, failed: Bool = false) {
        counters.withLock { c in
            c.inFlight -= 1
            if cancelled { c.cancelled += 1 }
            if failed { c.failed += 1 }
            if let stats {
                c.promptTokens += stats.promptTokens
                c.completionTokens += stats.generatedTokens
                c.last = stats
            }
        }
    }

    func prometheus(models: [HostedModel]) -> String {
        let c = counters.withLock { $0 }
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            lines += ["# HELP swiftlet_\(name) \(help)", "# TYPE swiftlet_\(name) \(type)"]
            lines += samples.map { "swiftlet_\(name)\($0.labels) \($0.value)" }
        }
        metric("requests_total", "counter", "Completion requests received.", [("", Double(c.requests))])
        metric("requests_rejected_total", "counter", "Requests refused with 429 because too many were in flight.", [("", Double(c.rejected))])
        metric("requests_failed_total", "counter", "Admitted requests that ended in an error.", [("", Double(c.failed))])
        metric("requests_cancelled_total", "counter", "Generations stopped because the client disconnected.", [("", Double(c.cancelled))])
        metric("prompt_tokens_total", "counter", "Prompt tokens evaluated.", [("", Double(c.promptTokens))])
        metric("completion_tokens_total", "counter", "Tokens generated.", [("", Double(c.completionTokens))])
        metric("queue_depth", "gauge", "Requests running or waiting for a model.", [("", Double(c.inFlight))])
        if let last = c.last {
            metric("last_time_to_first_token_seconds", "gauge", "Time to first token of the last answer.", [("", last.timeToFirstToken.seconds)])
            metric("last_prefill_tokens_per_second", "gauge", "Prefill speed of the last answer.", [("", last.prefillTokensPerSecond)])
            metric("last_decode_tokens_per_second", "gauge", "Decode speed of the last answer.", [("", last.decodeTokensPerSecond)])
        }
        metric("model_load_seconds", "gauge", "Time to load each model.", models.map { ("{model=\"\($0.name)\"}", $0.model.loadDuration.seconds) })
        metric("model_size_bytes", "gauge", "Size of each model file.", models.map { ("{model=\"\($0.name)\"}", Double($0.model.model.file.fileSize)) })
        return lines.joined(separator: "\n") + "\n"
    }
}
