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
    @inline(__always)
    static func nibbleLanes(_ packed: UnsafePointer<UInt8>, _ b: UnsafePointer<Int8>, offset: Int32) -> SIMD8<Float> {
        let bytes = UnsafeRawPointer(packed).loadUnaligned(as: SIMD16<UInt8>.self)
        let nibbles = SIMD32(lowHalf: bytes & 0x0f, highHalf: bytes &>> 4)  // (32,) values 0…15
        let y = load(b)
        if offset == 0 {
            let x = unsafeBitCast(nibbles, to: __m256i.self)
            return float(_mm256_madd_epi16(_mm256_maddubs_epi16(x, y), _mm256_set1_epi16(1)))
        }
        let centred = SIMD32<Int8>(truncatingIfNeeded: nibbles) &- Int8(truncatingIfNeeded: offset)
        return signedQuadSums(unsafeBitCast(centred, to: __m256i.self), y)
    }

    /// Signed × signed through the unsigned × signed instruction: |x| · (y with x's sign).
    @inline(__always)
    private static func signedQuadSums(_ x: __m256i, _ y: __m256i) -> SIMD8<Float> {
        let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x))
        return float(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)))
    }

    @inline(__always)
    private static func load(_ p: UnsafePointer<Int8>) -> __m256i {
        unsafeBitCast(UnsafeRawPointer(p).loadUnaligned(as: SIMD32<Int8>.self), to: __m256i.self)
    }

    @inline(__always)
    private static func float(_ lanes: __m256i) -> SIMD8<Float> {
        unsafeBitCast(_mm256_cvtepi32_ps(lanes), to: SIMD8<Float>.self)
    }
}
#endif
