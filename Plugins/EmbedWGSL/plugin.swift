import Foundation
import PackagePlugin

/// Compiles the package's `wgsl/` folder into the target as Swift string constants, so that
/// a built binary carries its kernels and the folder stays the one copy (the browser
/// fetches the same files).
@main
struct EmbedWGSL: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let folder = context.package.directoryURL.appending(path: "wgsl")
        let files = (FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? [])
            .filter { $0.pathExtension == "wgsl" }
            .sorted { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "WGSLSources.swift")
        return [.buildCommand(
            displayName: "Embedding \(files.count) WGSL kernels",
            executable: try context.tool(named: "WGSLEmbedder").url,
            arguments: [output.path, folder.path] + files.map(\.path),
            inputFiles: files, outputFiles: [output])]
    }
}
