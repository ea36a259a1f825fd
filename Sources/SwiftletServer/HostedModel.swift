import Swiftlet
import SwiftletCore

/// A model the server answers with, under the name clients ask for.
public struct HostedModel: Sendable {
    public let name: String
    public let model: LanguageModel

    public init(name: String, model: LanguageModel) {
        self.name = name
        self.model = model
    }

    var summary: ModelSummary { ModelSummary(model.model.file.gguf) }
}
