import Builtin

/// The C allocator Embedded Swift expects (`posix_memalign`, `free`), over WebAssembly
/// linear memory: there is no libc in `wasm32-unknown-none-wasm`, so the module brings its
/// own. Memory comes from `memory.grow` and is carved from the top ("bump") of the heap.
///
/// Small blocks (≤ 1 MiB with their header) are powers of two and go back to a free list
/// per size, so the many little arrays of tokenizing and sampling are reused. Large blocks
/// (model bytes, KV cache, weights scratch) are whole 64 KiB pages, kept in one
/// address-ordered free list whose neighbours merge, and a free block at the top of the
/// heap returns to the bump region: loading a model, freeing it and loading another
/// reuses the same memory. WebAssembly memory never shrinks.
///
/// Block layout: a 16-byte header [block start: u32, block bytes: u32, 8 unused] right
/// before the payload; blocks start 16-aligned, so payloads are too (more when asked). A
/// free small block keeps the next block of its list in its first 4 bytes; a free large
/// block keeps [next: u32, bytes: u32]. The allocator's own state lives in fixed globals
/// and in the free blocks, never in arrays, which would allocate through it.
enum WasmHeap {
    static let pageBytes = 65536
    static let headerBytes = 16
    static let smallestClass = 5  // 32-byte blocks
    static let largestSmallClass = 20  // 1 MiB

    /// Heads of the free lists of small blocks, by log2 of the block size (0: empty).
    nonisolated(unsafe) static var smallFree = InlineArray<21, UInt32>(repeating: 0)
    /// Head of the address-ordered free list of large blocks (0: empty).
    nonisolated(unsafe) static var largeFree: UInt32 = 0
    /// Start of memory no block uses yet, and the end of memory.
    nonisolated(unsafe) static var bump: UInt32 = 0
    nonisolated(unsafe) static var end: UInt64 = 0
    /// Bytes in blocks handed out and not freed (headers and rounding included).
    nonisolated(unsafe) static var bytesInUse: UInt32 = 0

    static func allocate(_ size: Int, alignment: Int = 16) -> UnsafeMutableRawPointer? {
        guard size >= 0, size <= Int.max - 2 * pageBytes, alignment > 0, alignment <= pageBytes,
            alignment & (alignment - 1) == 0
        else { return nil }
        // Over-alignment: room for the payload to move up to the next multiple.
        let needed = size + headerBytes + (alignment > 16 ? alignment : 0)
        let block = needed <= 1 << largestSmallClass ? takeSmall(needed) : takeLarge(needed)
        guard let (start, bytes) = block else { return nil }
        bytesInUse += bytes
        // Addresses are unsigned: past 2 GiB they do not fit wasm32's Int.
        let payload = (UInt(start) + UInt(headerBytes) + UInt(alignment) - 1) & ~(UInt(alignment) - 1)
        let header = UnsafeMutableRawPointer(bitPattern: payload - UInt(headerBytes))!
        header.storeBytes(of: start, as: UInt32.self)
        header.storeBytes(of: bytes, toByteOffset: 4, as: UInt32.self)
        return UnsafeMutableRawPointer(bitPattern: payload)
    }

    static func release(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        let header = pointer - headerBytes
        let start = header.load(as: UInt32.self)
        let bytes = header.load(fromByteOffset: 4, as: UInt32.self)
        bytesInUse -= bytes
        if bytes <= 1 << largestSmallClass {
            let sizeClass = UInt32.bitWidth - 1 - bytes.leadingZeroBitCount
            word(start).pointee = smallFree[sizeClass]
            smallFree[sizeClass] = start
        } else {
            giveBackLarge(start: start, bytes: bytes)
        }
    }

    /// The u32 at `address` (+ 4 × `index`) in linear memory.
    private static func word(_ address: UInt32, _ index: Int = 0) -> UnsafeMutablePointer<UInt32> {
        UnsafeMutablePointer<UInt32>(bitPattern: UInt(address))! + index
    }

    // MARK: Small blocks

    private static func takeSmall(_ needed: Int) -> (UInt32, UInt32)? {
        let sizeClass = max(smallestClass, Int.bitWidth - (needed - 1).leadingZeroBitCount)
        let bytes = UInt32(1) << UInt32(sizeClass)
        let head = smallFree[sizeClass]
        if head != 0 {
            smallFree[sizeClass] = word(head).pointee
            return (head, bytes)
        }
        return takeFromBump(bytes).map { ($0, bytes) }
    }

    // MARK: Large blocks

    private static func takeLarge(_ needed: Int) -> (UInt32, UInt32)? {
        let bytes = UInt32((needed + pageBytes - 1) / pageBytes * pageBytes)
        // Best fit, so one big model-sized hole is not split for a small request.
        var best: (block: UInt32, previous: UInt32)?
        var previous: UInt32 = 0
        var block = largeFree
        while block != 0 {
            let size = word(block, 1).pointee
            if size >= bytes, best == nil || size < word(best!.block, 1).pointee { best = (block, previous) }
            previous = block
            block = word(block).pointee
        }
        guard let best else { return takeFromBump(bytes).map { ($0, bytes) } }
        let size = word(best.block, 1).pointee
        var next = word(best.block).pointee
        if size > bytes {
            // Keep the tail free, in the same place in the list.
            let tail = best.block + bytes
            word(tail).pointee = next
            word(tail, 1).pointee = size - bytes
            next = tail
        }
        if best.previous == 0 { largeFree = next } else { word(best.previous).pointee = next }
        return (best.block, bytes)
    }

    private static func giveBackLarge(start: UInt32, bytes: UInt32) {
        var previous: UInt32 = 0
        var next = largeFree
        while next != 0, next < start {
            previous = next
            next = word(next).pointee
        }
        var block = (start: start, bytes: bytes)
        if next != 0, start + bytes == next {
            block.bytes += word(next, 1).pointee
            next = word(next).pointee
        }
        if previous != 0, previous + word(previous, 1).pointee == start {
            block = (previous, word(previous, 1).pointee + block.bytes)
            previous = previousBlock(before: previous)
        }
        if block.start + block.bytes == bump, next == 0 {
            // The top of the heap: back to the bump region, with any free block below it.
            bump = block.start
            while previous != 0, previous + word(previous, 1).pointee == bump {
                bump = previous
                previous = previousBlock(before: previous)
            }
            if previous == 0 { largeFree = 0 } else { word(previous).pointee = 0 }
            return
        }
        word(block.start).pointee = next
        word(block.start, 1).pointee = block.bytes
        if previous == 0 { largeFree = block.start } else { word(previous).pointee = block.start }
    }

    /// The free large block whose link points at `block` (0 when it is the head).
    private static func previousBlock(before block: UInt32) -> UInt32 {
        var previous: UInt32 = 0
        var current = largeFree
        while current != block {
            previous = current
            current = word(current).pointee
        }
        return previous
    }

    // MARK: Growing memory

    /// `bytes` (a multiple of 32) from the top of the heap, growing memory when needed.
    private static func takeFromBump(_ bytes: UInt32) -> UInt32? {
        if end == 0 {
            // The heap starts past everything the linker placed (data, stack).
            end = UInt64(memoryPages() * pageBytes)
            bump = UInt32(end)
        }
        let newBump = UInt64(bump) + UInt64(bytes)
        guard newBump <= UInt64(UInt32.max) else { return nil }
        if newBump > end {
            let pages = Int((newBump - end + UInt64(pageBytes) - 1) / UInt64(pageBytes))
            guard growMemory(pages: pages) else { return nil }
            end += UInt64(pages * pageBytes)
        }
        defer { bump = UInt32(newBump) }
        return bump
    }

    static func memoryPages() -> Int {
        Int(Int32(Builtin.int_wasm_memory_size_Int32(Builtin.zeroInitializer())))
    }

    private static func growMemory(pages: Int) -> Bool {
        let previous = Int32(Builtin.int_wasm_memory_grow_Int32(Builtin.zeroInitializer(), Int32(pages)._value))
        return previous >= 0
    }
}

// MARK: - The C functions the Embedded runtime imports

@_cdecl("posix_memalign")
func posixMemalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32 {
    guard let pointer = WasmHeap.allocate(size, alignment: alignment) else { return 12 }  // ENOMEM
    result.pointee = pointer
    return 0
}

/// `free`, under the name the linker's `--wrap=free` routes it to (Swift reserves the
/// name `free` itself for its runtime).
@_cdecl("__wrap_free")
func wrappedFree(_ pointer: UnsafeMutableRawPointer?) {
    WasmHeap.release(pointer)
}
