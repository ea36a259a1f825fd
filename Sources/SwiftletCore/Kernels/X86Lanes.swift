#if arch(x86_64) && SWIFTLET_AVX2
import _Builtin_intrinsics.intel

/// The quantized block dot products' lanes in AVX2, as llama.cpp's x86 kernels form them:
/// unsigned × signed byte products summed in pairs (vpmaddubsw), then pairs of pairs
/// (vpmaddwd), giving lane k = the 4 products at bytes 4k ..< 4k + 4. No sum can overflow
/// (|q| ≤ 127 or q ≤ 15 against |a| ≤ 127), so the lanes equal the portable loops' exactly.
/// Native x86-64 builds compile with AVX2 (Package.swift defines SWIFTLET_AVX2 then).
enum X86Lanes {
    /// Lane k = Σ a[i]·b[i] over i in 4k ..< 4k + 4, for 32 int8 values.
    @inline(__always)
    static func lanes(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>) -> SIMD8<Float> {
        signedQuadSums(load(a), load(b))
    }

    /// Lanes 0–3: the low nibbles (minus `offset`) times b[0..<16]; lanes 4–7: the high
    /// nibbles times b[16..<32].
    /// With `high`, bit i of it is the fifth bit of value i (Q5_0, Q5_1).
    @inline(__always)
    static func nibbleLanes(_ packed: UnsafePointer<UInt8>, high: UInt32 = 0, _ b: UnsafePointer<Int8>, offset: Int32) -> SIMD8<Float> {
        let x = nibbles(packed, high: high)
        let y = load(b)
        if offset == 0 { return float(quadSums(_mm256_setzero_si256(), x, y)) }
        return signedQuadSums(_mm256_sub_epi8(x, _mm256_set1_epi8(Int8(truncatingIfNeeded: offset))), y)
    }

    /// The 32 values of a nibble block, unsigned: the low nibbles, then the high ones,
    /// with fifth bits from `high`. (Generic SIMD conversions and compound operators
    /// compile lane by lane here; intrinsics stay whole-vector.)
    @inline(__always)
    static func nibbles(_ packed: UnsafePointer<UInt8>, high: UInt32 = 0) -> __m256i {
        let bytes = UnsafeRawPointer(packed).loadUnaligned(as: SIMD16<UInt8>.self)
        let x = unsafeBitCast(SIMD32(lowHalf: bytes & 0x0f, highHalf: bytes &>> 4), to: __m256i.self)
        return high == 0 ? x : _mm256_or_si256(x, fifthBits(high))
    }

    /// Byte i = 16 where bit i of `bits` is set, else 0: each byte of `bits` spread over 8
    /// lanes (vpshufb), then tested against that lane's bit.
    @inline(__always)
    private static func fifthBits(_ bits: UInt32) -> __m256i {
        let spread = SIMD32<UInt8>(
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3)
        let lanesBit = SIMD32<UInt8>(
            1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128,
            1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128)
        let repeated = _mm256_shuffle_epi8(_mm256_set1_epi32(Int32(bitPattern: bits)), unsafeBitCast(spread, to: __m256i.self))
        let mask = unsafeBitCast(lanesBit, to: __m256i.self)
        let set = _mm256_cmpeq_epi8(_mm256_and_si256(repeated, mask), mask)
        return _mm256_and_si256(set, _mm256_set1_epi8(16))
    }

    /// `Q8Scale.round` in AVX2 for a finite multiplier (127 / the block's largest
    /// magnitude, so every product is within ±127.5 or NaN): the conversion rounds half to
    /// even (the default rounding mode), and NaN becomes 0 as in `Int8(saturating:)`.
    @inline(__always)
    static func quantize(_ values: UnsafePointer<Float>, multiplier: Float, into out: UnsafeMutableRawPointer) {
        func converted(_ i: Int) -> __m256i {
            _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(values + i), _mm256_set1_ps(multiplier)))
        }
        let words = _mm256_packs_epi16(
            _mm256_packs_epi32(converted(0), converted(8)), _mm256_packs_epi32(converted(16), converted(24)))
        // The packs interleave 128-bit halves; put the 4-byte groups back in order.
        let bytes = _mm256_permutevar8x32_epi32(words, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
        // Only NaN converts to −2^31 and packs to −128.
        let ordered = _mm256_andnot_si256(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(-128)), bytes)
        out.storeBytes(of: unsafeBitCast(ordered, to: SIMD32<Int8>.self), as: SIMD32<Int8>.self)
    }

    /// Signed × signed through the unsigned × signed instruction: |x| · (y with x's sign).
    @inline(__always)
    private static func signedQuadSums(_ x: __m256i, _ y: __m256i) -> SIMD8<Float> {
        float(signedQuadSums(_mm256_setzero_si256(), x, y))
    }

    /// `sums` + lane k = Σ x[i]·y[i] over bytes 4k ..< 4k + 4, for signed x (|x| ≤ 127) and y.
    @inline(__always)
    static func signedQuadSums(_ sums: __m256i, _ x: __m256i, _ y: __m256i) -> __m256i {
        quadSums(sums, _mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x))
    }

    /// `sums` + lane k = Σ u[i]·s[i] over bytes 4k ..< 4k + 4, u unsigned and s signed: one
    /// AVX-VNNI instruction where the build has it, else the pair sums (which cannot
    /// saturate for any operands here: |u·s| ≤ 127 · 128) and their sums. The same integers.
    @inline(__always)
    static func quadSums(_ sums: __m256i, _ u: __m256i, _ s: __m256i) -> __m256i {
        #if SWIFTLET_AVXVNNI
        _mm256_dpbusd_avx_epi32(sums, u, s)
        #else
        _mm256_add_epi32(sums, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)))
        #endif
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Int8>) -> __m256i {
        unsafeBitCast(UnsafeRawPointer(p).loadUnaligned(as: SIMD32<Int8>.self), to: __m256i.self)
    }

    @inline(__always)
    private static func float(_ lanes: __m256i) -> SIMD8<Float> {
        _mm256_cvtepi32_ps(lanes)
    }
}
#endif
