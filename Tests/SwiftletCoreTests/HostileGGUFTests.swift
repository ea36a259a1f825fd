import SwiftletCore
import Testing

/// Malformed and hostile GGUF files: each must be rejected with its own `GGUFError` case,
/// never a trap, and without allocating anything sized by an unchecked count.
@Suite struct HostileGGUFTests {
    typealias Value = GGUFTestFile.Value
    typealias Tensor = GGUFTestFile.Tensor

    /// A small valid file whose tensors' data ends the file, so that every truncation of
    /// it must fail.
    static let small: GGUFTestFile = GGUFTestFile(
        metadata: [
            .kv("general.architecture", .string("llama")),
            .kv("llama.block_count", .uint32(1)),
            .kv("tokenizer.ggml.tokens", .strings(["<s>", "a", ""])),
            .kv("nested", .array(.array, [.array(.int16, [.int16(-1)])])),
            .kv("f", .float64(0.5)),
        ],
        tensors: [
            Tensor("w", .f32, shape: [4, 2], seed: 1),
            Tensor("q", .q8_0, shape: [32], seed: 2),
        ])

    /// The file around one tensor entry (and nothing else) with raw fields.
    static func oneTensor(_ tensor: Tensor, dataBytes: Int = 64) -> [UInt8] {
        var file = GGUFTestFile(tensors: [tensor])
        file.writesDataSection = true
        file.trailer = [UInt8](repeating: 0xAB, count: dataBytes)
        return file.bytes()
    }

    static func oneEntry(_ key: String = "k", _ value: Value) -> [UInt8] {
        GGUFTestFile(metadata: [.kv(key, value)]).bytes()
    }

    // MARK: Truncation

    @Test func everyTruncationFailsWithATruncationError() throws {
        let (full, layout) = Self.small.build()
        #expect(full.count > 200 && full.count < 512, "\(full.count) bytes")
        try GGUFTestFile.parse(full) { file throws in
            #expect(file.tensors.count == 2)
            #expect(file.dataOffset + file.tensors[1].offset + file.tensors[1].byteCount == full.count)
        }
        var counts: [String: Int] = [:]
        for length in 0..<full.count {
            let error = GGUFTestFile.error(parsing: Array(full[0..<length]))
            switch error {
            case nil:
                Issue.record("truncated at \(length) of \(full.count) parsed")
            case .truncated?:
                counts["truncated", default: 0] += 1
                #expect(length < layout.directoryEnd, "at \(length): \(error!)")
            case .countTooLarge?:
                counts["countTooLarge", default: 0] += 1
                #expect(length < layout.directoryEnd, "at \(length): \(error!)")
            case let .tensorDataOutOfBounds(tensor, _, _, _)?:
                counts["tensorDataOutOfBounds", default: 0] += 1
                // Only once the whole directory has been read.
                #expect(length >= layout.directoryEnd, "at \(length): \(error!)")
                #expect(["w", "q"].contains(tensor))
            case let other?:
                Issue.record("truncated at \(length): unexpected \(other)")
            }
        }
        // All three kinds occur; every byte of the data section is checked.
        #expect(counts["truncated", default: 0] > 0)
        #expect(counts["countTooLarge", default: 0] > 0)
        #expect(counts["tensorDataOutOfBounds", default: 0] == full.count - layout.directoryEnd)
        #expect(counts.values.reduce(0, +) == full.count)
        print("GGUF truncation corpus (\(full.count) bytes):", counts.sorted { $0.key < $1.key })
    }

    @Test func truncationErrorsSayWhatWasCut() {
        let full = Self.small.bytes()
        #expect(GGUFTestFile.error(parsing: []) == .truncated(field: "magic", offset: 0, needed: 4, fileSize: 0))
        #expect(GGUFTestFile.error(parsing: Array(full[0..<6])) == .truncated(field: "version", offset: 4, needed: 4, fileSize: 6))
        #expect(GGUFTestFile.error(parsing: Array(full[0..<12]))
            == .truncated(field: "tensor count", offset: 8, needed: 8, fileSize: 12))
        // The tensor count is bounded by what is left as soon as it is read.
        #expect(GGUFTestFile.error(parsing: Array(full[0..<20]))
            == .countTooLarge(field: "tensor count", count: 2, offset: 8, available: 4))
        // 24 bytes: the header is whole, but 2 tensors cannot fit in nothing.
        #expect(GGUFTestFile.error(parsing: Array(full[0..<24]))
            == .countTooLarge(field: "tensor count", count: 2, offset: 8, available: 8))
    }

    // MARK: Header

    @Test func badMagic() {
        var bytes = Self.small.bytes()
        bytes.patchLittleEndian(UInt32(0x4655_4748), at: 0)
        #expect(GGUFTestFile.error(parsing: bytes) == .badMagic(found: 0x4655_4748))
        var ggml = GGUFTestFile()
        ggml.magic = 0x6767_6A74  // "tjgg", the pre-GGUF format
        #expect(GGUFTestFile.error(parsing: ggml.bytes()) == .badMagic(found: 0x6767_6A74))
        #expect(GGUFTestFile.error(parsing: Array("FUGG".utf8)) == .badMagic(found: 0x4747_5546))
        #expect(GGUFTestFile.error(parsing: [0, 0, 0, 0]) == .badMagic(found: 0))
    }

    @Test(arguments: [UInt32(0), 1, 4, 0x0300_0000, 0x0200_0000, UInt32.max])
    func unsupportedVersion(_ version: UInt32) {
        var file = Self.small
        file.version = version
        #expect(GGUFTestFile.error(parsing: file.bytes()) == .unsupportedVersion(version))
    }

    @Test func bigEndianVersionIsExplained() {
        var file = Self.small
        file.version = 0x0300_0000
        let error = GGUFTestFile.error(parsing: file.bytes())
        #expect(error?.description.contains("big-endian") == true)
        file.version = 4
        #expect(GGUFTestFile.error(parsing: file.bytes())?.description.contains("big-endian") == false)
    }

    @Test(arguments: [UInt64(1) << 63, UInt64.max, UInt64(1) << 32, 1_000])
    func tensorCountTooLarge(_ count: UInt64) {
        var file = Self.small
        file.tensorCount = count
        let bytes = file.bytes()
        #expect(GGUFTestFile.error(parsing: bytes)
            == .countTooLarge(field: "tensor count", count: count, offset: 8, available: bytes.count - 16))
    }

    @Test(arguments: [UInt64(1) << 63, UInt64.max, UInt64(1) << 32, 1_000])
    func metadataCountTooLarge(_ count: UInt64) {
        var file = Self.small
        file.metadataCount = count
        let bytes = file.bytes()
        #expect(GGUFTestFile.error(parsing: bytes)
            == .countTooLarge(field: "metadata count", count: count, offset: 16, available: bytes.count - 24))
    }

    @Test func metadataCountOffByOneMisreadsTheDirectory() {
        // A count that fits the file but not the entries: the reader runs on into the tensor
        // directory (or reads the last entry as a tensor) and fails there, without a trap.
        var file = Self.small
        file.metadataCount = 6
        // Tensor "w" read as an entry (type 2 = uint16 from its dimension count), then
        // the rest of its info as tensor #0's name length.
        guard case .countTooLarge(field: "name of tensor #0 string length", _, _, _)? = GGUFTestFile.error(parsing: file.bytes()) else {
            Issue.record("\(String(describing: GGUFTestFile.error(parsing: file.bytes())))"); return
        }
        // Entry "f" read as a tensor: its type (float64 = 12) as the dimension count.
        file.metadataCount = 4
        #expect(GGUFTestFile.error(parsing: file.bytes()) == .invalidDimensionCount(tensor: "f", count: 12))
    }

    // MARK: Strings

    @Test func keyLengthPastTheEnd() {
        let bytes = GGUFTestFile(metadata: [.rawKey(keyLength: 1_000, keyBytes: Array("abc".utf8), .uint8(1))]).bytes()
        #expect(GGUFTestFile.error(parsing: bytes) == .countTooLarge(
            field: "key of metadata entry #0 string length", count: 1_000, offset: 24, available: bytes.count - 24))
    }

    @Test(arguments: [UInt64.max, UInt64(1) << 63, UInt64(Int.max) + 1 - 8])
    func hugeKeyLength(_ length: UInt64) {
        let bytes = GGUFTestFile(metadata: [.rawKey(keyLength: length, keyBytes: Array("abc".utf8), .uint8(1))]).bytes()
        #expect(GGUFTestFile.error(parsing: bytes) == .countTooLarge(
            field: "key of metadata entry #0 string length", count: length, offset: 24, available: bytes.count - 24))
    }

    @Test(arguments: [UInt64(100), UInt64.max, UInt64(1) << 63])
    func valueStringLengthPastTheEnd(_ length: UInt64) {
        let bytes = Self.oneEntry("name", .rawString(length: length, bytes: Array("hello".utf8)))
        // Header 24, key 8 + 4, type 4: the length is at 40. (For a string, `available`
        // counts from the length field itself; for array counts, from just after the count.)
        #expect(GGUFTestFile.error(parsing: bytes) == .countTooLarge(
            field: "metadata 'name' string length", count: length, offset: 40, available: bytes.count - 40))
    }

    @Test func stringInsideAnArrayPastTheEnd() {
        let strings = Value.array(elementType: GGUFValueType.string.rawValue, [.string("ok"), .rawString(length: 50, bytes: [1, 2])])
        guard case let .countTooLarge(field, count, _, _)? = GGUFTestFile.error(parsing: Self.oneEntry("toks", strings)) else {
            Issue.record("expected countTooLarge"); return
        }
        #expect(field == "metadata 'toks' string length" && count == 50)
    }

    @Test func tensorNameLengthPastTheEnd() {
        var tensor = Tensor("w", .f32, shape: [4])
        tensor.nameLength = UInt64.max
        let bytes = Self.oneTensor(tensor)
        guard case let .countTooLarge(field, count, offset, _)? = GGUFTestFile.error(parsing: bytes) else {
            Issue.record("expected countTooLarge: \(String(describing: GGUFTestFile.error(parsing: bytes)))"); return
        }
        #expect(field == "name of tensor #0 string length" && count == UInt64.max && offset == 24)
    }

    // MARK: Arrays

    @Test(arguments: [UInt64(1) << 62, UInt64(1) << 61, UInt64.max, UInt64(1) << 63 + 1])
    func arrayCountOverflowsWhenMultiplied(_ count: UInt64) {
        // count × 8 overflows UInt64 (or wraps to something small) for uint64 elements.
        let array = Value.array(elementType: GGUFValueType.uint64.rawValue, [.uint64(1), .uint64(2)], count: count)
        let bytes = Self.oneEntry("a", array)
        // Header 24, key 8 + 1, type 4, element type 4: the count is at 41.
        #expect(GGUFTestFile.error(parsing: bytes) == .countTooLarge(
            field: "metadata 'a'", count: count, offset: 41, available: bytes.count - 49))
    }

    @Test func arrayCountTooLargeForTheFile() {
        for (type, count) in [(GGUFValueType.uint8, UInt64(17)), (.uint32, 5), (.float64, 3), (.bool, 100)] {
            let array = Value.array(elementType: type.rawValue, [], count: count)
            var file = GGUFTestFile(metadata: [.kv("a", array)])
            file.trailer = [UInt8](repeating: 0, count: 16)  // 16 bytes left: 17 uint8s, 5 uint32s... don't fit
            #expect(GGUFTestFile.error(parsing: file.bytes()) == .countTooLarge(
                field: "metadata 'a'", count: count, offset: 41, available: 16))
        }
    }

    @Test(arguments: [UInt64(1) << 62, UInt64.max, 1_000_000, 4, 3])
    func stringArrayCountTooLarge(_ count: UInt64) {
        // Two strings written (20 + 9 bytes): 3 strings need at least 24 bytes, 4 need 32.
        let array = Value.array(elementType: GGUFValueType.string.rawValue, [.string("abcdefghijkl"), .string("e")], count: count)
        let bytes = Self.oneEntry("t", array)
        if count == 3 {
            // The count passes the size bound; the third string's length is cut off.
            #expect(GGUFTestFile.error(parsing: bytes)
                == .truncated(field: "metadata 't'", offset: bytes.count, needed: 8, fileSize: bytes.count))
            return
        }
        #expect(GGUFTestFile.error(parsing: bytes) == .countTooLarge(
            field: "metadata 't'", count: count, offset: 41, available: bytes.count - 49))
    }

    @Test func arrayOfArraysCountTooLarge() {
        let array = Value.array(elementType: GGUFValueType.array.rawValue, [.uint32s([1])], count: UInt64(1) << 60)
        let bytes = Self.oneEntry("n", array)
        #expect(GGUFTestFile.error(parsing: bytes) == .countTooLarge(
            field: "metadata 'n'", count: 1 << 60, offset: 41, available: bytes.count - 49))
    }

    // MARK: Value types

    @Test(arguments: [UInt32(13), 14, 255, 0x0000_0100, UInt32.max])
    func unknownValueType(_ typeID: UInt32) {
        let bytes = GGUFTestFile(metadata: [.kv("ok", .uint8(1)), .kv("bad", .raw(typeID: typeID, payload: [1, 2, 3, 4]))]).bytes()
        // Header 24, "ok" entry 8 + 2 + 4 + 1, "bad" key 8 + 3: its type is at 50.
        #expect(GGUFTestFile.error(parsing: bytes) == .unknownValueType(key: "bad", typeID: typeID, offset: 50))
    }

    @Test(arguments: [UInt32(13), 99, UInt32.max])
    func unknownArrayElementType(_ typeID: UInt32) {
        let bytes = Self.oneEntry("arr", .array(elementType: typeID, [], count: 0))
        // Header 24, key 8 + 3, value type 4: the element type is at 39.
        #expect(GGUFTestFile.error(parsing: bytes) == .unknownValueType(key: "arr", typeID: typeID, offset: 39))
    }

    @Test func unknownElementTypeInANestedArray() {
        let nested = Value.array(.array, [.uint32s([1]), .array(elementType: 77, [], count: 0)])
        guard case let .unknownValueType(key, typeID, _)? = GGUFTestFile.error(parsing: Self.oneEntry("n", nested)) else {
            Issue.record("expected unknownValueType"); return
        }
        #expect(key == "n" && typeID == 77)
    }

    @Test(arguments: [9, 10, 64])
    func nestingTooDeep(_ levels: Int) {
        var value = Value.uint32s([1])
        for _ in 1..<levels { value = .array(.array, [value]) }
        guard case let .arrayNestingTooDeep(key, offset)? = GGUFTestFile.error(parsing: Self.oneEntry("deep", value)) else {
            Issue.record("expected arrayNestingTooDeep"); return
        }
        #expect(key == "deep")
        // The 9th level's type field: header 24, key 8 + 4, type 4, then 12 bytes per level.
        #expect(offset == 24 + 12 + 4 + 8 * 12)
    }

    @Test func deeplyNestedHostileArrayDoesNotRecurseUnboundedly() {
        // 100 000 levels of "array of 1 array" with nothing at the bottom: must stop at the
        // depth limit, not overflow the stack.
        var payload: [UInt8] = []
        for _ in 0..<100_000 {
            payload.appendLittleEndian(GGUFValueType.array.rawValue)
            payload.appendLittleEndian(UInt64(1))
        }
        let bytes = Self.oneEntry("deep", .raw(typeID: GGUFValueType.array.rawValue, payload: payload))
        guard case .arrayNestingTooDeep(key: "deep", _)? = GGUFTestFile.error(parsing: bytes) else {
            Issue.record("expected arrayNestingTooDeep"); return
        }
    }

    // MARK: Duplicates

    @Test func duplicateMetadataKey() {
        let bytes = GGUFTestFile(metadata: [
            .kv("general.name", .string("a")), .kv("x", .uint8(1)), .kv("general.name", .uint32(2)),
        ]).bytes()
        #expect(GGUFTestFile.error(parsing: bytes) == .duplicateKey("general.name"))
        // Also when one of them is general.alignment.
        var file = GGUFTestFile(metadata: [.kv("general.alignment", .uint32(32))])
        file.alignment = 32
        #expect(GGUFTestFile.error(parsing: file.bytes()) == .duplicateKey("general.alignment"))
    }

    @Test func duplicateTensorName() {
        let bytes = GGUFTestFile(tensors: [
            Tensor("blk.0.w", .f32, shape: [8]), Tensor("other", .f32, shape: [8]), Tensor("blk.0.w", .f32, shape: [8]),
        ]).bytes()
        #expect(GGUFTestFile.error(parsing: bytes) == .duplicateTensor("blk.0.w"))
    }

    @Test func keysAndNamesDifferingOnlyInLastByteAreNotDuplicates() throws {
        let bytes = GGUFTestFile(
            metadata: [.kv("a.b", .uint8(1)), .kv("a.c", .uint8(2)), .kv("", .uint8(3))],
            tensors: [Tensor("t0", .f32, shape: [1]), Tensor("t1", .f32, shape: [1]), Tensor("", .f32, shape: [1])]
        ).bytes()
        try GGUFTestFile.parse(bytes) { file throws in
            #expect(try file.metadata.integer("a.c", as: UInt8.self) == 2)
            #expect(try file.metadata.integer("", as: UInt8.self) == 3)
            #expect(file.tensor(named: "t1") != nil)
        }
    }

    // MARK: Tensor shapes and types

    @Test(arguments: [UInt32(0), 5, 8, UInt32.max])
    func invalidDimensionCount(_ count: UInt32) {
        var tensor = Tensor("w", .f32, shape: [4])
        tensor.dimensionCount = count
        #expect(GGUFTestFile.error(parsing: Self.oneTensor(tensor)) == .invalidDimensionCount(tensor: "w", count: count))
    }

    @Test func fiveDimensionsWritten() {
        let bytes = Self.oneTensor(Tensor("w5", typeID: 0, shape: [1, 1, 1, 1, 1]))
        #expect(GGUFTestFile.error(parsing: bytes) == .invalidDimensionCount(tensor: "w5", count: 5))
    }

    @Test func fourDimensionsParse() throws {
        try GGUFTestFile.parse(Self.oneTensor(Tensor("w4", .f32, shape: [2, 1, 3, 1]))) { file throws in
            #expect(file.tensors[0].shape == [2, 1, 3, 1] && file.tensors[0].rowCount == 3)
        }
    }

    @Test(arguments: [
        [UInt64(1) << 32, 1 << 32, 1 << 32],
        [UInt64(1) << 63],
        [UInt64.max],
        [UInt64(1) << 62, 2],
        [UInt64(1) << 62, 4, 0],  // overflows before the zero
        [2, 2, 2, UInt64(1) << 61],
    ])
    func shapeOverflow(_ shape: [UInt64]) {
        let bytes = Self.oneTensor(Tensor("big", typeID: TensorType.f32.rawValue, shape: shape))
        #expect(GGUFTestFile.error(parsing: bytes) == .shapeOverflow(tensor: "big"))
    }

    /// A zero dimension makes the product 0, but the other dimensions must still be checked:
    /// converting a dimension above Int.max to Int would trap.
    @Test(arguments: [
        [UInt64(0), UInt64.max],
        [0, UInt64(1) << 63],
        [1, 0, UInt64.max, UInt64.max],
    ])
    func hugeDimensionBesideAZero(_ shape: [UInt64]) {
        let bytes = Self.oneTensor(Tensor("z", typeID: TensorType.f32.rawValue, shape: shape))
        #expect(GGUFTestFile.error(parsing: bytes) == .shapeOverflow(tensor: "z"))
    }

    /// Beside a 0 dimension the tensor is empty, but its row length must still have a byte
    /// count: `rowBytes` (row length × block bytes) would overflow. Found by the fuzzer.
    @Test(arguments: [
        [UInt64(1) << 62, 0],
        [0x4655_4747_2A00_0004, 0, 0x2100_0000_0000],
        [UInt64(Int.max), 0],
    ])
    func rowByteCountOverflowsBesideAZero(_ shape: [UInt64]) {
        let bytes = Self.oneTensor(Tensor("r", typeID: TensorType.f32.rawValue, shape: shape))
        #expect(GGUFTestFile.error(parsing: bytes) == .shapeOverflow(tensor: "r"))
    }

    @Test func emptyTensorsWithRealRowsParse() throws {
        let bytes = Self.oneTensor(Tensor("e", typeID: TensorType.q4_K.rawValue, shape: [512, 0, 3]))
        try GGUFTestFile.parse(bytes) { file throws in
            let tensor = file.tensors[0]
            #expect(tensor.elementCount == 0 && tensor.byteCount == 0 && tensor.rowCount == 0)
            #expect(tensor.rowBytes == 288 && file.data(of: tensor).count == 0)
        }
    }

    @Test func elementCountFitsButByteCountOverflows() {
        // 2^61 f32 values fit in Int, their 2^63 bytes do not.
        let bytes = Self.oneTensor(Tensor("f", typeID: TensorType.f32.rawValue, shape: [1 << 61]))
        #expect(GGUFTestFile.error(parsing: bytes) == .shapeOverflow(tensor: "f"))
        // Same for 2^60 f64 values in 2 × 2^59.
        let f64 = Self.oneTensor(Tensor("d", typeID: TensorType.f64.rawValue, shape: [2, 1 << 59]))
        #expect(GGUFTestFile.error(parsing: f64) == .shapeOverflow(tensor: "d"))
    }

    @Test(arguments: [
        (TensorType.q4_0, 33), (.q4_0, 1), (.q8_0, 48), (.q4_K, 32), (.q6_K, 255), (.q4_K, 257),
    ])
    func rowNotWholeBlocks(_ type: TensorType, _ rowLength: Int) {
        let bytes = Self.oneTensor(Tensor("q", typeID: type.rawValue, shape: [UInt64(rowLength), 2]))
        #expect(GGUFTestFile.error(parsing: bytes) == .rowNotWholeBlocks(tensor: "q", type: type, rowLength: rowLength))
    }

    @Test(arguments: [UInt32(4), 5, 31, 32, 33, 36, 38, 42, 99, 0x100, UInt32.max])
    func unknownTensorType(_ typeID: UInt32) {
        #expect(TensorType(rawValue: typeID) == nil)
        let bytes = Self.oneTensor(Tensor("t", typeID: typeID, shape: [32]))
        #expect(GGUFTestFile.error(parsing: bytes) == .unknownTensorType(tensor: "t", typeID: typeID))
    }

    // MARK: Tensor offsets

    @Test(arguments: [UInt64(1), 16, 31, 33, 48])
    func misalignedTensorOffset(_ offset: UInt64) {
        var tensor = Tensor("m", .f32, shape: [4])
        tensor.offset = offset
        #expect(GGUFTestFile.error(parsing: Self.oneTensor(tensor, dataBytes: 256))
            == .misalignedTensor(tensor: "m", offset: offset, alignment: 32))
    }

    @Test func misalignedForACustomAlignment() {
        var file = GGUFTestFile(tensors: [Tensor("a", .f32, shape: [8]), Tensor("b", .f32, shape: [8])])
        file.alignment = 64
        file.tensors[1].offset = 32  // aligned for 32, not for 64
        file.trailer = [UInt8](repeating: 0, count: 64)
        #expect(GGUFTestFile.error(parsing: file.bytes()) == .misalignedTensor(tensor: "b", offset: 32, alignment: 64))
    }

    @Test func tensorDataPastTheEnd() {
        // 16 f32 = 64 bytes at offset 32 of a 64-byte data section.
        var tensor = Tensor("t", .f32, shape: [16])
        tensor.offset = 32
        tensor.data = []
        #expect(GGUFTestFile.error(parsing: Self.oneTensor(tensor, dataBytes: 64))
            == .tensorDataOutOfBounds(tensor: "t", offset: 32, byteCount: 64, dataSize: 64))
        // One byte short.
        tensor.offset = 0
        #expect(GGUFTestFile.error(parsing: Self.oneTensor(tensor, dataBytes: 63))
            == .tensorDataOutOfBounds(tensor: "t", offset: 0, byteCount: 64, dataSize: 63))
        // Offset just past the end with nothing to read is rejected only if aligned and outside.
        tensor.offset = 96
        #expect(GGUFTestFile.error(parsing: Self.oneTensor(tensor, dataBytes: 64))
            == .tensorDataOutOfBounds(tensor: "t", offset: 96, byteCount: 64, dataSize: 64))
    }

    @Test(arguments: [UInt64.max & ~31, UInt64(Int.max) & ~31, UInt64(Int.max) + 1, UInt64.max - 31 - 32])
    func tensorOffsetThatOverflowsWhenAdded(_ offset: UInt64) {
        var tensor = Tensor("o", .f32, shape: [8])
        tensor.offset = offset
        #expect(GGUFTestFile.error(parsing: Self.oneTensor(tensor))
            == .tensorDataOutOfBounds(tensor: "o", offset: offset, byteCount: 32, dataSize: 64))
    }

    @Test func tensorOffsetUInt64MaxIsMisaligned() {
        var tensor = Tensor("o", .f32, shape: [8])
        tensor.offset = UInt64.max
        #expect(GGUFTestFile.error(parsing: Self.oneTensor(tensor))
            == .misalignedTensor(tensor: "o", offset: UInt64.max, alignment: 32))
        // With alignment 1 every offset is aligned, so UInt64.max is out of bounds instead.
        var file = GGUFTestFile(tensors: [tensor])
        file.alignment = 1
        file.trailer = [UInt8](repeating: 0, count: 64)
        guard case .tensorDataOutOfBounds(tensor: "o", offset: UInt64.max, byteCount: 32, _)? = GGUFTestFile.error(parsing: file.bytes()) else {
            Issue.record("expected tensorDataOutOfBounds"); return
        }
    }

    /// A zero-size tensor in a file that ends before its data section must not produce a
    /// data view that points past the end of the file.
    @Test func zeroSizeTensorInAFileWithoutADataSection() throws {
        var file = GGUFTestFile(tensors: [Tensor("empty", typeID: TensorType.f32.rawValue, shape: [0], offset: 0)])
        file.writesDataSection = false
        let (bytes, layout) = file.build()
        #expect(bytes.count % 32 != 0 && bytes.count == layout.directoryEnd)
        bytes.withUnsafeBytes { raw in
            do throws(GGUFError) {
                let parsed = try GGUFFile(bytes: raw)
                // If it parses, the empty tensor's view must still lie within the file.
                let data = parsed.data(of: parsed.tensors[0])
                #expect(data.count == 0)
                #expect(parsed.dataOffset + parsed.tensors[0].offset <= raw.count)
            } catch {
                #expect(error == .tensorDataOutOfBounds(tensor: "empty", offset: 0, byteCount: 0, dataSize: 0))
            }
        }
    }

    // MARK: Alignment

    @Test(arguments: [UInt32(0), 3, 6, 48, 100, 0x8000_0000, UInt32.max])
    func invalidAlignment(_ alignment: UInt32) {
        var file = Self.small
        file.alignment = alignment
        #expect(GGUFTestFile.error(parsing: file.bytes()) == .invalidAlignment(key: "general.alignment", value: UInt64(alignment)))
    }

    @Test func negativeAndHugeAlignment() {
        let negative = GGUFTestFile(metadata: [.kv("general.alignment", .int32(-32))]).bytes()
        #expect(GGUFTestFile.error(parsing: negative)
            == .invalidAlignment(key: "general.alignment", value: UInt64(bitPattern: -32)))
        let huge = GGUFTestFile(metadata: [.kv("general.alignment", .uint64(1 << 40))]).bytes()
        #expect(GGUFTestFile.error(parsing: huge) == .invalidAlignment(key: "general.alignment", value: 1 << 40))
    }

    @Test func alignmentOfTheWrongType() {
        let string = GGUFTestFile(metadata: [.kv("general.alignment", .string("32"))]).bytes()
        #expect(GGUFTestFile.error(parsing: string)
            == .typeMismatch(key: "general.alignment", expected: "uint32", found: .string))
        let float = GGUFTestFile(metadata: [.kv("general.alignment", .float32(32))]).bytes()
        #expect(GGUFTestFile.error(parsing: float)
            == .typeMismatch(key: "general.alignment", expected: "uint32", found: .float32))
        let array = GGUFTestFile(metadata: [.kv("general.alignment", .uint32s([32]))]).bytes()
        #expect(GGUFTestFile.error(parsing: array)
            == .typeMismatch(key: "general.alignment", expected: "uint32", found: .array))
    }

    // MARK: Messages

    @Test func descriptionsNameTheKeyOrTensor() {
        let duplicate = GGUFTestFile(metadata: [.kv("tokenizer.ggml.tokens", .uint8(1)), .kv("tokenizer.ggml.tokens", .uint8(1))])
        #expect(GGUFTestFile.error(parsing: duplicate.bytes())?.description.contains("'tokenizer.ggml.tokens'") == true)

        let bytes = Self.oneTensor(Tensor("blk.7.ffn_gate.weight", typeID: 99, shape: [32]))
        let description = GGUFTestFile.error(parsing: bytes)?.description ?? ""
        #expect(description.contains("'blk.7.ffn_gate.weight'") && description.contains("99"))

        var tensor = Tensor("blk.3.attn_k.weight", .f32, shape: [16])
        tensor.data = []
        let outOfBounds = GGUFTestFile.error(parsing: Self.oneTensor(tensor, dataBytes: 10))?.description ?? ""
        #expect(outOfBounds.contains("'blk.3.attn_k.weight'") && outOfBounds.contains("truncated"))

        let badValue = GGUFTestFile.error(parsing: Self.oneEntry("llama.rope.freq_base", .raw(typeID: 42, payload: [])))
        #expect(badValue?.description.contains("'llama.rope.freq_base'") == true)

        let cut = GGUFTestFile.error(parsing: Array(Self.oneEntry("general.name", .string("x")).dropLast(1)))
        #expect(cut?.description.contains("'general.name'") == true)
    }

    @Test func hostileNamesAreClippedInMessages() {
        // A 100 kB key with an unknown value type: the message holds at most 256 bytes of it.
        let key = String(repeating: "k", count: 100_000)
        let error = GGUFTestFile.error(parsing: Self.oneEntry(key, .raw(typeID: 200, payload: [])))
        guard case let .unknownValueType(name, 200, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(name.utf8.count <= 256)
    }

    @Test func invalidUTF8NamesDoNotTrap() throws {
        let bytes = GGUFTestFile(metadata: [.rawKey(keyLength: 3, keyBytes: [0xFF, 0xC0, 0x80], .uint8(1))],
                                 tensors: [Tensor("ok", .f32, shape: [1])]).bytes()
        try GGUFTestFile.parse(bytes) { file throws in
            #expect(file.metadata.count == 1)
            #expect(file.metadata.entries[0].key.utf8.elementsEqual([0xFF, 0xC0, 0x80]))
            #expect(file.metadata.entries[0].key.string.contains("\u{FFFD}"))
        }
        var tensor = Tensor("x", .f32, shape: [1])
        tensor.rawInfo = GGUFReaderTests.le(UInt64(2)) + [0xFF, 0xFE] + GGUFReaderTests.le(UInt32(1))
            + GGUFReaderTests.le(UInt64(1)) + GGUFReaderTests.le(UInt32(0)) + GGUFReaderTests.le(UInt64(0))
        try GGUFTestFile.parse(Self.oneTensor(tensor)) { file throws in
            #expect(file.tensors[0].name.unicodeScalars.allSatisfy { $0 == "\u{FFFD}" })
        }
    }
}
