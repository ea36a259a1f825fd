import ArgumentParser
import Foundation
import Swiftlet
import SwiftletCore
import SwiftletServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve models over OpenAI's HTTP API, with a chat playground at /.")

    @Argument(help: "Models to serve: stored or known names, or .gguf paths (default: \(KnownModel.defaultName)).")
    var models: [String] = []

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port = 8080

    @Option(help: "Require this key as `Authorization: Bearer KEY` on /v1 routes (default: $SWIFTLET_API_KEY, else none).")
    var apiKey: String?

    @Option(help: "Allow browser calls from this origin (repeatable; '*' for any).")
    var corsOrigin: [String] = []

    @Option(help: "Requests running or queued at once before the server answers 429.")
    var maxRequests = 16

    @Option(help: "Context size per request, in tokens.")
    var context = Session.defaultContextSize

    @Option(help: "Threads per model (default: all cores).")
    var threads = ThreadPool.defaultThreadCount

    @Option(help: "Where each model's forward passes run: cpu, gpu (WebGPU), or auto (both measured briefly, the faster kept).")
    var backend = Backend.cpu

    @Option(help: "The web build to serve at /web/, for the playground's in-browser engine (default: web/ of the checkout this binary was built from, else ./web).")
    var webRoot: String?

    @Option(help: "Seconds that answers in flight may take to finish after SIGTERM or Ctrl-C; those still running then end as cut short.")
    var shutdownGrace = 8.0

    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        guard (0...3600).contains(shutdownGrace) else { throw ValidationError("--shutdown-grace must be from 0 to 3600 seconds") }
    }

    func run() async throws {
        let webBuild = try WebBuild.locate(explicit: webRoot)
        var hosted: [HostedModel] = []
        for name in models.isEmpty ? [KnownModel.defaultName] : models {
            let path = try await ModelOptions(model: name, storeOptions: storeOptions).resolvePath()
            let model: LanguageModel
            do {
                model = try await LanguageModel(path: path, configuration: .init(contextSize: context, threads: threads, backend: backend))
            } catch let error as GPUError { throw CLIError("\(name): \(error)") }
            let id = name.hasSuffix(".gguf") ? URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent : name
            hosted.append(HostedModel(name: id, model: model))
            let note = model.backend.note.map { " (\($0))" } ?? ""
            FileHandle.standardError.write(Data("loaded \(id) in \(Int(model.loadDuration.seconds * 1000)) ms on \(model.backend.summary)\(note)\n".utf8))
        }
        var configuration = SwiftletServer.Configuration()
        configuration.host = host
        configuration.port = port
        configuration.apiKey = apiKey ?? ProcessInfo.processInfo.environment["SWIFTLET_API_KEY"]
        configuration.corsOrigins = corsOrigin
        configuration.maxRequestsInFlight = maxRequests
        configuration.webRoot = webBuild
        configuration.shutdownGracePeriod = .milliseconds(Int64(shutdownGrace * 1000))
        try await SwiftletServer(models: hosted, configuration: configuration).runService { port in
            FileHandle.standardError.write(Data("swiftlet serving on http://\(host):\(port)/ (OpenAI API at /v1)\n".utf8))
        }
        FileHandle.standardError.write(Data("swiftlet serve: shut down\n".utf8))
    }
}
