/// Objects JavaScript refers to by integer handles (1, 2, …; 0 is never a handle).
/// Freed slots are reused.
struct HandleTable<Object: AnyObject> {
    private var slots: [Object?] = []

    mutating func insert(_ object: Object) -> Int32 {
        if let free = slots.firstIndex(where: { $0 == nil }) {
            slots[free] = object
            return Int32(free + 1)
        }
        slots.append(object)
        return Int32(slots.count)
    }

    subscript(handle: Int32) -> Object? {
        guard handle > 0, Int(handle) <= slots.count else { return nil }
        return slots[Int(handle) - 1]
    }

    /// Drops the table's reference; false when `handle` named nothing.
    mutating func remove(_ handle: Int32) -> Bool {
        guard self[handle] != nil else { return false }
        slots[Int(handle) - 1] = nil
        return true
    }
}

/// Bytes handed to JavaScript as (address, length) in module memory. The address stays
/// valid until the next `set`.
struct OutputBuffer {
    private var storage = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    private(set) var count = 0

    var address: UnsafeMutableRawPointer? { storage.baseAddress }

    mutating func set(_ bytes: [UInt8]) {
        if bytes.count > storage.count {
            storage.deallocate()
            storage = .allocate(byteCount: max(bytes.count, 2 * storage.count, 256), alignment: 16)
        }
        bytes.withUnsafeBytes { storage.copyMemory(from: $0) }
        count = bytes.count
    }

    mutating func set(_ text: String) {
        set(Array(text.utf8))
    }
}

nonisolated(unsafe) var lastErrorCode = ErrorCode.none
/// The last failure's message, or the text a call asked for (`swiftlet_model_info`, `swiftlet_abi`).
nonisolated(unsafe) var message = OutputBuffer()

/// Records an error for JavaScript to read, and returns `failure` for the caller to return.
func fail<Result>(_ code: ErrorCode, _ text: String, returning failure: Result) -> Result {
    lastErrorCode = code
    message.set(text)
    return failure
}
