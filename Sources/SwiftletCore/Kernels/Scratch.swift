/// Runs `body` with `byteCount` bytes of scratch (64-byte aligned) from the heap, for the
/// kernels' per-call buffers. Not `withUnsafeTemporaryAllocation`: past a small size it asks
/// the C library for the thread's stack bounds on every call, which on the thread that runs
/// a pass costs more than the allocation (measured: SmolLM2 decode with 2 threads, 257 →
/// 321 tokens/s once attention stopped doing it).
@inline(__always)
func withScratch<Result>(byteCount: Int, _ body: (UnsafeMutableRawPointer) -> Result) -> Result {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
    defer { buffer.deallocate() }
    return body(buffer)
}
