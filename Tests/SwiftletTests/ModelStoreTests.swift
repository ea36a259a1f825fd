import Crypto
import Foundation
import Swiftlet
import Testing

/// The store against a local HTTP server that breaks off, answers 404, or is not there.
@Suite struct ModelStoreTests {
    /// A small but valid GGUF: one F32 tensor of `elements` values.
    static func gguf(elements: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += s.utf8 }
        bytes += Array("GGUF".utf8)
        u32(3); u64(1); u64(1)
        string("general.architecture"); u32(8); string("llama")
        string("blob"); u32(1); u64(UInt64(elements)); u32(0); u64(0)
        while bytes.count % 32 != 0 { bytes.append(0) }
        for i in 0..<elements { withUnsafeBytes(of: Float(i).bitPattern.littleEndian) { bytes += $0 } }
        return bytes
    }

    static func sha256(_ bytes: [UInt8]) -> String { SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined() }

    static func temporaryFolder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-store-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    let body = ModelStoreTests.gguf(elements: 300_000)  // 1.2 MB

    @Test func aDownloadCutMidStreamResumesAndCompletes() async throws {
        let server = try await TestHTTPServer(body: body)
        let store = ModelStore(root: Self.temporaryFolder())
        let manifest = try await store.pull(.init(server.url("/cut/model.gguf"), name: "m", sha256: Self.sha256(body)))
        try await server.shutdown()

        #expect(manifest.sha256 == Self.sha256(body))
        #expect(manifest.size == Int64(body.count))
        #expect(manifest.architecture == "llama")
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.modelPath(manifest))) == Data(body))
        // The retry asked for the rest only (a slow machine may need more than one retry).
        let requests = server.requests.withLock { $0 }
        #expect(requests.count >= 2)
        let resumedAt = requests.last?.split(separator: "=").last.flatMap { Int($0.dropLast()) } ?? 0
        #expect(resumedAt > 0 && resumedAt <= body.count / 2, "\(requests)")
        #expect(Self.files(in: store.root) == ["m.gguf", "m.json"])
    }

    @Test func aWrongChecksumIsRejectedAndNothingIsStored() async throws {
        let server = try await TestHTTPServer(body: body)
        let store = ModelStore(root: Self.temporaryFolder())
        let wrong = String(repeating: "0", count: 64)
        await #expect(throws: StoreError.checksumMismatch(name: "m", expected: wrong, actual: Self.sha256(body))) {
            try await store.pull(.init(server.url("/model.gguf"), name: "m", sha256: wrong))
        }
        try await server.shutdown()
        #expect(Self.files(in: store.root).isEmpty)
        #expect(throws: StoreError.self) { try store.manifest(named: "m") }
    }

    @Test func missingFilesAndRefusedConnectionsGiveClearErrors() async throws {
        let server = try await TestHTTPServer(body: body)
        let store = ModelStore(root: Self.temporaryFolder())
        let missing = server.url("/nothing.gguf")
        await #expect(throws: StoreError.httpStatus(url: missing, status: 404, reason: "Not Found")) {
            try await store.pull(.init(missing, name: "m"))
        }
        try await server.shutdown()

        // Nothing listens on port 1.
        let refused = "http://127.0.0.1:1/model.gguf"
        do {
            try await store.pull(.init(refused, name: "m"))
            Issue.record("a pull from a refused connection succeeded")
        } catch let error as StoreError {
            #expect(error.description.hasPrefix("cannot reach \(refused): connection refused"), "\(error)")
        }
        #expect(Self.files(in: store.root).isEmpty)
    }

    @Test func aFullDiskIsRefusedUpFront() async throws {
        let server = try await TestHTTPServer(body: body)
        let store = ModelStore(root: Self.temporaryFolder(), freeSpace: { _ in 1000 })
        await #expect(throws: StoreError.insufficientSpace(folder: store.root, needed: Int64(body.count), available: 1000)) {
            try await store.pull(.init(server.url("/model.gguf"), name: "m"))
        }
        try await server.shutdown()
        #expect(Self.files(in: store.root).isEmpty)
    }

    @Test func concurrentPullsOfOneModelEndWithOneGoodFile() async throws {
        let server = try await TestHTTPServer(body: body)
        let store = ModelStore(root: Self.temporaryFolder())
        let request = ModelStore.PullRequest(server.url("/slow/model.gguf"), name: "m", sha256: Self.sha256(body))
        async let first = store.pull(request)
        async let second = store.pull(request)
        let (a, b) = try await (first, second)
        try await server.shutdown()

        #expect(a == b)
        #expect(server.requests.withLock { $0 }.count == 1)  // the second waited, then found the model
        #expect(Self.files(in: store.root) == ["m.gguf", "m.json"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.modelPath(a))) == Data(body))
    }

    @Test func somethingThatIsNotAModelIsNotStored() async throws {
        let server = try await TestHTTPServer(body: Array(repeating: 0x41, count: 5000))
        let store = ModelStore(root: Self.temporaryFolder())
        do {
            try await store.pull(.init(server.url("/model.gguf"), name: "m"))
            Issue.record("a file that is not GGUF was stored")
        } catch let error as StoreError {
            guard case .notAModel = error else { Issue.record("\(error)"); return }
        }
        try await server.shutdown()
        #expect(Self.files(in: store.root).isEmpty)
    }

    @Test func localFilesAreImportedByCopyOrByReferenceListedAndRemoved() async throws {
        let folder = Self.temporaryFolder()
        let original = folder + "/original.gguf"
        try Data(body).write(to: URL(fileURLWithPath: original))
        let store = ModelStore(root: folder + "/store")

        let copied = try await store.pull(.init(original, name: "copied"))
        let referenced = try await store.pull(.init(original, name: "referenced", byReference: true))
        #expect(copied.file == "copied.gguf")
        #expect(referenced.file == original)
        #expect(copied.sha256 == Self.sha256(body) && referenced.sha256 == copied.sha256)
        #expect(try store.list().map(\.name) == ["copied", "referenced"])

        try await store.remove("referenced")
        #expect(FileManager.default.fileExists(atPath: original))  // not ours to delete
        try await store.remove("copied")
        #expect(try store.list().isEmpty)
        #expect(Self.files(in: store.root).isEmpty)
        await #expect(throws: StoreError.notFound("copied", available: [])) { try await store.remove("copied") }
        await #expect(throws: StoreError.invalidName("../x")) { try await store.pull(.init(original, name: "../x")) }
    }
}
