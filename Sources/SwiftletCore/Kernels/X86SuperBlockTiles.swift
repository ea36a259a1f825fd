#if arch(x86_64) && SWIFTLET_AVX2
import _Builtin_intrinsics.intel

/// Prefill's k-quant products (the tokens llama.cpp gives its matrix kernels, `batchDot`)
/// 8 rows at a time, one row per 32-bit lane: the rows' super-blocks are unpacked once,
/// transposed so that each 4 quant bytes of the 8 rows fill one vector, and every token's
/// 4 activation bytes, broadcast, meet all 8 rows in one 4-byte dot product per lane. The
/// per-row sums need no horizontal reduction, and they are the exact integers of
/// X86SuperBlocks; the float steps are `batchDot`'s, in its order, one row per lane.
enum X86SuperBlockTiles {
    /// Rows per tile.
    static let rows = 8

    /// Unpacks each super-block of the 8 rows with `unpack(block, group)` into `groupBytes`,
    /// then writes `product(groups, activation)` (the 8 rows' results) for every token.
    @inline(__always)
    static func multiply(
        _ p: RowTile, groupBytes: Int,
        unpack: (_ block: Int, _ group: UnsafeMutableRawPointer) -> Void,
        product: (_ groups: UnsafeRawPointer, _ activation: UnsafeRawPointer) -> SIMD8<Float>
    ) {
        // groups: [blocks × groupBytes]
        withUnsafeTemporaryAllocation(byteCount: p.blocks * groupBytes, alignment: 32) { buffer in
            let groups = buffer.baseAddress!
            for block in 0..<p.blocks { unpack(block, groups + block * groupBytes) }
            for b in p.tokens {
                let results = product(UnsafeRawPointer(groups), p.activations + b * p.activationRowBytes)
                UnsafeMutableRawPointer(p.y + b * p.outputStride).storeBytes(of: results, as: SIMD8<Float>.self)
            }
        }
    }

    /// Stores the 8 rows' runs of 32 quant bytes (`run(r)`) transposed into `out`:
    /// [8 groups of 4 values × 8 rows × 4 bytes], so vector g holds group g of every row.
    @inline(__always)
    static func storeTransposed(_ run: (_ row: Int) -> __m256i, into out: UnsafeMutableRawPointer) {
        // rowRuns: [8 rows × 32] bytes
        withUnsafeTemporaryAllocation(byteCount: 256, alignment: 32) { buffer in
            let rowRuns = buffer.baseAddress!
            for r in 0..<rows { rowRuns.storeBytes(of: run(r), toByteOffset: 32 * r, as: __m256i.self) }
            for g in 0..<8 {
                for r in 0..<rows {
                    out.storeBytes(of: rowRuns.load(fromByteOffset: 32 * r + 4 * g, as: UInt32.self), toByteOffset: 32 * g + 4 * r, as: UInt32.self)
                }
            }
        }
    }

    /// Lane r: the sum over groups `groups` of a run's 4-byte dot products for row r
    /// (`quants`: transposed as `storeTransposed` leaves them; `activation`: the run's 32
    /// activation bytes).
    @inline(__always)
    static func runSums(_ quants: UnsafeRawPointer, _ activation: UnsafeRawPointer, groups: Range<Int>) -> __m256i {
        var sums = _mm256_setzero_si256()
        for g in groups {
            let a = _mm256_set1_epi32(activation.loadUnaligned(fromByteOffset: 4 * g, as: Int32.self))
            sums = X86Lanes.quadSums(sums, X86SuperBlocks.load(quants + 32 * g), a)
        }
        return sums
    }

    @inline(__always)
    static func int32s(_ v: __m256i) -> SIMD8<Int32> { unsafeBitCast(v, to: SIMD8<Int32>.self) }

    @inline(__always)
    static func float(_ v: SIMD8<Int32>) -> SIMD8<Float> { _mm256_cvtepi32_ps(unsafeBitCast(v, to: __m256i.self)) }
}

extension Q4_K {
    /// 8 rows per tile for a batch (the transposed tiles).
    public static func tileRows(tokens: Int) -> Int { tokens >= 4 ? X86SuperBlockTiles.rows : 4 }

    // One super-block of the 8 rows (a group):
    //   quants [8 runs × 8 groups × 8 rows × 4] bytes
    //   scales, mins [8 runs] × SIMD8<Int32> over rows
    //   d, dmin  SIMD8<Float> over rows
    public static func multiplyBatch(_ p: RowTile) {
        guard p.rows == X86SuperBlockTiles.rows else { return multiplyBatchByRows(p) }
        let (quants, scales, mins, d, dmin, groupBytes) = (0, 2048, 2304, 2560, 2592, 2624)
        X86SuperBlockTiles.multiply(p, groupBytes: groupBytes, unpack: { block, group in
            func row(_ r: Int) -> UnsafeRawPointer { p.weights + r * p.rowBytes + block * blockBytes }
            for j in 0..<8 {
                X86SuperBlockTiles.storeTransposed({ X86SuperBlocks.q4KRun(row($0) + 16, j) }, into: group + quants + 256 * j)
            }
            for r in 0..<8 {
                let (rowScales, rowMins) = unpackScalesAndMins(row(r) + 4)
                for j in 0..<8 {
                    group.storeBytes(of: rowScales[j], toByteOffset: scales + 32 * j + 4 * r, as: Int32.self)
                    group.storeBytes(of: rowMins[j], toByteOffset: mins + 32 * j + 4 * r, as: Int32.self)
                }
                group.storeBytes(of: row(r).loadHalf(at: 0), toByteOffset: d + 4 * r, as: Float.self)
                group.storeBytes(of: row(r).loadHalf(at: 2), toByteOffset: dmin + 4 * r, as: Float.self)
            }
        }, product: { groups, activation in
            var sum = SIMD8<Float>(), minimums = SIMD8<Float>()
            for block in 0..<p.blocks {
                let group = groups + block * groupBytes, a = activation + block * Q8_K.blockBytes
                let aq = Q8_K.quants(a)
                let da = Q8_K.scale(a)
                let scale = group.load(fromByteOffset: d, as: SIMD8<Float>.self) * da
                let minimumScale = group.load(fromByteOffset: dmin, as: SIMD8<Float>.self) * da
                // Per run of 32, scale · Σ q·qa and mins · (Σ of the run's activations).
                @inline(__always) func run(_ j: Int) -> (scaled: SIMD8<Int32>, mins: SIMD8<Int32>) {
                    let sums = X86SuperBlockTiles.int32s(X86SuperBlockTiles.runSums(group + quants + 256 * j, aq + 32 * j, groups: 0..<8))
                    let activationSum = Int32(Q8_K.blockSum(a, 2 * j)) &+ Int32(Q8_K.blockSum(a, 2 * j + 1))
                    return (sums &* group.load(fromByteOffset: scales + 32 * j, as: SIMD8<Int32>.self),
                            group.load(fromByteOffset: mins + 32 * j, as: SIMD8<Int32>.self) &* activationSum)
                }
                for quarter in 0..<4 {
                    let (low, high) = (run(2 * quarter), run(2 * quarter + 1))
                    sum = sum.addingProduct(X86SuperBlockTiles.float(low.scaled &+ high.scaled), scale)
                    minimums = minimums.addingProduct(X86SuperBlockTiles.float(low.mins &+ high.mins), minimumScale)
                }
            }
            return sum - minimums
        })
    }
}

extension Q6_K {
    /// 8 rows per tile for a batch (the transposed tiles).
    public static func tileRows(tokens: Int) -> Int { tokens >= 8 ? X86SuperBlockTiles.rows : 4 }

    // One super-block of the 8 rows (a group):
    //   quants [8 runs × 8 groups × 8 rows × 4] bytes (unsigned, 0–63)
    //   scales [16 sub-blocks] × SIMD8<Int32> over rows
    //   d      SIMD8<Float> over rows
    public static func multiplyBatch(_ p: RowTile) {
        guard p.rows == X86SuperBlockTiles.rows else { return multiplyBatchByRows(p) }
        let (quants, scales, d, groupBytes) = (0, 2048, 2560, 2592)
        X86SuperBlockTiles.multiply(p, groupBytes: groupBytes, unpack: { block, group in
            func row(_ r: Int) -> UnsafeRawPointer { p.weights + r * p.rowBytes + block * blockBytes }
            for m in 0..<8 {
                X86SuperBlockTiles.storeTransposed({ X86SuperBlocks.q6KRun(row($0), m) }, into: group + quants + 256 * m)
            }
            for r in 0..<8 {
                for k in 0..<16 {
                    group.storeBytes(of: Int32(row(r).load(fromByteOffset: 192 + k, as: Int8.self)), toByteOffset: scales + 32 * k + 4 * r, as: Int32.self)
                }
                group.storeBytes(of: row(r).loadHalf(at: 208), toByteOffset: d + 4 * r, as: Float.self)
            }
        }, product: { groups, activation in
            var sum = SIMD8<Float>()
            for block in 0..<p.blocks {
                let group = groups + block * groupBytes, a = activation + block * Q8_K.blockBytes
                let aq = Q8_K.quants(a)
                // Σ over the 16 sub-blocks of scale · Σ (q − 32)·qa, per row: sub-block k is
                // half k % 2 of run k / 2.
                var total = SIMD8<Int32>()
                for k in 0..<16 {
                    let (m, half) = k.quotientAndRemainder(dividingBy: 2)
                    let sums = X86SuperBlockTiles.int32s(X86SuperBlockTiles.runSums(
                        group + quants + 256 * m, aq + 32 * m, groups: (4 * half)..<(4 * half + 4)))
                    let centred = sums &- 32 &* Int32(Q8_K.blockSum(a, k))
                    total &+= centred &* group.load(fromByteOffset: scales + 32 * k, as: SIMD8<Int32>.self)
                }
                let rowScale = group.load(fromByteOffset: d, as: SIMD8<Float>.self)
                sum = sum.addingProduct(X86SuperBlockTiles.float(total) * rowScale, SIMD8(repeating: Q8_K.scale(a)))
            }
            return sum
        })
    }
}
#endif
