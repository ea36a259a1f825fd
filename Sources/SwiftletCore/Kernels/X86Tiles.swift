#if arch(x86_64) && SWIFTLET_AVX2
import _Builtin_intrinsics.intel

/// Prefill's matrix product for the 32-value block formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0)
/// on x86: a tile of 4 or 8 weight rows is unpacked once into plain bytes and float
/// scales, then every token of the batch meets them, so the per-block work left per row and
/// token is one 4-byte dot product (`vpdpbusd` with VNNI, else two multiply-adds), a
/// conversion, the scale product and the fused accumulation; with AVX-512 two rows share
/// each instruction.
///
/// The sums are those of `IntegerDot.blockDot`, lane for lane: lanes of centred formats
/// are formed as Σ q·y − offset·Σ y over each 4 values (exact integers either way), and
/// the float steps (d·da, the fused accumulation, the final reduction, the minimums'
/// separate sum) are the same operations in the same order.
enum X86Tiles {
    /// Fewer tokens than this go through `dot4`: unpacking would not pay for itself.
    static let minimumTokens = 4

    /// Rows per tile: 8 share each activation block's loading, scale and centring.
    static func tileRows(tokens: Int) -> Int { tokens >= minimumTokens ? 8 : 4 }

    /// `tile` (4 or 8 rows) with weights unpacked by `quants` (a block's 32 values as bytes).
    @inline(__always)
    static func multiply<Format: WeightFormat>(
        _ format: Format.Type, _ p: RowTile, layout: Layout, quants: (_ block: UnsafeRawPointer) -> __m256i
    ) {
        guard p.tokens.count >= minimumTokens else { return Format.multiplyByDots(p) }
        switch p.rows {
        case 8: multiply(p, rows: 8, layout: layout, quants: quants)
        case 4: multiply(p, rows: 4, layout: layout, quants: quants)
        default: Format.multiplyByDots(p)
        }
    }

    /// `rows` (4 or 8, a constant once inlined) rows of `p`.
    @inline(__always)
    private static func multiply(_ p: RowTile, rows: Int, layout: Layout, quants: (_ block: UnsafeRawPointer) -> __m256i) {
        let (weights, rowBytes, blocks) = (p.weights, p.rowBytes, p.blocks)
        // quants: [blocks × rows × 32] bytes; scales: [blocks × rows] each as 8 equal floats
        // (an operand as it is); minimums: [blocks × rows] floats
        withScratch(byteCount: blocks * rows * (32 + 32 + 4)) { unpacked in
            let scales = (unpacked + blocks * rows * 32).assumingMemoryBound(to: Float.self)
            let minimums = scales + blocks * rows * 8
            for block in 0..<blocks {
                for r in 0..<rows {
                    let w = weights + r * rowBytes + block * layout.weightBytes
                    (unpacked + (rows * block + r) * 32).storeBytes(of: quants(w), as: __m256i.self)
                    UnsafeMutableRawPointer(scales + 8 * (rows * block + r)).storeBytes(of: SIMD8(repeating: w.loadHalf(at: 0)), as: SIMD8<Float>.self)
                    if layout.hasMinimum { minimums[rows * block + r] = w.loadHalf(at: 2) }
                }
            }
            for b in p.tokens {
                let activation = p.activations + b * p.activationRowBytes
                var acc = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
                var minimumSums = (SIMD4<Float>(), SIMD4<Float>())
                #if SWIFTLET_AVX512
                // Rows 2i and 2i + 1 in the two halves of pairs.i.
                var pairs = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
                #endif
                for block in 0..<blocks {
                    let a = activation + block * layout.activationBytes
                    let x = unpacked + block * rows * 32
                    let ya = load(a + layout.activationQuants)
                    let d = SIMD8<Float>(repeating: a.loadHalf(at: 0))
                    // −offset · (Σ of each 4 activation bytes), where the lanes of centred
                    // formats start.
                    let zero = _mm256_setzero_si256()
                    let start = layout.offset == 0
                        ? zero : _mm256_sub_epi32(zero, X86Lanes.quadSums(zero, _mm256_set1_epi8(Int8(layout.offset)), ya))
                    #if SWIFTLET_AVX512
                    // Row r's and r + 1's blocks at once (their quants and scales lie side by
                    // side), each as `accumulate` below does it.
                    let ya2 = _mm512_broadcast_i64x4(ya), start2 = _mm512_broadcast_i64x4(start), zero2 = _mm512_setzero_si512()
                    let d2 = SIMD16<Float>(lowHalf: d, highHalf: d)
                    @inline(__always) func accumulatePair(_ sum: inout SIMD16<Float>, _ r: Int) {
                        let q = UnsafeRawPointer(x + 32 * r).loadUnaligned(as: __m512i.self)
                        let sums = layout.signed
                            ? _mm512_dpbusd_epi32(zero2, _mm512_abs_epi8(q), _mm512_mask_sub_epi8(ya2, _mm512_movepi8_mask(q), zero2, ya2))
                            : _mm512_dpbusd_epi32(start2, q, ya2)
                        let scale = UnsafeRawPointer(scales + 8 * (rows * block + r)).loadUnaligned(as: SIMD16<Float>.self) * d2
                        sum = sum.addingProduct(scale, _mm512_cvtepi32_ps(sums))
                    }
                    accumulatePair(&pairs.0, 0)
                    accumulatePair(&pairs.1, 2)
                    if rows == 8 {
                        accumulatePair(&pairs.2, 4)
                        accumulatePair(&pairs.3, 6)
                    }
                    #else
                    // Row r's block: its lanes fused into the sum with the weight scale times
                    // the activation's.
                    @inline(__always) func accumulate(_ sum: inout SIMD8<Float>, _ r: Int) {
                        let q = load(x + 32 * r)
                        let lanes = _mm256_cvtepi32_ps(layout.signed ? X86Lanes.signedQuadSums(zero, q, ya) : X86Lanes.quadSums(start, q, ya))
                        let scale = UnsafeRawPointer(scales + 8 * (rows * block + r)).load(as: SIMD8<Float>.self) * d
                        sum = sum.addingProduct(scale, lanes)
                    }
                    accumulate(&acc.0, 0)
                    accumulate(&acc.1, 1)
                    accumulate(&acc.2, 2)
                    accumulate(&acc.3, 3)
                    if rows == 8 {
                        accumulate(&acc.4, 4)
                        accumulate(&acc.5, 5)
                        accumulate(&acc.6, 6)
                        accumulate(&acc.7, 7)
                    }
                    #endif
                    if layout.hasMinimum {
                        let m = UnsafeRawPointer(minimums + rows * block)
                        minimumSums.0 = minimumSums.0.addingProduct(m.loadUnaligned(as: SIMD4<Float>.self), a.loadHalf(at: 2))
                        if rows == 8 {
                            minimumSums.1 = minimumSums.1.addingProduct(m.loadUnaligned(fromByteOffset: 16, as: SIMD4<Float>.self), a.loadHalf(at: 2))
                        }
                    }
                }
                #if SWIFTLET_AVX512
                acc = (pairs.0.lowHalf, pairs.0.highHalf, pairs.1.lowHalf, pairs.1.highHalf,
                       pairs.2.lowHalf, pairs.2.highHalf, pairs.3.lowHalf, pairs.3.highHalf)
                #endif
                let out = p.y + b * p.outputStride
                @inline(__always) func store(_ lanes: (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>), minimums: SIMD4<Float>, at r: Int) {
                    let sums = SIMD4(
                        IntegerDot.horizontalSum(lanes.0), IntegerDot.horizontalSum(lanes.1),
                        IntegerDot.horizontalSum(lanes.2), IntegerDot.horizontalSum(lanes.3))
                    let results = layout.hasMinimum ? sums + minimums : sums
                    for i in 0..<4 { out[r + i] = results[i] }
                }
                store((acc.0, acc.1, acc.2, acc.3), minimums: minimumSums.0, at: 0)
                if rows == 8 { store((acc.4, acc.5, acc.6, acc.7), minimums: minimumSums.1, at: 4) }
            }
        }
    }

    /// Where a format keeps its parts, and how its quants meet the activation's bytes.
    struct Layout {
        var weightBytes: Int
        var activationBytes: Int
        /// Offset of the quants in an activation block (after d, or d and s).
        var activationQuants: Int
        /// Subtracted from the unpacked quants (8 for Q4_0, 16 for Q5_0, else 0).
        var offset: Int32 = 0
        /// An f16 minimum at offset 2 of each weight block, met by the activation's sum.
        var hasMinimum = false
        /// Quants are signed bytes (Q8_0) rather than small unsigned ones.
        var signed = false
    }

    @inline(__always)
    private static func load(_ p: UnsafeRawPointer) -> __m256i {
        unsafeBitCast(p.loadUnaligned(as: SIMD32<Int8>.self), to: __m256i.self)
    }
}

extension Q4_0 {
    public static func tileRows(tokens: Int) -> Int { X86Tiles.tileRows(tokens: tokens) }

    public static func multiply(_ p: RowTile) {
        X86Tiles.multiply(Self.self, p, layout: .init(weightBytes: blockBytes, activationBytes: Q8_0.blockBytes, activationQuants: 2, offset: 8)) {
            X86Lanes.nibbles($0.bytes(at: 2))
        }
    }
}

extension Q4_1 {
    public static func tileRows(tokens: Int) -> Int { X86Tiles.tileRows(tokens: tokens) }

    public static func multiply(_ p: RowTile) {
        X86Tiles.multiply(Self.self, p, layout: .init(weightBytes: blockBytes, activationBytes: Q8_1.blockBytes, activationQuants: 4, hasMinimum: true)) {
            X86Lanes.nibbles($0.bytes(at: 4))
        }
    }
}

extension Q5_0 {
    public static func tileRows(tokens: Int) -> Int { X86Tiles.tileRows(tokens: tokens) }

    public static func multiply(_ p: RowTile) {
        X86Tiles.multiply(Self.self, p, layout: .init(weightBytes: blockBytes, activationBytes: Q8_0.blockBytes, activationQuants: 2, offset: 16)) {
            X86Lanes.nibbles($0.bytes(at: 6), high: highBits($0, at: 2))
        }
    }
}

extension Q5_1 {
    public static func tileRows(tokens: Int) -> Int { X86Tiles.tileRows(tokens: tokens) }

    public static func multiply(_ p: RowTile) {
        X86Tiles.multiply(Self.self, p, layout: .init(weightBytes: blockBytes, activationBytes: Q8_1.blockBytes, activationQuants: 4, hasMinimum: true)) {
            X86Lanes.nibbles($0.bytes(at: 8), high: Q5_0.highBits($0, at: 4))
        }
    }
}

extension Q8_0 {
    public static func tileRows(tokens: Int) -> Int { X86Tiles.tileRows(tokens: tokens) }

    public static func multiply(_ p: RowTile) {
        X86Tiles.multiply(Self.self, p, layout: .init(weightBytes: blockBytes, activationBytes: blockBytes, activationQuants: 2, signed: true)) {
            unsafeBitCast($0.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self), to: __m256i.self)
        }
    }
}
#endif
