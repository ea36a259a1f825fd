import ArgumentParser

@main
struct SwiftletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftlet",
        abstract: "Run small language models on your own machine.",
        subcommands: [
            Pull.self, List.self, Remove.self, Inspect.self, Run.self, Chat.self, Serve.self, Bench.self, Tokenize.self,
            Perplexity.self,
        ])
}
