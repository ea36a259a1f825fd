import SwiftletCore
import Testing

/// The GGUF reader on well-formed files written by `GGUFTestFile`: every value type and
/// accessor, tensor directories and data, versions, alignment.
@Suite struct GGUFReaderTests {
    typealias Value = GGUFTestFile.Value
    typealias Tensor = GGUFTestFile.Tensor

    static let unicodeKey = "général.名前.🦙"

    /// One entry of every value type, plus the awkward ones: empty strings and arrays,
    /// arrays of strings, nested arrays, a UTF-8 key.
    static let everyValue: [GGUFTestFile.Entry] = [
        .kv("u8", .uint8(200)),
        .kv("i8", .int8(-100)),
        .kv("u16", .uint16(60_000)),
        .kv("i16", .int16(-30_000)),
        .kv("u32", .uint32(4_000_000_000)),
        .kv("i32", .int32(-2_000_000_000)),
        .kv("u64", .uint64(UInt64.max)),
        .kv("u64.small", .uint64(4096)),
        .kv("i64", .int64(Int64.min)),
        .kv("f32", .float32(1.5e-5)),
        .kv("f64", .float64(-2.25)),
        .kv("yes", .bool(true)),
        .kv("no", .bool(false)),
        .kv("general.name", .string("Tiny Test Model")),
        .kv("empty.string", .string("")),
        .kv(unicodeKey, .string("llama 🦙 ✓")),
        .kv("tokens", .strings(["<s>", "", "hello", "ünïcödé", "▁world"])),
        .kv("scores", .float32s([0, -1.5, 3.25])),
        .kv("ids", .uint32s([7, 0, UInt32.max])),
        .kv("flags", .array(.bool, [.bool(true), .bool(false), .bool(true)])),
        .kv("i8s", .array(.int8, [.int8(-1), .int8(127)])),
        .kv("i16s", .array(.int16, [.int16(-2), .int16(300)])),
        .kv("u16s", .array(.uint16, [.uint16(65535)])),
        .kv("i64s", .array(.int64, [.int64(-5), .int64(Int64.max)])),
        .kv("u64s", .array(.uint64, [.uint64(UInt64.max), .uint64(1)])),
        .kv("f64s", .array(.float64, [.float64(0.125), .float64(-1e300)])),
        .kv("empty.array", .array(.uint32, [])),
        .kv("empty.strings", .strings([])),
        .kv("nested", .array(.array, [
            .uint32s([1, 2, 3]),
            .strings(["a", "bc"]),
            .array(.uint32, []),
            .array(.array, [.float32s([4.5]), .array(.array, [])]),
        ])),
    ]

    static let tensors: [Tensor] = [
        Tensor("token_embd.weight", .f32, shape: [8, 3], seed: 1),
        Tensor("blk.0.attn_norm.weight", .f16, shape: [6], seed: 2),
        Tensor("blk.0.attn_q.weight", .q4_0, shape: [64, 2], seed: 3),
        Tensor("blk.0.ffn_up.weight", .q8_0, shape: [32, 3], seed: 4),
        Tensor("blk.0.ffn_down.weight", .q4_K, shape: [256, 2], seed: 5),
        Tensor("output.weight", .q6_K, shape: [256, 1, 2], seed: 6),
    ]

    static var fullFile: GGUFTestFile { GGUFTestFile(metadata: everyValue, tensors: tensors) }

    // MARK: Metadata values

    @Test func everyValueTypeRoundTrips() throws {
        try GGUFTestFile.parse(Self.fullFile.bytes()) { file throws in
            let m = file.metadata
            #expect(file.version == 3)
            #expect(m.count == Self.everyValue.count)
            #expect(try m.integer("u8", as: UInt8.self) == 200)
            #expect(try m.integer("i8", as: Int8.self) == -100)
            #expect(try m.integer("u16", as: UInt16.self) == 60_000)
            #expect(try m.integer("i16", as: Int16.self) == -30_000)
            #expect(try m.uint32("u32") == 4_000_000_000)
            #expect(try m.integer("i32", as: Int32.self) == -2_000_000_000)
            #expect(try m.integer("u64.small") == 4096)
            #expect(try m.integer("i64", as: Int64.self) == Int64.min)
            #expect(try m.float("f32") == 1.5e-5)
            #expect(try m.float("f64") == -2.25)
            #expect(try m.bool("yes") == true)
            #expect(try m.bool("no") == false)
            #expect(try m.string("general.name") == "Tiny Test Model")
            #expect(try m.string("empty.string") == "")
            #expect(try m.string(Self.unicodeKey) == "llama 🦙 ✓")

            // The raw enum cases carry the exact values and types.
            guard case .uint64(UInt64.max)? = m["u64"] else { Issue.record("u64: \(String(describing: m["u64"]))"); return }
            guard case let .float64(d)? = m["f64"], d == -2.25 else { Issue.record("f64"); return }
            #expect(m["u8"]?.type == .uint8)
            #expect(m["i64"]?.type == .int64)
            #expect(m["tokens"]?.type == .array)
            #expect(m["missing"] == nil)
            #expect(m.contains(Self.unicodeKey))
            #expect(!m.contains("général"))

            // Entries keep file order and their keys.
            #expect(m.entries.map { $0.key.string } == Self.everyValue.map {
                if case let .kv(key, _) = $0 { key } else { "" }
            })
            #expect(m.entries[15].key == Self.unicodeKey)
        }
    }

    @Test func integerAccessorAcceptsAnyWidthThatFits() throws {
        try GGUFTestFile.parse(Self.fullFile.bytes()) { file throws in
            let m = file.metadata
            // Widening and narrowing across signedness, as long as the value fits.
            #expect(try m.integer("u8", as: Int.self) == 200)
            #expect(try m.integer("u8", as: UInt64.self) == 200)
            #expect(try m.integer("u8", as: Int16.self) == 200)
            #expect(try m.integer("i8", as: Int64.self) == -100)
            #expect(try m.integer("u16", as: Int32.self) == 60_000)
            #expect(try m.integer("u32", as: Int64.self) == 4_000_000_000)
            #expect(try m.integer("u32", as: UInt64.self) == 4_000_000_000)
            #expect(try m.uint32("u64.small") == 4096)
            #expect(try m.integer("u64.small", as: UInt16.self) == 4096)
            #expect(try m.integer("i64", as: Int.self) == Int.min)

            // Out of range for the asked type.
            #expect(throws: GGUFError.valueOutOfRange(key: "u8")) { try m.integer("u8", as: Int8.self) }
            #expect(throws: GGUFError.valueOutOfRange(key: "i8")) { try m.integer("i8", as: UInt8.self) }
            #expect(throws: GGUFError.valueOutOfRange(key: "i8")) { try m.integer("i8", as: UInt64.self) }
            #expect(throws: GGUFError.valueOutOfRange(key: "u16")) { try m.integer("u16", as: Int16.self) }
            #expect(throws: GGUFError.valueOutOfRange(key: "u32")) { try m.integer("u32", as: Int32.self) }
            #expect(throws: GGUFError.valueOutOfRange(key: "i32")) { try m.uint32("i32") }
            #expect(throws: GGUFError.valueOutOfRange(key: "i64")) { try m.integer("i64", as: Int32.self) }
            #expect(throws: GGUFError.valueOutOfRange(key: "u64.small")) { try m.integer("u64.small", as: UInt8.self) }
            #expect(throws: GGUFError.valueOutOfRange(key: "u64")) { try m.integer("u64", as: Int64.self) }
            #expect(throws: GGUFError.valueOutOfRange(key: "u64")) { try m.uint32("u64") }
        }
    }

    /// A uint64 above Int64.max fits a UInt64; it must not be reported as "not an integer".
    @Test func largeUInt64ReadsAsUInt64() throws {
        try GGUFTestFile.parse(Self.fullFile.bytes()) { file throws in
            #expect(try file.metadata.integer("u64", as: UInt64.self) == UInt64.max)
        }
    }

    @Test func missingKeysAndWrongTypesAreNamed() throws {
        try GGUFTestFile.parse(Self.fullFile.bytes()) { file throws in
            let m = file.metadata
            #expect(throws: GGUFError.missingKey("nope")) { try m.string("nope") }
            #expect(throws: GGUFError.missingKey("nope")) { try m.uint32("nope") }
            #expect(throws: GGUFError.missingKey("nope")) { try m.integer("nope", as: Int8.self) }
            #expect(throws: GGUFError.missingKey("nope")) { try m.float("nope") }
            #expect(throws: GGUFError.missingKey("nope")) { try m.bool("nope") }
            #expect(throws: GGUFError.missingKey("nope")) { try m.array("nope") }
            #expect(throws: GGUFError.missingKey("nope")) { try m.value("nope") }
            // Keys are matched byte for byte: no prefix, case or Unicode-normalization matches.
            #expect(throws: GGUFError.missingKey("general.nam")) { try m.string("general.nam") }
            #expect(throws: GGUFError.missingKey("GENERAL.NAME")) { try m.string("GENERAL.NAME") }
            #expect(throws: GGUFError.missingKey("ge\u{301}ne\u{301}ral.名前.🦙")) {
                try m.string("ge\u{301}ne\u{301}ral.名前.🦙")
            }

            #expect(throws: GGUFError.typeMismatch(key: "u32", expected: "string", found: .uint32)) { try m.string("u32") }
            #expect(throws: GGUFError.typeMismatch(key: "general.name", expected: "an integer", found: .string)) {
                try m.uint32("general.name")
            }
            #expect(throws: GGUFError.typeMismatch(key: "f32", expected: "an integer", found: .float32)) {
                try m.integer("f32", as: Int.self)
            }
            #expect(throws: GGUFError.typeMismatch(key: "yes", expected: "an integer", found: .bool)) { try m.uint32("yes") }
            #expect(throws: GGUFError.typeMismatch(key: "u32", expected: "float32", found: .uint32)) { try m.float("u32") }
            #expect(throws: GGUFError.typeMismatch(key: "u8", expected: "bool", found: .uint8)) { try m.bool("u8") }
            #expect(throws: GGUFError.typeMismatch(key: "tokens", expected: "string", found: .array)) { try m.string("tokens") }
            #expect(throws: GGUFError.typeMismatch(key: "general.name", expected: "array", found: .string)) {
                try m.array("general.name")
            }
            #expect(throws: GGUFError.typeMismatch(key: "ids", expected: "an integer", found: .array)) { try m.uint32("ids") }
        }
    }

    @Test func fixedSizeArraysLoadByIndex() throws {
        try GGUFTestFile.parse(Self.fullFile.bytes()) { file throws in
            let m = file.metadata
            let scores = try m.array("scores")
            #expect(scores.elementType == .float32 && scores.count == 3)
            #expect((0..<3).map { scores.float32($0) } == [0, -1.5, 3.25])

            let ids = try m.array("ids")
            #expect(ids.elementType == .uint32 && ids.count == 3)
            #expect((0..<3).map { ids.load($0, as: UInt32.self) } == [7, 0, UInt32.max])
            #expect(ids.load(2, as: Int32.self) == -1)
            #expect(ids.elements.count == 12)

            let flags = try m.array("flags")
            #expect(flags.elementType == .bool)
            #expect((0..<3).map { flags.load($0, as: UInt8.self) } == [1, 0, 1])

            #expect(try m.array("i8s").load(0, as: Int8.self) == -1)
            #expect(try m.array("i8s").load(1, as: Int8.self) == 127)
            #expect(try m.array("i16s").load(0, as: Int16.self) == -2)
            #expect(try m.array("i16s").load(1, as: Int16.self) == 300)
            #expect(try m.array("u16s").load(0, as: UInt16.self) == 65535)
            #expect(try m.array("i64s").load(1, as: Int64.self) == Int64.max)
            #expect(try m.array("u64s").load(0, as: UInt64.self) == UInt64.max)
            let f64s = try m.array("f64s")
            #expect(Double(bitPattern: f64s.load(1, as: UInt64.self)) == -1e300)

            // Iteration yields the same values, typed.
            let iterated = ids.map { value -> UInt32? in
                if case let .uint32(v) = value { v } else { nil }
            }
            #expect(iterated == [7, 0, UInt32.max])
            var boolValues: [Bool] = []
            for case let .bool(b) in flags { boolValues.append(b) }
            #expect(boolValues == [true, false, true])
        }
    }

    @Test func stringArraysIterate() throws {
        try GGUFTestFile.parse(Self.fullFile.bytes()) { file throws in
            let tokens = try file.metadata.array("tokens")
            #expect(tokens.elementType == .string && tokens.count == 5)
            #expect(tokens.strings.map(\.string) == ["<s>", "", "hello", "ünïcödé", "▁world"])
            #expect(tokens.strings.map(\.utf8.count) == [3, 0, 5, 11, 8])
            // Iterating twice gives the same thing (the iterator re-reads the file bytes).
            #expect(Array(tokens.strings.map(\.string)) == Array(tokens.strings.map(\.string)))
            #expect(tokens.map(\.type) == Array(repeating: .string, count: 5))
            // A non-string array has no strings.
            #expect(Array(try file.metadata.array("ids").strings).isEmpty)
        }
    }

    @Test func emptyArraysAndStrings() throws {
        try GGUFTestFile.parse(Self.fullFile.bytes()) { file throws in
            let empty = try file.metadata.array("empty.array")
            #expect(empty.elementType == .uint32 && empty.count == 0 && empty.elements.count == 0)
            #expect(Array(empty).isEmpty)
            let emptyStrings = try file.metadata.array("empty.strings")
            #expect(emptyStrings.elementType == .string && emptyStrings.count == 0)
            #expect(Array(emptyStrings.strings).isEmpty)
            guard case let .string(s)? = file.metadata["empty.string"] else { Issue.record("empty.string"); return }
            #expect(s.utf8.count == 0 && s.string == "" && s == "")
        }
    }

    @Test func nestedArraysIterate() throws {
        try GGUFTestFile.parse(Self.fullFile.bytes()) { file throws in
            let nested = try file.metadata.array("nested")
            #expect(nested.elementType == .array && nested.count == 4)
            let inner = nested.compactMap { value -> GGUFArray? in
                if case let .array(a) = value { a } else { nil }
            }
            #expect(inner.count == 4)
            #expect(inner[0].elementType == .uint32 && (0..<3).map { inner[0].load($0, as: UInt32.self) } == [1, 2, 3])
            #expect(inner[1].strings.map(\.string) == ["a", "bc"])
            #expect(inner[2].elementType == .uint32 && inner[2].count == 0)
            #expect(inner[3].elementType == .array && inner[3].count == 2)
            let deeper = inner[3].compactMap { value -> GGUFArray? in
                if case let .array(a) = value { a } else { nil }
            }
            #expect(deeper.count == 2)
            #expect(deeper[0].float32(0) == 4.5)
            #expect(deeper[1].elementType == .array && deeper[1].count == 0 && Array(deeper[1]).isEmpty)
        }
    }

    /// The deepest nesting the reader allows (8 levels of arrays) parses and iterates to the bottom.
    @Test func nestingAtTheLimitParses() throws {
        var value = Value.uint32s([42])
        for _ in 1..<8 { value = .array(.array, [value]) }
        let file = GGUFTestFile(metadata: [.kv("deep", value)])
        try GGUFTestFile.parse(file.bytes()) { parsed throws in
            var array = try parsed.metadata.array("deep")
            var levels = 1
            while array.elementType == .array {
                guard case let .array(next)? = Array(array).first else { Issue.record("level \(levels)"); return }
                array = next
                levels += 1
            }
            #expect(levels == 8)
            #expect(array.load(0, as: UInt32.self) == 42)
        }
    }

    // MARK: Tensors

    @Test func tensorDirectoryAndData() throws {
        let (bytes, layout) = Self.fullFile.build()
        try GGUFTestFile.parse(bytes) { file throws in
            #expect(file.alignment == 32)
            #expect(file.dataOffset == layout.dataOffset)
            #expect(file.dataOffset % 32 == 0 && file.dataOffset >= layout.directoryEnd)
            #expect(file.tensors.count == Self.tensors.count)
            for (i, written) in Self.tensors.enumerated() {
                let tensor = file.tensors[i]
                #expect(tensor.name == written.name)
                #expect(tensor.type.rawValue == written.typeID)
                #expect(tensor.shape == written.shape.map { Int($0) })
                #expect(tensor.offset == Int(layout.tensorOffsets[i]))
                #expect(tensor.byteCount == written.data.count)
                #expect(Array(file.data(of: tensor)) == written.data)
                let named = try #require(file.tensor(named: written.name))
                #expect(named.offset == tensor.offset && named.name == tensor.name)
            }
            #expect(file.tensor(named: "missing.weight") == nil)
            #expect(file.tensor(named: "token_embd") == nil)

            let f32 = try #require(file.tensor(named: "token_embd.weight"))
            #expect(f32.type == .f32 && f32.elementCount == 24 && f32.rowLength == 8 && f32.rowCount == 3)
            #expect(f32.rowBytes == 32 && f32.byteCount == 96)
            let f16 = try #require(file.tensor(named: "blk.0.attn_norm.weight"))
            #expect(f16.type == .f16 && f16.byteCount == 12 && f16.rowCount == 1)
            let q4 = try #require(file.tensor(named: "blk.0.attn_q.weight"))
            #expect(q4.type == .q4_0 && q4.rowBytes == 36 && q4.byteCount == 72)
            let q8 = try #require(file.tensor(named: "blk.0.ffn_up.weight"))
            #expect(q8.type == .q8_0 && q8.rowBytes == 34 && q8.byteCount == 102 && q8.rowCount == 3)
            let q4k = try #require(file.tensor(named: "blk.0.ffn_down.weight"))
            #expect(q4k.type == .q4_K && q4k.rowBytes == 144 && q4k.byteCount == 288)
            let q6k = try #require(file.tensor(named: "output.weight"))
            #expect(q6k.type == .q6_K && q6k.shape == [256, 1, 2] && q6k.rowCount == 2 && q6k.byteCount == 420)
            // The data starts where the tensor says, from the start of the file.
            #expect(file.data(of: q6k).baseAddress == file.bytes.baseAddress! + file.dataOffset + q6k.offset)
            // The last tensor ends the file.
            #expect(file.dataOffset + q6k.offset + q6k.byteCount == bytes.count)
        }
    }

    @Test func tensorsMayShareAndReorderData() throws {
        // Offsets need not follow directory order, and two tensors may view the same bytes.
        var file = GGUFTestFile(tensors: [
            Tensor("b", .f32, shape: [8], seed: 1),
            Tensor("a", .f32, shape: [8], seed: 2),
            Tensor("alias", .f32, shape: [4, 2], seed: 3),
        ])
        file.tensors[0].offset = 32
        file.tensors[1].offset = 0
        file.tensors[2].offset = 0
        file.tensors[2].data = []
        let bytes = file.bytes()
        try GGUFTestFile.parse(bytes) { parsed throws in
            let a = try #require(parsed.tensor(named: "a"))
            let b = try #require(parsed.tensor(named: "b"))
            let alias = try #require(parsed.tensor(named: "alias"))
            #expect(Array(parsed.data(of: a)) == file.tensors[1].data)
            #expect(Array(parsed.data(of: b)) == file.tensors[0].data)
            #expect(Array(parsed.data(of: alias)) == file.tensors[1].data)
            #expect(parsed.tensors.map(\.name) == ["b", "a", "alias"])
        }
    }

    @Test(arguments: [UInt32(2), 3])
    func versionsTwoAndThreeParse(_ version: UInt32) throws {
        var file = Self.fullFile
        file.version = version
        try GGUFTestFile.parse(file.bytes()) { parsed throws in
            #expect(parsed.version == version)
            #expect(parsed.tensors.count == Self.tensors.count)
            #expect(try parsed.metadata.string("general.name") == "Tiny Test Model")
        }
    }

    @Test(arguments: [UInt32(1), 8, 32, 64, 128, 4096])
    func customAlignmentMovesTheData(_ alignment: UInt32) throws {
        var file = Self.fullFile
        file.alignment = alignment
        let (bytes, layout) = file.build()
        try GGUFTestFile.parse(bytes) { parsed throws in
            #expect(parsed.alignment == Int(alignment))
            #expect(try parsed.metadata.uint32("general.alignment") == alignment)
            let expectedStart = (layout.directoryEnd + Int(alignment) - 1) / Int(alignment) * Int(alignment)
            #expect(parsed.dataOffset == expectedStart)
            #expect(parsed.dataOffset == layout.dataOffset)
            for (tensor, written) in zip(parsed.tensors, Self.tensors) {
                #expect(tensor.offset % Int(alignment) == 0)
                #expect(Array(parsed.data(of: tensor)) == written.data)
            }
        }
    }

    @Test func alignment64DiffersFromDefault() throws {
        // A directory that ends 32 bytes past a multiple of 64: the data moves by 32.
        var file = GGUFTestFile(tensors: [Tensor("t", .f32, shape: [16], seed: 9)])
        for pad in 0..<64 {
            file.metadata = [.kv("pad", .raw(typeID: GGUFValueType.array.rawValue,
                payload: [0, 0, 0, 0] + Self.le(UInt64(pad)) + [UInt8](repeating: 7, count: pad)))]
            file.alignment = 64
            let layout = file.build().layout
            if layout.directoryEnd % 64 == 1 { break }
        }
        let (bytes64, layout64) = file.build()
        #expect(layout64.directoryEnd % 64 == 1)
        try GGUFTestFile.parse(bytes64) { parsed throws in
            #expect(parsed.dataOffset == layout64.directoryEnd + 63)
            #expect(Array(parsed.data(of: parsed.tensors[0])) == file.tensors[0].data)
        }
        // The same file laid out for 32 and declaring 32 starts its data 32 bytes earlier.
        file.alignment = 32
        let (bytes32, layout32) = file.build()
        #expect(layout32.directoryEnd == layout64.directoryEnd)
        try GGUFTestFile.parse(bytes32) { parsed throws in
            #expect(parsed.dataOffset == layout64.directoryEnd + 31)
        }
    }

    @Test func alignmentMayBeAnyIntegerType() throws {
        for value: Value in [.uint8(16), .int16(16), .int32(16), .uint64(16), .int64(16)] {
            var file = GGUFTestFile(metadata: [.kv("general.alignment", value)], tensors: [Tensor("t", .f16, shape: [4])])
            file.alignment = nil
            // Laid out for 32, which is also a multiple of 16 — then check 16 is what was read.
            try GGUFTestFile.parse(file.bytes()) { parsed throws in
                #expect(parsed.alignment == 16)
                #expect(parsed.dataOffset % 16 == 0)
            }
        }
    }

    @Test func zeroTensorsEndingAfterMetadataParses() throws {
        let file = GGUFTestFile(metadata: [.kv("general.architecture", .string("llama")), .kv("x", .uint8(1))])
        let (bytes, layout) = file.build()
        #expect(layout.dataOffset == nil && bytes.count == layout.directoryEnd)
        try GGUFTestFile.parse(bytes) { parsed throws in
            #expect(parsed.tensors.isEmpty)
            #expect(parsed.metadata.count == 2)
            #expect(try parsed.metadata.string("general.architecture") == "llama")
            #expect(parsed.dataOffset >= bytes.count)
        }
        // Nothing at all after the header is fine too.
        let headerOnly = GGUFTestFile().bytes()
        #expect(headerOnly.count == 24)
        try GGUFTestFile.parse(headerOnly) { parsed throws in
            #expect(parsed.tensors.isEmpty && parsed.metadata.count == 0)
            #expect(throws: GGUFError.missingKey("general.architecture")) {
                try parsed.metadata.string("general.architecture")
            }
        }
    }

    @Test func trailingBytesAfterTheLastTensorAreAllowed() throws {
        var file = GGUFTestFile(tensors: [Tensor("t", .q8_0, shape: [32])])
        file.trailer = [UInt8](repeating: 0xEE, count: 100)
        try GGUFTestFile.parse(file.bytes()) { parsed throws in
            #expect(parsed.tensors[0].byteCount == 34)
            #expect(Array(parsed.data(of: parsed.tensors[0])) == file.tensors[0].data)
        }
    }

    @Test func emptyTensorNameAndLongNamesWork() throws {
        let long = String(repeating: "layer.", count: 100) + "weight"
        let file = GGUFTestFile(tensors: [
            Tensor("", .f32, shape: [1]),
            Tensor(long, .f32, shape: [2]),
            Tensor("blk.0.ñ🦙", .f32, shape: [3]),
        ])
        try GGUFTestFile.parse(file.bytes()) { parsed throws in
            #expect(parsed.tensor(named: "")?.elementCount == 1)
            #expect(parsed.tensor(named: long)?.elementCount == 2)
            #expect(parsed.tensor(named: "blk.0.ñ🦙")?.elementCount == 3)
        }
    }

    @Test func modelSummaryOfATestFile() throws {
        let file = GGUFTestFile(
            metadata: [
                .kv("general.architecture", .string("llama")),
                .kv("general.name", .string("Tiny")),
                .kv("llama.context_length", .uint32(2048)),
                .kv("tokenizer.ggml.model", .string("gpt2")),
                .kv("tokenizer.ggml.tokens", .strings(["a", "b", "c"])),
            ],
            tensors: [
                Tensor("a", .q4_K, shape: [256, 4]),
                Tensor("b", .f32, shape: [10]),
                Tensor("c", .q4_K, shape: [256]),
            ])
        try GGUFTestFile.parse(file.bytes()) { parsed throws in
            let summary = ModelSummary(parsed)
            #expect(summary.architecture == "llama")
            #expect(summary.name == "Tiny")
            #expect(summary.contextLength == 2048)
            #expect(summary.vocabularySize == 3)
            #expect(summary.tokenizerModel == "gpt2")
            #expect(!summary.hasChatTemplate)
            #expect(summary.parameterCount == 256 * 5 + 10)
            #expect(summary.tensorBytes == 144 * 5 + 40)
            #expect(summary.types.map(\.type) == [.q4_K, .f32])
            #expect(summary.types.first?.tensors == 2)
        }
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        var out: [UInt8] = []
        out.appendLittleEndian(value)
        return out
    }
}
