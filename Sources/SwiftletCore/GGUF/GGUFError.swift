/// Everything that can be wrong with a GGUF file or with a question asked of it.
/// Each case names what was wrong and where, so a user can tell a truncated download
/// from an unsupported model without a debugger.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    /// The file ends before a field that starts at `offset` and needs `needed` bytes.
    case truncated(field: String, offset: Int, needed: Int, fileSize: Int)
    case badMagic(found: UInt32)
    case unsupportedVersion(UInt32)
    /// A count read at `offset` cannot fit in the `available` bytes that are left.
    case countTooLarge(field: String, count: UInt64, offset: Int, available: Int)
    case unknownValueType(key: String, typeID: UInt32, offset: Int)
    case arrayNestingTooDeep(key: String, offset: Int)
    case duplicateKey(String)
    case invalidAlignment(key: String, value: UInt64)
    case invalidDimensionCount(tensor: String, count: UInt32)
    case shapeOverflow(tensor: String)
    case unknownTensorType(tensor: String, typeID: UInt32)
    case rowNotWholeBlocks(tensor: String, type: TensorType, rowLength: Int)
    case duplicateTensor(String)
    case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
    case tensorDataOutOfBounds(tensor: String, offset: UInt64, byteCount: UInt64, dataSize: Int)
    case missingKey(String)
    case typeMismatch(key: String, expected: String, found: GGUFValueType)
    case valueOutOfRange(key: String)

    public var description: String {
        switch self {
        case let .truncated(field, offset, needed, fileSize):
            return "truncated GGUF: \(field) needs \(needed) bytes at offset \(offset), but the file has \(fileSize) bytes"
        case let .badMagic(found):
            return "not a GGUF file: magic is 0x\(String(found, radix: 16)), expected 0x46554747 (\"GGUF\")"
        case let .unsupportedVersion(version):
            if version.byteSwapped == 2 || version.byteSwapped == 3 {
                return "unsupported GGUF version \(version): this looks like a big-endian file; only little-endian GGUF is supported"
            }
            return "unsupported GGUF version \(version): versions 2 and 3 are supported"
        case let .countTooLarge(field, count, offset, available):
            return "truncated or corrupt GGUF: \(field) at offset \(offset) is \(count), more than the \(available) bytes left can hold"
        case let .unknownValueType(key, typeID, offset):
            return "corrupt GGUF: metadata '\(key)' has unknown value type \(typeID) at offset \(offset)"
        case let .arrayNestingTooDeep(key, offset):
            return "corrupt GGUF: metadata '\(key)' nests arrays too deeply at offset \(offset)"
        case let .duplicateKey(key):
            return "corrupt GGUF: metadata key '\(key)' appears more than once"
        case let .invalidAlignment(key, value):
            return "corrupt GGUF: '\(key)' is \(value); the alignment must be a power of two"
        case let .invalidDimensionCount(tensor, count):
            return "corrupt GGUF: tensor '\(tensor)' has \(count) dimensions; 1 to \(TensorInfo.maxDimensions) are allowed"
        case let .shapeOverflow(tensor):
            return "corrupt GGUF: the shape of tensor '\(tensor)' overflows"
        case let .unknownTensorType(tensor, typeID):
            return "unsupported GGUF: tensor '\(tensor)' has unknown type id \(typeID)"
        case let .rowNotWholeBlocks(tensor, type, rowLength):
            return "corrupt GGUF: tensor '\(tensor)' has rows of \(rowLength) values, not a multiple of \(type.name)'s block of \(type.blockLength)"
        case let .duplicateTensor(name):
            return "corrupt GGUF: tensor '\(name)' appears more than once"
        case let .misalignedTensor(tensor, offset, alignment):
            return "corrupt GGUF: tensor '\(tensor)' starts at data offset \(offset), not a multiple of the alignment \(alignment)"
        case let .tensorDataOutOfBounds(tensor, offset, byteCount, dataSize):
            return "truncated GGUF: tensor '\(tensor)' spans \(byteCount) bytes from data offset \(offset), but the data section has \(dataSize) bytes"
        case let .missingKey(key):
            return "GGUF metadata has no key '\(key)'"
        case let .typeMismatch(key, expected, found):
            return "GGUF metadata '\(key)' is \(found.name), expected \(expected)"
        case let .valueOutOfRange(key):
            return "GGUF metadata '\(key)' holds a value out of the range this field allows"
        }
    }
}
