#if arch(x86_64) && SWIFTLET_AVX2
import Builtin
#endif

/// Asks the CPU to start loading the cache line at `address` (a hint: no fault, no effect
/// on results). Kernels that walk several weight rows at once use it to fetch the next
/// rows while computing these, which the hardware's stream detector does not do for
/// short interleaved streams.
@inline(__always)
func prefetch(_ address: UnsafeRawPointer) {
    #if arch(x86_64) && SWIFTLET_AVX2
    Builtin.int_prefetch_RawPointer(address._rawValue, Builtin.zeroInitializer(), (3 as Int32)._value, (1 as Int32)._value)
    #endif
}

/// `prefetch` into the second-level cache only: for data needed a while from now, more of
/// it than the first level holds.
@inline(__always)
func prefetchToL2(_ address: UnsafeRawPointer) {
    #if arch(x86_64) && SWIFTLET_AVX2
    Builtin.int_prefetch_RawPointer(address._rawValue, Builtin.zeroInitializer(), (2 as Int32)._value, (1 as Int32)._value)
    #endif
}
