import ArgumentParser
import Foundation
import Swiftlet

/// Options every command that loads a model shares: which model, and where the store is.
struct ModelOptions: ParsableArguments {
    @Argument(help: "A stored model's name, a known model (pulled on first use), or a path to a .gguf file. Default: \(KnownModel.defaultName).")
    var model: String?

    @OptionGroup var storeOptions: StoreOptions

    init() {}

    init(model: String, storeOptions: StoreOptions) {
        self.model = model
        self.storeOptions = storeOptions
    }

    var store: ModelStore { storeOptions.store }

    /// The model file to open: a path as given, a stored model, or a known model pulled now.
    func resolvePath() async throws -> String {
        let name = model ?? KnownModel.defaultName
        if name.contains("/") || name.hasSuffix(".gguf") {
            guard FileManager.default.fileExists(atPath: name) else { throw CLIError("no such file: \(name)") }
            return name
        }
        let pulling = (try? store.manifest(named: name)) == nil && KnownModel.named(name) != nil
        let progress = pulling ? ProgressDisplay(title: "pulling \(name)") : nil
        do {
            let path = try await store.modelPath(named: name) { progress?.update($0) }
            if let progress { progress.finish("pulled \(name) (\(ByteCount(try store.manifest(named: name).size)))") }
            return path
        } catch {
            progress?.finish("")
            throw CLIError("\(error)")
        }
    }
}

/// Bytes as a person reads them: "98.4 MB".
struct ByteCount: CustomStringConvertible {
    let bytes: Int64
    init(_ bytes: Int64) { self.bytes = bytes }

    var description: String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
