import Foundation

/// What the store records of each model, in `<name>.json` beside the file.
public struct ModelManifest: Codable, Equatable, Sendable {
    public var name: String
    public var source: String
    public var sha256: String
    public var size: Int64
    public var architecture: String
    public var quantization: String
    public var parameters: Int64
    public var addedAt: Date
    /// The model file: a file name inside the store, or an absolute path for a model
    /// imported by reference.
    public var file: String

    static func read(from path: String) throws(StoreError) -> ModelManifest {
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(ModelManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .io(path: path, reason: "unreadable manifest (\(error))")
        }
    }

    /// Writes to a temporary file and renames it over the old one, so a reader never sees
    /// half a manifest.
    func write(to path: String) throws(StoreError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let temporary = path + ".tmp"
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw .io(path: temporary, reason: "\(error)")
        }
        guard rename(temporary, path) == 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
    }
}
