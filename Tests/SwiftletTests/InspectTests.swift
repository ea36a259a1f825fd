import Foundation
import Swiftlet
import Testing

/// `swiftlet inspect` on the real models against what the `gguf` Python package reads from
/// the same files (Fixtures/inspect, made by scripts/make-fixtures).
@Suite struct InspectTests {
    static let models: [(name: String, path: Result<String, any Error>)] = [
        ("SmolLM2-135M-Instruct.Q4_1.gguf", TestModels.smolLM2),
        ("gemma-3-270m-q4_k_m.gguf", TestModels.gemma3),
    ]

    static func reference(_ name: String) throws -> [String: Any] {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/inspect/\(name).json")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    @Test(arguments: [0, 1])
    func agreesWithGGUFPackage(_ index: Int) throws {
        let (name, path) = Self.models[index]
        let model = try ModelFile(path: try path.get())
        let json = ModelInspection.json(model, includeTensors: true).rendered()
        let ours = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        let expected = try Self.reference(name)

        for key in ["file_size", "version", "alignment", "data_offset", "tensor_count", "kv_count",
                    "total_tensor_bytes", "parameter_count"] {
            #expect(ours[key] as? Int == expected[key] as? Int, "\(name): \(key)")
        }

        let ourTensors = ours["tensors"] as! [[String: Any]]
        let expectedTensors = expected["tensors"] as! [[String: Any]]
        #expect(ourTensors.count == expectedTensors.count)
        for (t, e) in zip(ourTensors, expectedTensors) {
            let label = "\(name): tensor \(e["name"]!)"
            #expect(t["name"] as? String == e["name"] as? String, "\(label) name")
            #expect(t["type"] as? String == e["type"] as? String, "\(label) type")
            #expect(t["shape"] as? [Int] == e["shape"] as? [Int], "\(label) shape")
            #expect(t["offset"] as? Int == e["offset"] as? Int, "\(label) offset")
            #expect(t["n_bytes"] as? Int == e["n_bytes"] as? Int, "\(label) bytes")
        }

        let ourMetadata = ours["metadata"] as! [[String: Any]]
        let expectedMetadata = expected["metadata"] as! [[String: Any]]
        #expect(ourMetadata.map { $0["key"] as! String } == expectedMetadata.map { $0["key"] as! String })
        for (m, e) in zip(ourMetadata, expectedMetadata) {
            let key = e["key"] as! String
            #expect(m["type"] as? String == e["type"] as? String, "\(name): \(key) type")
            if e["type"] as? String == "array" {
                #expect(m["element_type"] as? String == e["element_type"] as? String, "\(name): \(key) element type")
                #expect(m["count"] as? Int == e["count"] as? Int, "\(name): \(key) count")
            } else {
                #expect((m["value"] as? NSObject) == (e["value"] as? NSObject), "\(name): \(key) value")
            }
        }
    }

    @Test func textReportAnswersHowLargeTheModelIs() throws {
        let model = try ModelFile(path: try TestModels.smolLM2.get())
        let text = ModelInspection.text(model, includeTensors: false)
        #expect(text.contains("architecture    llama"))
        #expect(text.contains("134,515,008"))
        #expect(text.contains("98,362,432 bytes"))
        #expect(text.contains("gpt2 (pre: smollm), 49,152 tokens"))
        #expect(text.contains("Q4_1"))
    }

    @Test func badFilesGiveErrorsThatNameTheProblem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-inspect-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        #expect(throws: ModelFileError.cannotOpen(path: "/nonexistent.gguf", reason: "No such file or directory")) {
            try ModelFile(path: "/nonexistent.gguf")
        }
        #expect(throws: ModelFileError.notARegularFile(path: directory.path)) { try ModelFile(path: directory.path) }

        let empty = directory.appendingPathComponent("empty.gguf").path
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(throws: ModelFileError.empty(path: empty)) { try ModelFile(path: empty) }

        // The first megabyte of a real model: the header parses, the tensor data is missing.
        let truncated = directory.appendingPathComponent("truncated.gguf").path
        let real = try Data(contentsOf: URL(fileURLWithPath: try TestModels.smolLM2.get()))
        #expect(FileManager.default.createFile(atPath: truncated, contents: real.prefix(1_000_000)))
        let error = try #require(throws: ModelFileError.self) { try ModelFile(path: truncated) }
        #expect(error.description.contains("truncated"), "\(error)")
    }
}
