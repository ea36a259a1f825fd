#if arch(x86_64) && SWIFTLET_AVX2
import _Builtin_intrinsics.intel

/// Prefill's k-quant products (the tokens llama.cpp gives its matrix kernels, `batchDot`)
/// 4 rows at a time: the rows' super-blocks are unpacked once into runs of 32 plain bytes
/// beside their scales, ready as instruction operands, then every token meets all 4 rows
/// at once. The integer sums are X86SuperBlocks' (exact); the float steps are `batchDot`'s
/// in its order, done for the 4 rows in the 4 lanes of one vector.
enum X86SuperBlockTiles {
    /// Unpacks each super-block of the 4 rows with `unpack(block, group)` into `groupBytes`,
    /// then writes `product(groups, activation)` (the 4 rows' results) for every token.
    @inline(__always)
    static func multiply(
        _ p: RowTile, groupBytes: Int,
        unpack: (_ block: Int, _ group: UnsafeMutableRawPointer) -> Void,
        product: (_ groups: UnsafeRawPointer, _ activation: UnsafeRawPointer) -> SIMD4<Float>
    ) {
        precondition(p.rows == 4, "k-quant tiles take 4 rows")
        // groups: [blocks × groupBytes]
        withUnsafeTemporaryAllocation(byteCount: p.blocks * groupBytes, alignment: 32) { buffer in
            let groups = buffer.baseAddress!
            for block in 0..<p.blocks { unpack(block, groups + block * groupBytes) }
            for b in p.tokens {
                let results = product(UnsafeRawPointer(groups), p.activations + b * p.activationRowBytes)
                for r in 0..<4 { p.y[b * p.outputStride + r] = results[r] }
            }
        }
    }

    /// Lane r = the wrapping sum of the 8 lanes of `rows.r`.
    @inline(__always)
    static func rowSums(_ rows: (__m256i, __m256i, __m256i, __m256i)) -> SIMD4<Int32> {
        // Pairwise adds leave, in each 128-bit half, one partial sum per row.
        let pairs = _mm256_hadd_epi32(_mm256_hadd_epi32(rows.0, rows.1), _mm256_hadd_epi32(rows.2, rows.3))
        let halves = unsafeBitCast(pairs, to: SIMD8<Int32>.self)
        return halves.lowHalf &+ halves.highHalf
    }

    @inline(__always)
    static func float(_ lanes: SIMD4<Int32>) -> SIMD4<Float> {
        _mm_cvtepi32_ps(unsafeBitCast(lanes, to: __m128i.self))
    }

    @inline(__always)
    static func store(_ vector: __m256i, _ p: UnsafeMutableRawPointer) { p.storeBytes(of: vector, as: __m256i.self) }
}

extension Q4_K {
    // One super-block of the 4 rows (a group):
    //   runs   [4 rows × 8 runs × 32] quant bytes
    //   scales [4 rows × 8 runs] each as 16 equal Int16 (the vpmaddwd operand)
    //   mins   [8 runs] × SIMD4<Int32> over rows
    //   d, dmin  SIMD4<Float> over rows
    public static func multiplyBatch(_ p: RowTile) {
        let (runs, scales, mins, d, dmin, groupBytes) = (0, 1024, 2048, 2176, 2192, 2208)
        X86SuperBlockTiles.multiply(p, groupBytes: groupBytes, unpack: { block, group in
            for r in 0..<4 {
                let w = p.weights + r * p.rowBytes + block * blockBytes
                let (rowScales, rowMins) = unpackScalesAndMins(w + 4)
                for j in 0..<8 {
                    X86SuperBlockTiles.store(X86SuperBlocks.q4KRun(w + 16, j), group + runs + 32 * (8 * r + j))
                    X86SuperBlockTiles.store(
                        _mm256_set1_epi16(Int16(truncatingIfNeeded: rowScales[j])), group + scales + 32 * (8 * r + j))
                    (group + mins + 16 * j + 4 * r).storeBytes(of: rowMins[j], as: Int32.self)
                }
                (group + d + 4 * r).storeBytes(of: w.loadHalf(at: 0), as: Float.self)
                (group + dmin + 4 * r).storeBytes(of: w.loadHalf(at: 2), as: Float.self)
            }
        }, product: { groups, activation in
            var sum = SIMD4<Float>(), minimums = SIMD4<Float>()
            for block in 0..<p.blocks {
                let group = groups + block * groupBytes, a = activation + block * Q8_K.blockBytes
                let aq = Q8_K.quants(a)
                // Row r, values 64c ..< 64c + 64: Σ scale·q·qa in 8 lanes.
                @inline(__always) func part(_ r: Int, _ c: Int) -> __m256i {
                    func scaled(_ j: Int) -> __m256i {
                        let pairs = _mm256_maddubs_epi16(X86SuperBlocks.load(group + runs + 32 * (8 * r + j)), X86SuperBlocks.load(aq + 32 * j))
                        return _mm256_madd_epi16(pairs, X86SuperBlocks.load(group + scales + 32 * (8 * r + j)))
                    }
                    return _mm256_add_epi32(scaled(2 * c), scaled(2 * c + 1))
                }
                // Σ of each 32 activation values, from the block's 16 sums of 16.
                let sums = _mm256_madd_epi16(X86SuperBlocks.load(a + 260), _mm256_set1_epi16(1))
                let sumsOf32 = unsafeBitCast(sums, to: SIMD8<Int32>.self)
                let da = Q8_K.scale(a)
                let scale = group.loadUnaligned(fromByteOffset: d, as: SIMD4<Float>.self) * da
                let minimumScale = group.loadUnaligned(fromByteOffset: dmin, as: SIMD4<Float>.self) * da
                for c in 0..<4 {
                    let scaled = X86SuperBlockTiles.rowSums((part(0, c), part(1, c), part(2, c), part(3, c)))
                    let low = group.loadUnaligned(fromByteOffset: mins + 32 * c, as: SIMD4<Int32>.self)
                    let high = group.loadUnaligned(fromByteOffset: mins + 32 * c + 16, as: SIMD4<Int32>.self)
                    let weightedMins = low &* sumsOf32[2 * c] &+ high &* sumsOf32[2 * c + 1]
                    sum = sum.addingProduct(X86SuperBlockTiles.float(scaled), scale)
                    minimums = minimums.addingProduct(X86SuperBlockTiles.float(weightedMins), minimumScale)
                }
            }
            return sum - minimums
        })
    }
}

extension Q6_K {
    // One super-block of the 4 rows (a group):
    //   runs   [4 rows × 8 runs × 32] quant bytes (unsigned, 0–63)
    //   scales [4 rows × 8 runs] as 16 Int16: 8 of scale 2m, 8 of scale 2m + 1
    //   wide   [4 rows] the 16 scales as Int16
    //   d      SIMD4<Float> over rows
    public static func multiplyBatch(_ p: RowTile) {
        let (runs, scales, wide, d, groupBytes) = (0, 1024, 2048, 2176, 2208)
        X86SuperBlockTiles.multiply(p, groupBytes: groupBytes, unpack: { block, group in
            for r in 0..<4 {
                let w = p.weights + r * p.rowBytes + block * blockBytes
                let rowScales = _mm256_cvtepi8_epi16(w.loadUnaligned(fromByteOffset: 192, as: __m128i.self))
                for m in 0..<8 {
                    X86SuperBlockTiles.store(X86SuperBlocks.q6KRun(w, m), group + runs + 32 * (8 * r + m))
                    let s = (Int16(w.load(fromByteOffset: 192 + 2 * m, as: Int8.self)), Int16(w.load(fromByteOffset: 193 + 2 * m, as: Int8.self)))
                    X86SuperBlockTiles.store(
                        _mm256_setr_m128i(_mm_set1_epi16(s.0), _mm_set1_epi16(s.1)), group + scales + 32 * (8 * r + m))
                }
                X86SuperBlockTiles.store(rowScales, group + wide + 32 * r)
                (group + d + 4 * r).storeBytes(of: w.loadHalf(at: 208), as: Float.self)
            }
        }, product: { groups, activation in
            var sum = SIMD4<Float>()
            for block in 0..<p.blocks {
                let group = groups + block * groupBytes, a = activation + block * Q8_K.blockBytes
                let aq = Q8_K.quants(a), blockSums = X86SuperBlocks.load(a + 260)
                // X86SuperBlocks.q6KLanes of row r.
                @inline(__always) func lanes(_ r: Int) -> __m256i {
                    var acc = _mm256_setzero_si256()
                    for m in 0..<8 {
                        let pairs = _mm256_maddubs_epi16(X86SuperBlocks.load(group + runs + 32 * (8 * r + m)), X86SuperBlocks.load(aq + 32 * m))
                        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, X86SuperBlocks.load(group + scales + 32 * (8 * r + m))))
                    }
                    let offsets = _mm256_madd_epi16(blockSums, X86SuperBlocks.load(group + wide + 32 * r))
                    return _mm256_sub_epi32(acc, _mm256_slli_epi32(offsets, 5))
                }
                let scaled = X86SuperBlockTiles.float(X86SuperBlockTiles.rowSums((lanes(0), lanes(1), lanes(2), lanes(3))))
                let rowScale = group.loadUnaligned(fromByteOffset: d, as: SIMD4<Float>.self)
                sum = sum.addingProduct(scaled * rowScale, SIMD4(repeating: Q8_K.scale(a)))
            }
            return sum
        })
    }
}
#endif
