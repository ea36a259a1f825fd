import SwiftletCore

/// `swiftlet inspect`: what a model file holds, as JSON for tools and as text for people.
public enum ModelInspection {
    public static func json(_ model: ModelFile, includeTensors: Bool) -> JSON {
        let gguf = model.gguf
        let summary = ModelSummary(gguf)
        var fields: [(String, JSON)] = [
            ("file", .string(model.path)),
            ("file_size", .int(Int64(model.fileSize))),
            ("version", .uint(UInt64(gguf.version))),
            ("alignment", .int(Int64(gguf.alignment))),
            ("data_offset", .int(Int64(gguf.dataOffset))),
            ("architecture", summary.architecture.map(JSON.string) ?? .null),
            ("name", summary.name.map(JSON.string) ?? .null),
            ("context_length", summary.contextLength.map { .int(Int64($0)) } ?? .null),
            ("parameter_count", .int(Int64(summary.parameterCount))),
            ("tensor_count", .int(Int64(gguf.tensors.count))),
            ("total_tensor_bytes", .int(Int64(summary.tensorBytes))),
            ("kv_count", .int(Int64(gguf.metadata.count))),
            ("types", .array(summary.types.map { usage in
                .object([
                    ("type", .string(usage.type.name)),
                    ("tensors", .int(Int64(usage.tensors))),
                    ("parameters", .int(Int64(usage.parameters))),
                    ("bytes", .int(Int64(usage.bytes))),
                ])
            })),
            ("tokenizer", .object([
                ("model", summary.tokenizerModel.map(JSON.string) ?? .null),
                ("pre", summary.tokenizerPre.map(JSON.string) ?? .null),
                ("vocab_size", summary.vocabularySize.map { .int(Int64($0)) } ?? .null),
            ])),
            ("chat_template", .bool(summary.hasChatTemplate)),
            ("metadata", .array(gguf.metadata.entries.map(metadataJSON))),
        ]
        if includeTensors {
            fields.append(("tensors", .array(gguf.tensors.map(tensorJSON))))
        }
        return .object(fields)
    }

    /// One metadata entry: key, type and value; arrays give their element type and count
    /// instead of their (possibly 262k) elements.
    static func metadataJSON(_ entry: GGUFMetadata.Entry) -> JSON {
        var fields: [(String, JSON)] = [("key", .string(entry.key.string)), ("type", .string(entry.value.type.name))]
        switch entry.value {
        case let .array(array):
            fields += [("element_type", .string(array.elementType.name)), ("count", .int(Int64(array.count)))]
        case let .string(s): fields.append(("value", .string(s.string)))
        case let .bool(b): fields.append(("value", .bool(b)))
        case let .float32(f): fields.append(("value", .double(Double(f))))
        case let .float64(d): fields.append(("value", .double(d)))
        case let .uint64(u): fields.append(("value", .uint(u)))
        default: fields.append(("value", .int(entry.value.integer!)))
        }
        return .object(fields)
    }

    static func tensorJSON(_ tensor: TensorInfo) -> JSON {
        .object([
            ("name", .string(tensor.name)),
            ("type", .string(tensor.type.name)),
            ("type_id", .uint(UInt64(tensor.type.rawValue))),
            ("shape", .array(tensor.shape.map { .int(Int64($0)) })),
            ("offset", .int(Int64(tensor.offset))),
            ("n_bytes", .int(Int64(tensor.byteCount))),
        ])
    }

    public static func text(_ model: ModelFile, includeTensors: Bool) -> String {
        let gguf = model.gguf
        let s = ModelSummary(gguf)
        var tokenizer = s.tokenizerModel ?? "none"
        if let pre = s.tokenizerPre { tokenizer += " (pre: \(pre))" }
        if let size = s.vocabularySize { tokenizer += ", \(grouped(size)) tokens" }
        let rows: [(String, String)] = [
            ("architecture", s.architecture ?? "unknown"),
            ("name", s.name ?? "-"),
            ("context length", s.contextLength.map(grouped) ?? "-"),
            ("parameters", "\(scaled(s.parameterCount, unit: "")) (\(grouped(s.parameterCount)))"),
            ("file size", "\(scaled(model.fileSize, unit: "B")) (\(grouped(model.fileSize)) bytes)"),
            ("tensors", "\(gguf.tensors.count), \(scaled(s.tensorBytes, unit: "B")) of data"),
            ("tokenizer", tokenizer),
            ("chat template", s.hasChatTemplate ? "yes" : "no"),
            ("GGUF", "v\(gguf.version), \(gguf.metadata.count) metadata keys, alignment \(gguf.alignment), data at byte \(grouped(gguf.dataOffset))"),
        ]
        var out = model.path + "\n"
        for (label, value) in rows { out += "  " + padded(label, 16) + value + "\n" }

        out += "\n  " + padded("type", 8) + leftPadded("tensors", 8) + leftPadded("parameters", 14) + leftPadded("bytes", 16) + leftPadded("share", 8) + "\n"
        for usage in s.types {
            let share = s.tensorBytes > 0 ? usage.bytes * 1000 / s.tensorBytes : 0
            out += "  " + padded(usage.type.name, 8) + leftPadded(grouped(usage.tensors), 8)
                + leftPadded(grouped(usage.parameters), 14) + leftPadded(grouped(usage.bytes), 16)
                + leftPadded("\(share / 10).\(share % 10)%", 8) + "\n"
        }
        if includeTensors {
            out += "\n  " + padded("name", 32) + padded("type", 8) + padded("shape", 20) + leftPadded("bytes", 14) + "\n"
            for t in gguf.tensors {
                let shape = t.shape.map(String.init).joined(separator: " × ")
                out += "  " + padded(t.name, 32) + padded(t.type.name, 8) + padded(shape, 20) + leftPadded(grouped(t.byteCount), 14) + "\n"
            }
        }
        return out
    }

    /// 134515008 → "134,515,008".
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, digit) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return value < 0 ? "-" + out : out
    }

    /// 98362432 → "98.4 MB" (decimal units, one decimal).
    static func scaled(_ value: Int, unit: String) -> String {
        let prefixes = ["", "K", "M", "G", "T"]
        var tenths = value * 10
        var index = 0
        while tenths >= 10_000 && index < prefixes.count - 1 {
            tenths /= 1000
            index += 1
        }
        let suffix = prefixes[index] + unit
        return "\(tenths / 10).\(tenths % 10)" + (suffix.isEmpty ? "" : " " + suffix)
    }

    private static func padded(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    private static func leftPadded(_ s: String, _ width: Int) -> String {
        s.count >= width ? " " + s : String(repeating: " ", count: width - s.count) + s
    }
}
