import ArgumentParser

@main
struct SwiftletCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "Run small language models on your own machine.",
        subcommands: [Inspect.self, Tokenize.self, Run.self, Perplexity.self])
}
