import ArgumentParser
import Foundation
import Swiftlet
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
    var context = 2048

    @Option(help: "Threads per model (default: all cores).")
    var threads = ThreadPool.defaultThreadCount

    @Option(help: "The web build to serve at /web/ (default: ./web when it holds swiftlet.js).")
    var webRoot: String?

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        var hosted: [HostedModel] = []
        for name in models.isEmpty ? [KnownModel.defaultName] : models {
            let path = try await ModelOptions(model: name, storeOptions: storeOptions).resolvePath()
            let model = try await LanguageModel(path: path, configuration: .init(contextSize: context, threads: threads))
            let id = name.hasSuffix(".gguf") ? URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent : name
            hosted.append(HostedModel(name: id, model: model))
            FileHandle.standardError.write(Data("loaded \(id) in \(Int(model.loadDuration.seconds * 1000)) ms\n".utf8))
        }
        var configuration = SwiftletServer.Configuration()
        configuration.host = host
        configuration.port = port
        configuration.apiKey = apiKey ?? ProcessInfo.processInfo.environment["SWIFTLET_API_KEY"]
        configuration.corsOrigins = corsOrigin
        configuration.maxRequestsInFlight = maxRequests
        configuration.webRoot = webRoot ?? (FileManager.default.fileExists(atPath: "web/swiftlet.js") ? "web" : nil)
        try await SwiftletServer(models: hosted, configuration: configuration).run { port in
            FileHandle.standardError.write(Data("swiftlet serving on http://\(host):\(port)/ (OpenAI API at /v1)\n".utf8))
        }
    }
}
