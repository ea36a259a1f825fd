/// The key-value metadata of a GGUF file, in file order, with typed accessors that say
/// which key was missing or of the wrong type. Integer accessors accept any integer type
/// whose value fits, since converters differ in the widths they write.
public struct GGUFMetadata {
    public struct Entry {
        public let key: GGUFString
        public let value: GGUFValue
    }

    public let entries: [Entry]
    private let index: NameIndex

    init(entries: [Entry], index: NameIndex) {
        self.entries = entries
        self.index = index
    }

    public var count: Int { entries.count }

    public subscript(key: String) -> GGUFValue? {
        index.position(of: key).map { entries[$0].value }
    }

    public func contains(_ key: String) -> Bool { index.position(of: key) != nil }

    public func value(_ key: String) throws(GGUFError) -> GGUFValue {
        guard let value = self[key] else { throw .missingKey(key) }
        return value
    }

    public func string(_ key: String) throws(GGUFError) -> String {
        guard case let .string(s) = try value(key) else { throw mismatch(key, expected: "string") }
        return s.string
    }

    public func bool(_ key: String) throws(GGUFError) -> Bool {
        guard case let .bool(b) = try value(key) else { throw mismatch(key, expected: "bool") }
        return b
    }

    public func array(_ key: String) throws(GGUFError) -> GGUFArray {
        guard case let .array(a) = try value(key) else { throw mismatch(key, expected: "array") }
        return a
    }

    /// A float32 or float64 value as Float.
    public func float(_ key: String) throws(GGUFError) -> Float {
        switch try value(key) {
        case let .float32(f): return f
        case let .float64(d): return Float(d)
        default: throw mismatch(key, expected: "float32")
        }
    }

    public func integer<T: FixedWidthInteger>(_ key: String, as _: T.Type = Int.self) throws(GGUFError) -> T {
        let value = try value(key)
        let narrow: T?
        if case let .uint64(v) = value {
            narrow = T(exactly: v)  // may exceed Int64.max
        } else if let wide = value.integer {
            narrow = T(exactly: wide)
        } else {
            throw mismatch(key, expected: "an integer")
        }
        guard let narrow else { throw .valueOutOfRange(key: key) }
        return narrow
    }

    public func uint32(_ key: String) throws(GGUFError) -> UInt32 { try integer(key, as: UInt32.self) }

    private func mismatch(_ key: String, expected: String) -> GGUFError {
        .typeMismatch(key: key, expected: expected, found: self[key]?.type ?? .uint8)
    }
}
