// libFuzzer target for the GGUF reader. Not a SwiftPM target: scripts/fuzz-gguf compiles
// it together with Sources/SwiftletCore/GGUF/*.swift under -sanitize=fuzzer,address.
//
// Every input is parsed; a file that opens is walked end to end (every metadata value,
// every array element through iteration and by index, every tensor's data), so any view
// the reader hands out that strays outside the input is caught by AddressSanitizer, and
// any unchecked arithmetic traps. A rejected file must reject with a describable error.

@_cdecl("LLVMFuzzerTestOneInput")
public func ggufFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let file: GGUFFile
    do {
        file = try GGUFFile(bytes: bytes)
    } catch {
        sink &+= error.description.utf8.count
        return 0
    }
    touch(file)
    return 0
}

/// Keeps the optimizer from dropping the reads.
nonisolated(unsafe) var sink = 0

func inside(_ view: UnsafeRawBufferPointer, _ file: UnsafeRawBufferPointer) -> Bool {
    guard view.count > 0 else { return true }
    guard let base = file.baseAddress, let start = view.baseAddress else { return false }
    return start >= base && start + view.count <= base + file.count
}

func touchBytes(_ view: UnsafeRawBufferPointer, in file: GGUFFile) {
    precondition(inside(view, file.bytes), "view outside the file")
    if let first = view.first, let last = view.last { sink &+= Int(first) &+ Int(last) }
}

func touch(_ value: GGUFValue, in file: GGUFFile, depth: Int) {
    precondition(depth <= 64, "unbounded nesting")
    switch value {
    case let .string(s):
        touchBytes(s.utf8, in: file)
        sink &+= s.string.utf8.count
    case let .array(array):
        touchBytes(array.elements, in: file)
        var count = 0
        for element in array {
            precondition(element.type == array.elementType, "element type changed")
            touch(element, in: file, depth: depth + 1)
            count += 1
        }
        precondition(count == array.count, "iteration count differs from the array count")
        switch array.elementType {
        case .uint8, .int8, .bool:
            for i in 0..<array.count { sink &+= Int(array.load(i, as: UInt8.self)) }
        case .uint16, .int16:
            for i in 0..<array.count { sink &+= Int(array.load(i, as: UInt16.self)) }
        case .uint32, .int32:
            for i in 0..<array.count { sink &+= Int(array.load(i, as: UInt32.self)) }
        case .float32:
            for i in 0..<array.count { sink &+= array.float32(i).isNaN ? 1 : 0 }
        case .uint64, .int64, .float64:
            for i in 0..<array.count { sink &+= Int(truncatingIfNeeded: array.load(i, as: UInt64.self)) }
        case .string:
            var n = 0
            for s in array.strings { touchBytes(s.utf8, in: file); n += 1 }
            precondition(n == array.count)
        case .array:
            break
        }
    default:
        sink &+= Int(truncatingIfNeeded: value.integer ?? 0)
    }
}

func touch(_ file: GGUFFile) {
    precondition(file.version == 2 || file.version == 3)
    precondition(file.alignment > 0 && file.alignment & (file.alignment - 1) == 0)
    precondition(file.dataOffset % file.alignment == 0)
    let metadata = file.metadata
    for entry in metadata.entries {
        touchBytes(entry.key.utf8, in: file)
        touch(entry.value, in: file, depth: 0)
        let key = entry.key.string
        // Accessors on every key: each either answers or throws, never traps.
        _ = try? metadata.string(key)
        _ = try? metadata.bool(key)
        _ = try? metadata.float(key)
        _ = try? metadata.array(key)
        _ = try? metadata.uint32(key)
        _ = try? metadata.integer(key, as: Int8.self)
        _ = try? metadata.integer(key, as: UInt64.self)
        _ = try? metadata.integer(key, as: Int.self)
        // A key that is valid UTF-8 must be found again by name.
        if key.utf8.elementsEqual(entry.key.utf8) {
            precondition(metadata.contains(key), "metadata key not found by name")
        }
    }
    for tensor in file.tensors {
        precondition((1...TensorInfo.maxDimensions).contains(tensor.shape.count))
        precondition(tensor.shape.allSatisfy { $0 >= 0 })
        precondition(tensor.offset >= 0 && tensor.offset % file.alignment == 0)
        precondition(tensor.byteCount == tensor.type.byteCount(values: tensor.elementCount))
        precondition(tensor.dataOffsetInFileIsValid(file), "tensor data outside the file")
        let data = file.data(of: tensor)
        precondition(data.count == tensor.byteCount)
        touchBytes(data, in: file)
        sink &+= tensor.rowCount &+ tensor.rowBytes &+ tensor.name.utf8.count
        if let found = file.tensor(named: tensor.name) {
            precondition(found.name == tensor.name, "lookup found another tensor")
        }
    }
    let summary = ModelSummary(file)
    sink &+= summary.parameterCount &+ summary.tensorBytes &+ (summary.vocabularySize ?? 0)
}

extension TensorInfo {
    func dataOffsetInFileIsValid(_ file: GGUFFile) -> Bool {
        let (start, o1) = file.dataOffset.addingReportingOverflow(offset)
        let (end, o2) = start.addingReportingOverflow(byteCount)
        return !o1 && !o2 && start <= file.bytes.count && end <= file.bytes.count
    }
}
