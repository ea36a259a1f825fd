/// The model families Swiftlet runs, by `general.architecture`.
public enum Architecture: String, Sendable, CaseIterable {
    case llama
    case qwen2
    case qwen3
    case phi3
    case gemma
    case gemma2
    case gemma3

    public static var supportedNames: String { allCases.map { $0.rawValue }.joined(separator: ", ") }

    init(_ file: GGUFFile) throws(ModelError) {
        let name: String
        do { name = try file.metadata.string("general.architecture") } catch { throw .metadata(error) }
        guard let architecture = Architecture(rawValue: name) else { throw .unsupportedArchitecture(name) }
        self = architecture
    }
}

/// Reads `<architecture>.<key>` metadata, with the error naming the full key.
struct HyperparameterReader {
    let metadata: GGUFMetadata
    let prefix: String

    func integer(_ key: String) throws(ModelError) -> Int {
        do { return try metadata.integer(prefix + "." + key) } catch { throw .metadata(error) }
    }

    func integer(_ key: String, default value: Int) throws(ModelError) -> Int {
        metadata.contains(prefix + "." + key) ? try integer(key) : value
    }

    func float(_ key: String) throws(ModelError) -> Float {
        do { return try metadata.float(prefix + "." + key) } catch { throw .metadata(error) }
    }

    func float(_ key: String, default value: Float) throws(ModelError) -> Float {
        metadata.contains(prefix + "." + key) ? try float(key) : value
    }

    func value(_ key: String) -> GGUFValue? { metadata[prefix + "." + key] }
}
