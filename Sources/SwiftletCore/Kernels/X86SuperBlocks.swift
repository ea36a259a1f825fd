#if arch(x86_64) && SWIFTLET_AVX2
import _Builtin_intrinsics.intel

/// The integer sums of the k-quant dot products in AVX2, as llama.cpp's x86 kernels form
/// them: unsigned quants × signed activation bytes in pairs (vpmaddubsw), pairs times the
/// sub-block scales (vpmaddwd). Every sum is an exact integer (the largest pair is
/// 63 · 127 · 2, far inside int16), so these equal the portable loops in KQuants.swift;
/// only the float steps after them carry llama.cpp's rounding order.
enum X86SuperBlocks {
    /// Run `j` of a Q4_K block's 8 runs of 32 values: the low nibbles of bytes 32c…32c+31
    /// for j = 2c, their high nibbles for j = 2c + 1.
    @inline(__always)
    static func q4KRun(_ qs: UnsafeRawPointer, _ j: Int) -> __m256i {
        let bytes = load(qs + 32 * (j / 2))
        return j % 2 == 0 ? lowNibbles(bytes) : highNibbles(bytes)
    }

    /// Q4_K: for each 64 values c, scales[2c]·Σ low nibbles·a + scales[2c+1]·Σ high nibbles·a
    /// (`qs`: the block's 128 quant bytes, `a`: the 256 activation bytes).
    @inline(__always)
    static func q4KScaledSums(_ qs: UnsafeRawPointer, _ a: UnsafeRawPointer, scales: SIMD8<Int32>) -> SIMD4<Int32> {
        func run(_ j: Int) -> __m256i { q4KRun(qs, j) }
        func scale(_ j: Int) -> Int16 { Int16(truncatingIfNeeded: scales[j]) }
        func part(_ c: Int) -> __m256i {
            let low = _mm256_maddubs_epi16(run(2 * c), load(a + 64 * c))
            let high = _mm256_maddubs_epi16(run(2 * c + 1), load(a + 64 * c + 32))
            return _mm256_add_epi32(
                _mm256_madd_epi16(low, _mm256_set1_epi16(scale(2 * c))), _mm256_madd_epi16(high, _mm256_set1_epi16(scale(2 * c + 1))))
        }
        // Horizontal sums of the four parts at once: pairwise adds leave, in each 128-bit
        // half, one partial sum per part; the two halves added give the four sums.
        let pairs = _mm256_hadd_epi32(_mm256_hadd_epi32(part(0), part(1)), _mm256_hadd_epi32(part(2), part(3)))
        let halves = unsafeBitCast(pairs, to: SIMD8<Int32>.self)
        return halves.lowHalf &+ halves.highHalf
    }

    /// Q4_K: for each 64 values c, mins[2c]·(bsums[4c] + bsums[4c+1]) +
    /// mins[2c+1]·(bsums[4c+2] + bsums[4c+3]), from a Q8_K block's 16 sums.
    @inline(__always)
    static func q4KMinimums(_ activation: UnsafeRawPointer, mins: SIMD8<Int32>) -> SIMD4<Int32> {
        let sums = activation.loadUnaligned(fromByteOffset: 260, as: SIMD16<Int16>.self)
        let perThirtyTwo = _mm256_madd_epi16(unsafeBitCast(sums, to: __m256i.self), _mm256_set1_epi16(1))
        let weighted = mins &* unsafeBitCast(perThirtyTwo, to: SIMD8<Int32>.self)
        return weighted.evenHalf &+ weighted.oddHalf
    }

    /// Run `m` of a Q6_K block's 8 runs of 32 unsigned 6-bit values (KQuants.swift, Q6_K's
    /// layout): half m / 4, quarter m % 4.
    @inline(__always)
    static func q6KRun(_ block: UnsafeRawPointer, _ m: Int) -> __m256i {
        let (h, quarter) = m.quotientAndRemainder(dividingBy: 4)
        let low = load(block + 64 * h + 32 * (quarter % 2)), top = load(block + 128 + 32 * h)
        let nibbles = quarter < 2 ? lowNibbles(low) : highNibbles(low)
        let bits = quarter < 3
            ? _mm256_and_si256(_mm256_slli_epi16(top, Int32(4 - 2 * quarter)), _mm256_set1_epi8(0x30))
            : _mm256_srli_epi16(_mm256_and_si256(top, _mm256_set1_epi8(-64)), 2)
        return _mm256_or_si256(nibbles, bits)
    }

    /// Q6_K's 8 lanes as ggml_vec_dot_q6_K_q8_K (AVX2) forms them: lane k holds
    /// scale·q·qa of the values whose position mod 32 is in 4k ..< 4k + 4 (q unsigned,
    /// 0–63), less 32·(scales[2k]·bsums[2k] + scales[2k+1]·bsums[2k+1]).
    @inline(__always)
    static func q6KLanes(_ block: UnsafeRawPointer, _ activation: UnsafeRawPointer) -> SIMD8<Int32> {
        let scales = block.loadUnaligned(fromByteOffset: 192, as: SIMD16<Int8>.self)
        func run(_ m: Int) -> __m256i { q6KRun(block, m) }
        let aq = Q8_K.quants(activation)
        var acc = _mm256_setzero_si256()
        for m in 0..<8 {
            let pairs = _mm256_maddubs_epi16(run(m), load(aq + 32 * m))
            let scale = SIMD16<Int16>(
                lowHalf: .init(repeating: Int16(scales[2 * m])), highHalf: .init(repeating: Int16(scales[2 * m + 1])))
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, unsafeBitCast(scale, to: __m256i.self)))
        }
        let sums = activation.loadUnaligned(fromByteOffset: 260, as: SIMD16<Int16>.self)
        let wideScales = _mm256_cvtepi8_epi16(unsafeBitCast(scales, to: __m128i.self))
        let offsets = _mm256_madd_epi16(unsafeBitCast(sums, to: __m256i.self), wideScales)
        return unsafeBitCast(_mm256_sub_epi32(acc, _mm256_slli_epi32(offsets, 5)), to: SIMD8<Int32>.self)
    }

    @inline(__always)
    static func float(_ lanes: SIMD8<Int32>) -> SIMD8<Float> {
        _mm256_cvtepi32_ps(unsafeBitCast(lanes, to: __m256i.self))
    }

    @inline(__always)
    private static func lowNibbles(_ bytes: __m256i) -> __m256i { _mm256_and_si256(bytes, _mm256_set1_epi8(0x0f)) }

    @inline(__always)
    private static func highNibbles(_ bytes: __m256i) -> __m256i {
        _mm256_and_si256(_mm256_srli_epi16(bytes, 4), _mm256_set1_epi8(0x0f))
    }

    @inline(__always)
    static func load(_ p: UnsafeRawPointer) -> __m256i {
        unsafeBitCast(p.loadUnaligned(as: SIMD32<Int8>.self), to: __m256i.self)
    }
}
#endif
