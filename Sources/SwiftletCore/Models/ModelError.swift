/// Why a model could not be loaded or run.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case metadata(GGUFError)
    case unsupportedArchitecture(String)
    case missingTensor(String)
    case badShape(tensor: String, expected: String, found: [Int])
    case unsupportedTensorType(tensor: String, type: String)
    case invalidHyperparameter(String)
    case unsupportedFeature(String)
    case tokenizer(TokenizerError)

    public var description: String {
        switch self {
        case let .metadata(error): "\(error)"
        case let .unsupportedArchitecture(name):
            "unsupported architecture '\(name)': Swiftlet supports \(Architecture.supportedNames)"
        case let .missingTensor(name): "the model has no tensor '\(name)'"
        case let .badShape(tensor, expected, found):
            "tensor '\(tensor)' has shape \(found.map { String($0) }.joined(separator: " × ")), expected \(expected)"
        case let .unsupportedTensorType(tensor, type):
            "tensor '\(tensor)' is \(type), which Swiftlet cannot compute with yet"
        case let .invalidHyperparameter(what): "invalid model metadata: \(what)"
        case let .unsupportedFeature(what): "the model uses \(what), which Swiftlet does not support yet"
        case let .tokenizer(error): "\(error)"
        }
    }
}
