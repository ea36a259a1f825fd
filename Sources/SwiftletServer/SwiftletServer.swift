import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Swiftlet
import SwiftletCore

/// `swiftlet serve`: OpenAI's HTTP API over local models, plus a web playground at `/`.
public struct SwiftletServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// When set, `/v1/*` requires `Authorization: Bearer <key>`.
        public var apiKey: String?
        /// Origins allowed to call from a browser ("*": any); empty: no CORS headers.
        public var corsOrigins: [String] = []
        /// Requests admitted at once (running or queued for a model); more get 429.
        public var maxRequestsInFlight = 16
        public var maxBodyBytes = 1 << 20
        public var logLevel = Logger.Level.info
        /// The web build (`web/`: swiftlet.js, the worker, swiftlet.wasm), served at /web/
        /// so the playground can run the same model in the browser; nil: not served.
        /// `WebBuild.locate` finds one.
        public var webRoot: String?
        /// After SIGTERM or SIGINT (`runService`), how long answers in flight may take to
        /// finish; those still running then end as cut short ("length").
        public var shutdownGracePeriod = Duration.seconds(8)

        public init() {}
    }

    let models: [HostedModel]
    let configuration: Configuration
    let metrics: ServerMetrics

    public init(models: [HostedModel], configuration: Configuration = Configuration()) {
        precondition(!models.isEmpty, "a server needs a model")
        self.models = models
        self.configuration = configuration
        metrics = ServerMetrics(limit: configuration.maxRequestsInFlight)
    }

    /// Serves until the task is cancelled; `onRunning` gets the bound port (useful with port 0).
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(onRunning: onRunning).run()
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: no new connections, the
    /// answers in flight finish (or, past `shutdownGracePeriod`, end cleanly as cut short),
    /// and it returns once they are written.
    public func runService(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var group = ServiceGroupConfiguration(
            services: [application(onRunning: onRunning)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A last resort for a writer that never finishes (a client that stops reading).
        group.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod + .seconds(5)
        try await ServiceGroup(configuration: group).run()
    }

    private var logger: Logger {
        var logger = Logger(label: "swiftlet")
        logger.logLevel = configuration.logLevel
        return logger
    }

    private func application(onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "swiftlet"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        if !configuration.corsOrigins.isEmpty {
            let origins = configuration.corsOrigins
            router.add(middleware: CORSMiddleware(
                allowOrigin: origins == ["*"] ? .all : .custom(origins.joined(separator: ", ")),
                allowHeaders: [.accept, .authorization, .contentType, .origin],
                allowMethods: [.get, .post, .options]))
        }
        router.add(middleware: APIErrorMiddleware())
        if let apiKey = configuration.apiKey { router.add(middleware: BearerAuthentication(key: apiKey)) }

        router.get("/health") { _, _ in try jsonResponse(["status": "ok"]) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.prometheus(models: models))))
        }
        router.get("/v1/models") { _, _ in try jsonResponse(ModelList(data: models.map(Self.describe))) }
        let chat = Completions(chat: true, metrics: metrics, shutdownGracePeriod: configuration.shutdownGracePeriod)
        router.post("/v1/chat/completions") { request, _ in
            try await answer(try await decode(ChatCompletionRequest.self, request), with: chat)
        }
        let text = Completions(chat: false, metrics: metrics, shutdownGracePeriod: configuration.shutdownGracePeriod)
        router.post("/v1/completions") { request, _ in
            try await answer(try await decode(TextCompletionRequest.self, request), with: text)
        }
        // The model files themselves, with Range support, for the in-browser engine.
        router.get("/v1/models/:id/gguf") { request, context in
            try await Self.modelFile(try model(named: context.parameters.get("id")), request, context)
        }
        if let webRoot = configuration.webRoot {
            router.add(middleware: CrossOriginIsolation())
            router.add(middleware: FileMiddleware(webRoot, urlBasePath: "/web", searchForIndexHtml: true))
        }
        router.get("/") { _, _ in try Self.playground() }
        router.get("/playground/config") { _, _ in
            try jsonResponse(PlaygroundConfig(browserEngine: WebBuild.engineStatus(root: configuration.webRoot)))
        }
        return router
    }

    private func decode<Body: CompletionRequestBody>(_ type: Body.Type, _ request: Request) async throws -> Body {
        var request = request
        let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
        var decoded = try RequestDecoding.decode(Body.self, from: body)
        // Read again with the core's reader, which keeps the order of a schema's properties.
        let document: JSONDocument
        do { document = try JSONDocument.parse(Array(body.readableBytesView)) } catch {
            throw APIError(status: .badRequest, message: "the request body could not be read: \(error)")
        }
        decoded.parameters.grammar = try ResponseFormat.grammar(document)
        decoded.parameters.toolUse = try ToolUse.read(document)
        return decoded
    }

    /// Checks the request against the model it names (its context size), then answers it.
    private func answer(_ body: some CompletionRequestBody, with completions: Completions) async throws -> Response {
        let hosted = try model(named: body.model)
        let request = try CompletionRequest(body, contextSize: hosted.model.configuration.contextSize)
        try Self.checkFits(request.prompt, hosted)
        return try await completions.respond(request, with: hosted)
    }

    private func model(named name: String?) throws(APIError) -> HostedModel {
        guard let name, !name.isEmpty else { return models[0] }
        guard let hosted = models.first(where: { $0.name == name }) else {
            throw APIError(
                status: .notFound, message: "the model '\(name)' does not exist here (serving: \(models.map(\.name).joined(separator: ", ")))",
                param: "model", code: "model_not_found")
        }
        return hosted
    }

    /// Refuses a prompt that leaves no room for an answer, before any response starts.
    private static func checkFits(_ prompt: LanguageModel.Prompt, _ hosted: HostedModel) throws {
        let count: Int
        do { count = try hosted.model.tokens(for: prompt).count } catch { throw Completions.apiError(error) }
        let context = hosted.model.configuration.contextSize
        guard count < context else {
            let param = if case .raw = prompt { "prompt" } else { "messages" }
            throw APIError(
                status: .badRequest, message: "the prompt is \(count) tokens; the context of \(hosted.name) holds \(context) (with room for the answer)",
                param: param, code: "context_length_exceeded")
        }
    }

    private static func describe(_ hosted: HostedModel) -> ModelList.Model {
        let summary = hosted.summary
        return ModelList.Model(
            id: hosted.name, architecture: summary.architecture ?? "unknown", quantization: summary.quantization,
            parameters: summary.parameterCount, sizeBytes: hosted.model.model.file.fileSize,
            loadMs: (hosted.model.loadDuration.seconds * 1e4).rounded() / 10, contextSize: hosted.model.configuration.contextSize,
            backend: hosted.model.backend.backend.rawValue, adapter: hosted.model.backend.adapter?.summary)
    }

    /// The GGUF file, whole or from a `Range: bytes=START-[END]` (a resumed download).
    private static func modelFile(_ hosted: HostedModel, _ request: Request, _ context: some RequestContext) async throws -> Response {
        let path = hosted.model.model.file.path
        let size = hosted.model.model.file.fileSize
        var range = 0...(size - 1)
        let rangeHeader = request.headers[.range]
        if let rangeHeader {
            let bounds = rangeHeader.hasPrefix("bytes=") ? rangeHeader.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false) : []
            guard bounds.count == 2, let start = Int(bounds[0]), start < size,
                  let end = bounds[1].isEmpty ? size - 1 : Int(bounds[1]).map({ min($0, size - 1) }), end >= start else {
                return Response(status: .rangeNotSatisfiable, headers: [.contentRange: "bytes */\(size)"])
            }
            range = start...end
        }
        let body = try await FileIO().loadFile(path: path, range: range, context: context)
        var headers: HTTPFields = [
            .contentType: "application/octet-stream", .acceptRanges: "bytes", .contentLength: "\(range.count)",
        ]
        if rangeHeader != nil { headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)" }
        return Response(status: rangeHeader != nil ? .partialContent : .ok, headers: headers, body: body)
    }

    private static func playground() throws -> Response {
        guard let url = Bundle.module.url(forResource: "Playground/index", withExtension: "html"),
              let page = try? Data(contentsOf: url) else {
            throw APIError(status: .notFound, message: "the playground page is missing from this build")
        }
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: page)))
    }
}

/// The headers a page needs for SharedArrayBuffer (wasm threads, later): cross-origin isolation.
struct CrossOriginIsolation<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.init("Cross-Origin-Opener-Policy")!] = "same-origin"
        response.headers[.init("Cross-Origin-Embedder-Policy")!] = "require-corp"
        return response
    }
}

/// `Authorization: Bearer <key>` on the API routes.
struct BearerAuthentication<Context: RequestContext>: RouterMiddleware {
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/") else { return try await next(request, context) }
        guard request.headers[.authorization] == "Bearer \(key)" else {
            throw APIError(status: .unauthorized, message: "a valid API key is required (Authorization: Bearer …)", type: "authentication_error", code: "invalid_api_key")
        }
        return try await next(request, context)
    }
}
