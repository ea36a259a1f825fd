import Foundation
import SwiftletCore

/// The committed tensor-format fixtures (scripts/make-fixtures): rows quantized or
/// dequantized by the `gguf` Python package, read back as raw bytes.
struct QuantFixture: Sendable, CustomStringConvertible {
    let type: TensorType
    let rows: Int
    let columns: Int
    let source: String
    /// rows × rowBytes, the quantized rows back to back.
    let blocks: [UInt8]
    /// rows × columns, gguf's dequantization of `blocks`.
    let values: [Float]

    var description: String { type.name }
    var rowBytes: Int { blocks.count / rows }

    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/quant")

    static let all: [QuantFixture] = {
        let manifest = try! JSONSerialization.jsonObject(
            with: Data(contentsOf: directory.appendingPathComponent("manifest.json"))) as! [String: Any]
        return (manifest["types"] as! [[String: Any]]).map { entry in
            let name = entry["type"] as! String
            return QuantFixture(
                type: TensorType(rawValue: UInt32(entry["type_id"] as! Int))!,
                rows: entry["rows"] as! Int, columns: entry["cols"] as! Int,
                source: entry["source"] as! String,
                blocks: bytes("\(name).bin"), values: floats("\(name).f32"))
        }
    }()

    static func bytes(_ file: String) -> [UInt8] {
        [UInt8](try! Data(contentsOf: directory.appendingPathComponent(file)))
    }

    static func floats(_ file: String) -> [Float] {
        let data = bytes(file)
        return stride(from: 0, to: data.count, by: 4).map { i in
            Float(bitPattern: UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24)
        }
    }

    /// 4 rows × 512 seeded normal values and gguf's Q8_0 quantization of them.
    static let activation = floats("activation.f32")
    static let activationQ8_0 = bytes("activation.Q8_0.bin")
}
