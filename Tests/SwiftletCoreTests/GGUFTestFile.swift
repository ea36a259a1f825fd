import SwiftletCore

/// Builds GGUF bytes in memory for tests: valid files of any shape, and malformed ones on
/// purpose. Every field the reader checks can be overridden with an arbitrary raw value
/// (counts, string lengths, type ids, dimension counts, shapes, offsets), whole entries can
/// be replaced by raw bytes, and the result is a plain `[UInt8]` that tests may patch or
/// truncate further.
///
/// Layout written: "GGUF", u32 version, u64 tensor count, u64 metadata count, the metadata
/// (key string, u32 type, value), the tensor infos (name, u32 dims, u64 shape[dims], u32
/// type, u64 offset), zero padding to the alignment, then each tensor's data at its offset.
struct GGUFTestFile {
    /// A metadata value as written to the file.
    indirect enum Value {
        case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
        case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool)
        case string(String)
        /// A string whose length field says `length` but whose bytes are `bytes`.
        case rawString(length: UInt64, bytes: [UInt8])
        /// An array: element type id, the elements (each written without its own type id),
        /// and an optional lying count.
        case array(elementType: UInt32, [Value], count: UInt64? = nil)
        /// Any type id followed by any payload bytes.
        case raw(typeID: UInt32, payload: [UInt8])

        static func array(_ type: GGUFValueType, _ elements: [Value]) -> Value {
            .array(elementType: type.rawValue, elements)
        }

        static func strings(_ elements: [String]) -> Value {
            .array(elementType: GGUFValueType.string.rawValue, elements.map { .string($0) })
        }

        static func uint32s(_ elements: [UInt32]) -> Value {
            .array(elementType: GGUFValueType.uint32.rawValue, elements.map { .uint32($0) })
        }

        static func float32s(_ elements: [Float]) -> Value {
            .array(elementType: GGUFValueType.float32.rawValue, elements.map { .float32($0) })
        }

        var typeID: UInt32 {
            switch self {
            case .uint8: 0
            case .int8: 1
            case .uint16: 2
            case .int16: 3
            case .uint32: 4
            case .int32: 5
            case .float32: 6
            case .bool: 7
            case .string, .rawString: 8
            case .array: 9
            case .uint64: 10
            case .int64: 11
            case .float64: 12
            case let .raw(typeID, _): typeID
            }
        }

        /// The value's bytes without its type id.
        func writePayload(to out: inout [UInt8]) {
            switch self {
            case let .uint8(v): out.appendLittleEndian(v)
            case let .int8(v): out.appendLittleEndian(v)
            case let .uint16(v): out.appendLittleEndian(v)
            case let .int16(v): out.appendLittleEndian(v)
            case let .uint32(v): out.appendLittleEndian(v)
            case let .int32(v): out.appendLittleEndian(v)
            case let .uint64(v): out.appendLittleEndian(v)
            case let .int64(v): out.appendLittleEndian(v)
            case let .float32(v): out.appendLittleEndian(v.bitPattern)
            case let .float64(v): out.appendLittleEndian(v.bitPattern)
            case let .bool(v): out.append(v ? 1 : 0)
            case let .string(s): out.appendGGUFString( s)
            case let .rawString(length, bytes):
                out.appendLittleEndian(length)
                out += bytes
            case let .array(elementType, elements, count):
                out.appendLittleEndian(elementType)
                out.appendLittleEndian(count ?? UInt64(elements.count))
                for element in elements { element.writePayload(to: &out) }
            case let .raw(_, payload):
                out += payload
            }
        }
    }

    /// One metadata entry.
    enum Entry {
        case kv(String, Value)
        /// A key whose length field says `keyLength` but whose bytes are `keyBytes`, then a value.
        case rawKey(keyLength: UInt64, keyBytes: [UInt8], Value)
        /// Bytes written as they are in place of an entry.
        case raw([UInt8])
    }

    /// One tensor: its directory entry and the bytes placed in the data section.
    struct Tensor {
        var name: String
        var shape: [UInt64]
        var typeID: UInt32
        /// Data-section offset written to the file; nil lays the tensors out in order,
        /// each at the next multiple of the alignment.
        var offset: UInt64?
        /// Written at the tensor's offset (when it is inside the laid-out data section).
        var data: [UInt8]
        /// A lying name length.
        var nameLength: UInt64?
        /// A lying dimension count (the shape is still written as given).
        var dimensionCount: UInt32?
        /// Bytes written as they are in place of this directory entry (data still placed).
        var rawInfo: [UInt8]?

        /// A well-formed tensor of `type`, its data filled with a pattern seeded by `seed`.
        init(_ name: String, _ type: TensorType, shape: [Int], seed: UInt8 = 0) {
            self.name = name
            self.shape = shape.map { UInt64($0) }
            self.typeID = type.rawValue
            let count = type.byteCount(values: shape.reduce(1, *)) ?? 0
            self.data = Self.pattern(count: count, seed: seed)
        }

        /// A tensor with arbitrary raw fields and no data.
        init(_ name: String, typeID: UInt32, shape: [UInt64], offset: UInt64? = nil, data: [UInt8] = []) {
            self.name = name
            self.shape = shape
            self.typeID = typeID
            self.offset = offset
            self.data = data
        }

        static func pattern(count: Int, seed: UInt8) -> [UInt8] {
            (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed) &* 31 &+ 1) }
        }
    }

    /// Where things landed in the last `bytes()`.
    struct Layout {
        /// File offset where each metadata entry starts.
        var entryOffsets: [Int] = []
        /// File offset where each tensor info starts.
        var tensorInfoOffsets: [Int] = []
        /// File offset just past the last tensor info (where padding begins).
        var directoryEnd = 0
        /// File offset where the data section starts (nil if it was not written).
        var dataOffset: Int?
        /// Data-section offset of each tensor as written.
        var tensorOffsets: [UInt64] = []
    }

    var magic: UInt32 = GGUFFile.magic
    var version: UInt32 = 3
    /// Lying counts; nil writes the real ones.
    var tensorCount: UInt64?
    var metadataCount: UInt64?
    var metadata: [Entry] = []
    var tensors: [Tensor] = []
    /// When set, a `general.alignment` uint32 entry is appended to the metadata, and the
    /// data is laid out with this alignment (if it is a power of two up to 64 KiB; 32 otherwise).
    var alignment: UInt32?
    /// Whether to pad to the alignment and write the data section. By default only when
    /// there are tensors, so a file without tensors ends right after its metadata.
    var writesDataSection: Bool?
    /// Appended after everything else.
    var trailer: [UInt8] = []

    init(version: UInt32 = 3, metadata: [Entry] = [], tensors: [Tensor] = []) {
        self.version = version
        self.metadata = metadata
        self.tensors = tensors
    }

    /// The alignment the data section is laid out with.
    var layoutAlignment: Int {
        if let alignment, alignment > 0, alignment <= 1 << 16, alignment & (alignment - 1) == 0 { return Int(alignment) }
        return GGUFFile.defaultAlignment
    }

    func bytes() -> [UInt8] { build().bytes }

    func build() -> (bytes: [UInt8], layout: Layout) {
        var out: [UInt8] = []
        var layout = Layout()
        var entries = metadata
        if let alignment { entries.append(.kv(GGUFFile.alignmentKey, .uint32(alignment))) }

        out.appendLittleEndian(magic)
        out.appendLittleEndian(version)
        out.appendLittleEndian(tensorCount ?? UInt64(tensors.count))
        out.appendLittleEndian(metadataCount ?? UInt64(entries.count))

        for entry in entries {
            layout.entryOffsets.append(out.count)
            switch entry {
            case let .kv(key, value):
                out.appendGGUFString( key)
                out.appendLittleEndian(value.typeID)
                value.writePayload(to: &out)
            case let .rawKey(keyLength, keyBytes, value):
                out.appendLittleEndian(keyLength)
                out += keyBytes
                out.appendLittleEndian(value.typeID)
                value.writePayload(to: &out)
            case let .raw(bytes):
                out += bytes
            }
        }

        // Lay out the data: automatic offsets go at the next aligned position.
        let align = layoutAlignment
        var next: UInt64 = 0
        for tensor in tensors {
            if let offset = tensor.offset {
                layout.tensorOffsets.append(offset)
            } else {
                next = (next + UInt64(align) - 1) / UInt64(align) * UInt64(align)
                layout.tensorOffsets.append(next)
                next += UInt64(tensor.data.count)
            }
        }

        for (tensor, offset) in zip(tensors, layout.tensorOffsets) {
            layout.tensorInfoOffsets.append(out.count)
            if let raw = tensor.rawInfo {
                out += raw
                continue
            }
            let name = Array(tensor.name.utf8)
            out.appendLittleEndian(tensor.nameLength ?? UInt64(name.count))
            out += name
            out.appendLittleEndian(tensor.dimensionCount ?? UInt32(tensor.shape.count))
            for dimension in tensor.shape { out.appendLittleEndian(dimension) }
            out.appendLittleEndian(tensor.typeID)
            out.appendLittleEndian(offset)
        }
        layout.directoryEnd = out.count

        if writesDataSection ?? !tensors.isEmpty {
            while out.count % align != 0 { out.append(0) }
            let dataOffset = out.count
            layout.dataOffset = dataOffset
            for (tensor, offset) in zip(tensors, layout.tensorOffsets) where !tensor.data.isEmpty {
                // Data is placed only where it is within reach (a hostile offset has none).
                guard offset < 1 << 24 else { continue }
                let start = dataOffset + Int(offset)
                if out.count < start + tensor.data.count {
                    out += [UInt8](repeating: 0, count: start + tensor.data.count - out.count)
                }
                out.replaceSubrange(start..<(start + tensor.data.count), with: tensor.data)
            }
        }
        out += trailer
        return (out, layout)
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendGGUFString(_ string: String) {
        appendLittleEndian(UInt64(string.utf8.count))
        append(contentsOf: string.utf8)
    }

    /// Overwrites the little-endian bytes of `value` at `offset`.
    mutating func patchLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value.littleEndian) { replaceSubrange(offset..<(offset + $0.count), with: $0) }
    }
}

extension GGUFTestFile {
    /// Parses `bytes` and hands the file to `body` (the file only lives as long as the bytes).
    static func parse<R>(_ bytes: [UInt8], _ body: (GGUFFile) throws -> R) throws -> R {
        try bytes.withUnsafeBytes { raw in
            try body(try GGUFFile(bytes: raw))
        }
    }

    /// The error parsing `bytes` throws, or nil if it parses.
    static func error(parsing bytes: [UInt8]) -> GGUFError? {
        bytes.withUnsafeBytes { raw -> GGUFError? in
            do throws(GGUFError) {
                _ = try GGUFFile(bytes: raw)
                return nil
            } catch {
                return error
            }
        }
    }
}
