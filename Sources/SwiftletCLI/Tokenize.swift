import ArgumentParser
import Foundation
import Swiftlet
import SwiftletCore

struct Tokenize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the token ids of a text, as the model sees it.")

    @Argument(help: "A stored model's name, a known model (pulled on first use), or a path to a .gguf file.")
    var model: String

    @Argument(help: "The text (default: --file, or standard input).")
    var text: String?

    @Option(help: "Read the text from a file.")
    var file: String?

    @Flag(help: "Turn special-token text such as <|im_start|> into those tokens (as for chat prompts).")
    var special = false

    @Flag(name: .customLong("no-bos"), help: "Do not add the BOS/EOS tokens the model asks for.")
    var noBOS = false

    @Flag(help: "Also print each token's text.")
    var pieces = false

    @Flag(help: "Print JSON: {\"ids\": [...]} (and \"pieces\" with --pieces).")
    var json = false

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        let bytes: [UInt8]
        if let text {
            bytes = Array(text.utf8)
        } else if let file {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        } else {
            bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        }
        let modelFile = try ModelFile(path: try await ModelOptions(model: model, storeOptions: storeOptions).resolvePath())
        let tokenizer: Tokenizer
        do { tokenizer = try Tokenizer(modelFile.gguf) } catch { throw CLIError(error.description) }
        let ids = bytes.withUnsafeBytes { tokenizer.encode($0, addSpecial: !noBOS, parseSpecial: special) }
        let texts = ids.map { String(decoding: tokenizer.piece($0, special: true), as: UTF8.self) }
        if json {
            var fields: [(String, JSON)] = [("ids", .array(ids.map { .int(Int64($0)) }))]
            if pieces { fields.append(("pieces", .array(texts.map(JSON.string)))) }
            print(JSON.object(fields).rendered())
        } else if pieces {
            for (id, text) in zip(ids, texts) { print("\(id)\t\(JSON.string(text).rendered())") }
        } else {
            print(ids.map(String.init).joined(separator: " "))
        }
    }
}

/// An error message for the user, printed by ArgumentParser as "Error: …".
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
