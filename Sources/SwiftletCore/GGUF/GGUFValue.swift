/// The value types a GGUF metadata entry can hold (ids as written in the file).
public enum GGUFValueType: UInt32, Sendable {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

    public var name: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .uint16: "uint16"
        case .int16: "int16"
        case .uint32: "uint32"
        case .int32: "int32"
        case .float32: "float32"
        case .bool: "bool"
        case .string: "string"
        case .array: "array"
        case .uint64: "uint64"
        case .int64: "int64"
        case .float64: "float64"
        }
    }

    /// Bytes per value for fixed-size types; nil for strings and arrays.
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        case .string, .array: nil
        }
    }

    /// The fewest bytes one value of this type takes in the file (a string's length field,
    /// an array's type and count), used to bound counts before trusting them.
    var minimumSize: Int {
        switch self {
        case .string: 8
        case .array: 12
        default: fixedSize!
        }
    }
}

/// A string stored in the file: a view of its UTF-8 bytes, copied only when asked.
public struct GGUFString {
    public let utf8: UnsafeRawBufferPointer

    public var string: String { String(decoding: utf8, as: UTF8.self) }

    public static func == (lhs: GGUFString, rhs: String) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8)
    }
}

/// One metadata value. Strings and arrays are views into the file's bytes.
public enum GGUFValue {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool)
    case string(GGUFString)
    case array(GGUFArray)

    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The value as a signed integer, if it is an integer of any width that fits.
    public var integer: Int64? {
        switch self {
        case let .uint8(v): Int64(v)
        case let .int8(v): Int64(v)
        case let .uint16(v): Int64(v)
        case let .int16(v): Int64(v)
        case let .uint32(v): Int64(v)
        case let .int32(v): Int64(v)
        case let .uint64(v): Int64(exactly: v)
        case let .int64(v): v
        default: nil
        }
    }

    /// Nesting limit for arrays of arrays: deep enough for any real file, shallow enough
    /// that a hostile one cannot exhaust the stack.
    static let maxArrayDepth = 8

    /// Reads and validates one value of `type` at the reader's position, walking every
    /// string and nested array so that later iteration cannot run past the end.
    static func read(
        _ type: GGUFValueType, from reader: inout ByteReader, key: Range<Int>, depth: Int = 0
    ) throws(GGUFError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self))
        case .int8: return .int8(try reader.read(Int8.self))
        case .uint16: return .uint16(try reader.read(UInt16.self))
        case .int16: return .int16(try reader.read(Int16.self))
        case .uint32: return .uint32(try reader.read(UInt32.self))
        case .int32: return .int32(try reader.read(Int32.self))
        case .uint64: return .uint64(try reader.read(UInt64.self))
        case .int64: return .int64(try reader.read(Int64.self))
        case .float32: return .float32(Float(bitPattern: try reader.read(UInt32.self)))
        case .float64: return .float64(Double(bitPattern: try reader.read(UInt64.self)))
        case .bool: return .bool(try reader.read(UInt8.self) != 0)
        case .string:
            return .string(GGUFString(utf8: UnsafeRawBufferPointer(rebasing: reader.bytes[try reader.readString()])))
        case .array:
            return .array(try GGUFArray.read(from: &reader, key: key, depth: depth))
        }
    }
}

/// An array value: its element type and count, and a view of its elements in the file.
/// Fixed-size elements are reached by index; strings and nested arrays by iteration,
/// so a 262k-entry vocabulary is never copied up front.
public struct GGUFArray: Sequence {
    public let elementType: GGUFValueType
    public let count: Int
    /// The elements' bytes, from the first element to the end of the last.
    public let elements: UnsafeRawBufferPointer

    static func read(from reader: inout ByteReader, key: Range<Int>, depth: Int) throws(GGUFError) -> GGUFArray {
        let typeOffset = reader.offset
        guard depth < GGUFValue.maxArrayDepth else {
            throw .arrayNestingTooDeep(key: reader.bytes.text(key), offset: typeOffset)
        }
        let rawType = try reader.read(UInt32.self)
        guard let elementType = GGUFValueType(rawValue: rawType) else {
            throw .unknownValueType(key: reader.bytes.text(key), typeID: rawType, offset: typeOffset)
        }
        let count = try reader.readCount(minimumItemSize: elementType.minimumSize)
        let start = reader.offset
        if let size = elementType.fixedSize {
            try reader.skip(count * size)
        } else {
            for _ in 0..<count {
                _ = try GGUFValue.read(elementType, from: &reader, key: key, depth: depth + 1)
            }
        }
        return GGUFArray(
            elementType: elementType, count: count,
            elements: UnsafeRawBufferPointer(rebasing: reader.bytes[start..<reader.offset]))
    }

    /// Element `index` of a fixed-size array, read as `T` (which must match the element
    /// size). Strings and arrays are reached through iteration instead.
    public func load<T: FixedWidthInteger>(_ index: Int, as _: T.Type) -> T {
        precondition(elementType.fixedSize == MemoryLayout<T>.size && index >= 0 && index < count)
        return T(littleEndian: elements.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
    }

    /// Element `index` of a float32 array.
    public func float32(_ index: Int) -> Float {
        precondition(elementType == .float32)
        return Float(bitPattern: load(index, as: UInt32.self))
    }

    public func makeIterator() -> Iterator {
        Iterator(array: self)
    }

    /// Walks the elements in order. The array was validated when the file was opened,
    /// so the walk cannot fail.
    public struct Iterator: IteratorProtocol {
        let array: GGUFArray
        var reader: ByteReader
        var index = 0

        init(array: GGUFArray) {
            self.array = array
            self.reader = ByteReader(array.elements)
        }

        public mutating func next() -> GGUFValue? {
            guard index < array.count else { return nil }
            index += 1
            do {
                return try GGUFValue.read(array.elementType, from: &reader, key: 0..<0, depth: 1)
            } catch {
                preconditionFailure("validated GGUF array failed to re-read: \(error.description)")
            }
        }
    }

    /// The elements of a string array, in order (empty for other arrays).
    public var strings: some Sequence<GGUFString> {
        lazy.compactMap { value in
            if case let .string(s) = value { s } else { nil }
        }
    }
}
