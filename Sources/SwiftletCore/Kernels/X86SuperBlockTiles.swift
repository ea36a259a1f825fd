#if arch(x86_64) && SWIFTLET_AVX2
import _Builtin_intrinsics.intel

/// Prefill's k-quant products (the tokens llama.cpp gives its matrix kernels, `batchDot`)
/// 4 rows at a time: each row's super-blocks are unpacked once into 8 runs of 32 plain
/// bytes and their scales, then every token meets them. The integer sums are those of
/// X86SuperBlocks; the float steps per row and token are `batchDot`'s, in its order.
enum X86SuperBlockTiles {
    /// Per row and super-block: the 8 runs (256 bytes), the scales (format-specific,
    /// 32 bytes), the minimums (32 bytes) and d, dmin (8 bytes).
    static let entryBytes = 328

    @inline(__always)
    static func multiply(
        _ p: FourRowProduct, blockBytes: Int,
        unpack: (_ block: UnsafeRawPointer, _ entry: UnsafeMutableRawPointer) -> Void,
        step: (_ entry: UnsafeRawPointer, _ activation: UnsafeRawPointer, _ sum: inout Float, _ minimums: inout Float) -> Void,
        result: (_ sum: Float, _ minimums: Float) -> Float
    ) {
        let blocks = p.blocks
        // entries: [blocks × 4 rows × entryBytes]
        withUnsafeTemporaryAllocation(byteCount: blocks * 4 * entryBytes, alignment: 32) { buffer in
            let entries = buffer.baseAddress!
            for block in 0..<blocks {
                for r in 0..<4 {
                    unpack(p.weights + r * p.rowBytes + block * blockBytes, entries + (4 * block + r) * entryBytes)
                }
            }
            for b in p.tokens {
                let activation = p.activations + b * p.activationRowBytes
                var sums = SIMD4<Float>(), minimums = SIMD4<Float>()
                for block in 0..<blocks {
                    let a = activation + block * Q8_K.blockBytes
                    for r in 0..<4 {
                        step(UnsafeRawPointer(entries + (4 * block + r) * entryBytes), a, &sums[r], &minimums[r])
                    }
                }
                for r in 0..<4 { p.y[b * p.outputStride + r] = result(sums[r], minimums[r]) }
            }
        }
    }

    @inline(__always)
    static func runs(_ entry: UnsafeRawPointer) -> (Int) -> __m256i {
        { X86SuperBlocks.load(entry + 32 * $0) }
    }
}

extension Q4_K {
    public static func multiplyBatch(_ p: FourRowProduct) {
        // entry: runs, scales as 8 Int16 (at 256), minimums as 8 Int32 (at 288), d, dmin (at 320)
        X86SuperBlockTiles.multiply(p, blockBytes: blockBytes, unpack: { block, entry in
            for j in 0..<8 { (entry + 32 * j).storeBytes(of: X86SuperBlocks.q4KRun(block + 16, j), as: __m256i.self) }
            let (scales, mins) = unpackScalesAndMins(block + 4)
            (entry + 256).storeBytes(of: SIMD8<Int16>(truncatingIfNeeded: scales), as: SIMD8<Int16>.self)
            (entry + 288).storeBytes(of: mins, as: SIMD8<Int32>.self)
            (entry + 320).storeBytes(of: SIMD2(block.loadHalf(at: 0), block.loadHalf(at: 2)), as: SIMD2<Float>.self)
        }, step: { entry, a, sum, minimums in
            let scales = (entry + 256).assumingMemoryBound(to: Int16.self)
            let scaled = X86SuperBlocks.q4KScaledSums(run: X86SuperBlockTiles.runs(entry), Q8_K.quants(a), scale: { scales[$0] })
            let mins = X86SuperBlocks.q4KMinimums(a, mins: entry.loadUnaligned(fromByteOffset: 288, as: SIMD8<Int32>.self))
            let d = entry.loadUnaligned(fromByteOffset: 320, as: SIMD2<Float>.self), da = Q8_K.scale(a)
            for quarter in 0..<4 {
                sum = MathFunctions.fma(Float(scaled[quarter]), d[0] * da, sum)
                minimums = MathFunctions.fma(Float(mins[quarter]), d[1] * da, minimums)
            }
        }, result: { $0 - $1 })
    }
}

extension Q6_K {
    public static func multiplyBatch(_ p: FourRowProduct) {
        // entry: runs, scales as 16 Int8 (at 256), d (at 320)
        X86SuperBlockTiles.multiply(p, blockBytes: blockBytes, unpack: { block, entry in
            for m in 0..<8 { (entry + 32 * m).storeBytes(of: X86SuperBlocks.q6KRun(block, m), as: __m256i.self) }
            (entry + 256).storeBytes(of: block.loadUnaligned(fromByteOffset: 192, as: SIMD16<Int8>.self), as: SIMD16<Int8>.self)
            (entry + 320).storeBytes(of: block.loadHalf(at: 208), as: Float.self)
        }, step: { entry, a, sum, _ in
            let scales = entry.loadUnaligned(fromByteOffset: 256, as: SIMD16<Int8>.self)
            let scaled = X86SuperBlocks.q6KLanes(run: X86SuperBlockTiles.runs(entry), scales: scales, a).wrappedSum()
            sum = MathFunctions.fma(Float(scaled) * entry.loadUnaligned(fromByteOffset: 320, as: Float.self), Q8_K.scale(a), sum)
        }, result: { sum, _ in sum })
    }
}
#endif
