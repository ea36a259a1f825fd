/// Memory holding a model file (a read-only mapping natively, WebAssembly memory on the
/// web), released when the last reference goes. Everything parsed from the file keeps a
/// reference, so no view can outlive the bytes it points into.
public final class ModelBytes {
    public let bytes: UnsafeRawBufferPointer
    private let release: (UnsafeRawBufferPointer) -> Void

    public init(_ bytes: UnsafeRawBufferPointer, release: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.bytes = bytes
        self.release = release
    }

    deinit { release(bytes) }
}

/// One tensor's entry in the file's directory, validated against the data section.
public struct TensorInfo {
    /// ggml tensors have at most 4 dimensions.
    public static let maxDimensions = 4

    public let name: String
    public let type: TensorType
    /// Dimensions innermost first, as ggml stores them: `shape[0]` is the row length.
    public let shape: [Int]
    /// Byte offset of the tensor's data from the start of the data section.
    public let offset: Int
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
    public var rowLength: Int { shape[0] }
    public var rowCount: Int { shape[0] == 0 ? 0 : elementCount / shape[0] }
    public var rowBytes: Int { rowLength / type.blockLength * type.blockBytes }
}

/// A parsed GGUF file (versions 2 and 3, little-endian) over bytes it does not own: the
/// native shell maps the file read-only, the web shell hands in WebAssembly memory. Nothing
/// is copied; every count, length, offset and size was checked when it was opened.
///
/// Layout: "GGUF", u32 version, u64 tensor count, u64 metadata count, the metadata
/// (key string, u32 type, value), the tensor infos (name, u32 dims, u64 shape[dims],
/// u32 type, u64 offset), padding to `alignment`, then the tensor data.
public struct GGUFFile {
    public static let magic: UInt32 = 0x4655_4747  // "GGUF" read as little-endian
    public static let defaultAlignment = 32
    public static let alignmentKey = "general.alignment"

    public let bytes: UnsafeRawBufferPointer
    /// Keeps the bytes alive while anything parsed from them is (nil when the caller
    /// guarantees that itself).
    public let owner: ModelBytes?
    public let version: UInt32
    public let metadata: GGUFMetadata
    public let tensors: [TensorInfo]
    public let alignment: Int
    /// Where tensor data starts, from the start of the file.
    public let dataOffset: Int
    private let tensorIndex: NameIndex

    /// Parses bytes that stay valid for as long as `owner` (and so this file and what is
    /// built from it: tokenizers, models) is alive.
    public init(_ owner: ModelBytes) throws(GGUFError) {
        try self.init(bytes: owner.bytes, owner: owner)
    }

    /// Parses bytes the caller keeps valid for as long as the result is used.
    public init(bytes: UnsafeRawBufferPointer) throws(GGUFError) {
        try self.init(bytes: bytes, owner: nil)
    }

    private init(bytes: UnsafeRawBufferPointer, owner: ModelBytes?) throws(GGUFError) {
        self.bytes = bytes
        self.owner = owner
        var reader = ByteReader(bytes)

        reader.field = "magic"
        let magic = try reader.read(UInt32.self)
        guard magic == Self.magic else { throw .badMagic(found: magic) }
        reader.field = "version"
        version = try reader.read(UInt32.self)
        guard version == 2 || version == 3 else { throw .unsupportedVersion(version) }

        reader.field = "tensor count"
        // A tensor info takes at least a name length, 1 dimension, a type and an offset.
        let tensorCount = try reader.readCount(minimumItemSize: 8 + 4 + 8 + 4 + 8)
        reader.field = "metadata count"
        // A metadata entry takes at least a key length, a type and a 1-byte value.
        let metadataCount = try reader.readCount(minimumItemSize: 8 + 4 + 1)

        metadata = try Self.readMetadata(count: metadataCount, from: &reader)
        alignment = try Self.alignment(in: metadata)

        let directory = try Self.readTensorDirectory(count: tensorCount, from: &reader)
        tensorIndex = NameIndex(names: directory.map { $0.name }, in: bytes)
        if let position = tensorIndex.duplicate() {
            throw .duplicateTensor(bytes.text(directory[position].name))
        }

        // The data section starts at the next multiple of the alignment. A file without
        // tensors may end before it.
        let (padded, overflow) = reader.offset.addingReportingOverflow(alignment - 1)
        guard !overflow else { throw reader.truncated(needing: alignment) }
        dataOffset = padded / alignment * alignment
        // Negative when the file ends inside the padding: then no tensor, not even an
        // empty one, has a place to start.
        let dataSize = bytes.count - dataOffset
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(directory.count)
        for entry in directory {
            tensors.append(try Self.validate(entry, in: bytes, alignment: alignment, dataSize: dataSize))
        }
        self.tensors = tensors
    }

    public func tensor(named name: String) -> TensorInfo? {
        tensorIndex.position(of: name).map { tensors[$0] }
    }

    /// The bytes of a tensor's data (validated to lie inside the file).
    public func data(of tensor: TensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + tensor.offset
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + tensor.byteCount)])
    }

    // MARK: Reading

    private static func readMetadata(count: Int, from reader: inout ByteReader) throws(GGUFError) -> GGUFMetadata {
        var entries: [GGUFMetadata.Entry] = []
        entries.reserveCapacity(count)
        var keys: [Range<Int>] = []
        keys.reserveCapacity(count)
        for i in 0..<count {
            reader.field = "key of metadata entry #\(i)"
            let key = try reader.readString()
            reader.field = "metadata '\(reader.bytes.text(key))'"
            let typeOffset = reader.offset
            let rawType = try reader.read(UInt32.self)
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw .unknownValueType(key: reader.bytes.text(key), typeID: rawType, offset: typeOffset)
            }
            let value = try GGUFValue.read(type, from: &reader, key: key)
            keys.append(key)
            entries.append(.init(key: GGUFString(utf8: UnsafeRawBufferPointer(rebasing: reader.bytes[key])), value: value))
        }
        let index = NameIndex(names: keys, in: reader.bytes)
        if let position = index.duplicate() {
            throw .duplicateKey(reader.bytes.text(keys[position]))
        }
        return GGUFMetadata(entries: entries, index: index)
    }

    private static func alignment(in metadata: GGUFMetadata) throws(GGUFError) -> Int {
        guard let value = metadata[alignmentKey] else { return defaultAlignment }
        guard let wide = value.integer else {
            throw .typeMismatch(key: alignmentKey, expected: "uint32", found: value.type)
        }
        // Bounded so that padding arithmetic cannot overflow.
        guard wide > 0, wide <= 1 << 30, wide & (wide - 1) == 0 else {
            throw .invalidAlignment(key: alignmentKey, value: UInt64(bitPattern: wide))
        }
        return Int(wide)
    }

    /// A tensor info as read, before it is checked against the data section.
    private struct DirectoryEntry {
        let name: Range<Int>
        let shape: [UInt64]
        let typeID: UInt32
        let offset: UInt64
    }

    private static func readTensorDirectory(count: Int, from reader: inout ByteReader) throws(GGUFError) -> [DirectoryEntry] {
        var entries: [DirectoryEntry] = []
        entries.reserveCapacity(count)
        for i in 0..<count {
            reader.field = "name of tensor #\(i)"
            let name = try reader.readString()
            reader.field = "tensor '\(reader.bytes.text(name))'"
            let dimensionCount = try reader.read(UInt32.self)
            guard dimensionCount >= 1, dimensionCount <= TensorInfo.maxDimensions else {
                throw .invalidDimensionCount(tensor: reader.bytes.text(name), count: dimensionCount)
            }
            var shape: [UInt64] = []
            shape.reserveCapacity(Int(dimensionCount))
            for _ in 0..<dimensionCount { shape.append(try reader.read(UInt64.self)) }
            let typeID = try reader.read(UInt32.self)
            let offset = try reader.read(UInt64.self)
            entries.append(DirectoryEntry(name: name, shape: shape, typeID: typeID, offset: offset))
        }
        return entries
    }

    private static func validate(
        _ entry: DirectoryEntry, in bytes: UnsafeRawBufferPointer, alignment: Int, dataSize: Int
    ) throws(GGUFError) -> TensorInfo {
        let name = bytes.text(entry.name, limit: Int.max)
        guard let type = TensorType(rawValue: entry.typeID) else {
            throw .unknownTensorType(tensor: name, typeID: entry.typeID)
        }
        var elements: UInt64 = 1
        for dimension in entry.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            // Each dimension is checked too: after a 0, the product stays 0 whatever follows.
            guard !overflow, product <= UInt64(Int.max), dimension <= UInt64(Int.max) else {
                throw .shapeOverflow(tensor: name)
            }
            elements = product
        }
        let shape = entry.shape.map { Int($0) }
        guard shape[0] % type.blockLength == 0 else {
            throw .rowNotWholeBlocks(tensor: name, type: type, rowLength: shape[0])
        }
        // Whole rows make whole blocks, so these fail only when a byte count overflows (the
        // row's can, beside a 0 dimension, and `TensorInfo.rowBytes` must not).
        guard type.byteCount(values: shape[0]) != nil, let byteCount = type.byteCount(values: Int(elements)) else {
            throw .shapeOverflow(tensor: name)
        }
        guard entry.offset % UInt64(alignment) == 0 else {
            throw .misalignedTensor(tensor: name, offset: entry.offset, alignment: alignment)
        }
        guard dataSize >= 0, entry.offset <= UInt64(dataSize), UInt64(byteCount) <= UInt64(dataSize) - entry.offset else {
            throw .tensorDataOutOfBounds(
                tensor: name, offset: entry.offset, byteCount: UInt64(byteCount), dataSize: max(0, dataSize))
        }
        return TensorInfo(name: name, type: type, shape: shape, offset: Int(entry.offset), byteCount: byteCount)
    }
}
