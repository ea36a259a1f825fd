import SwiftletCore
import Testing

/// The bit-level half/bfloat16 conversions against the platform's own Float16, which the
/// x86-64 and arm64 toolchains provide (wasm, where the core also runs, is why they exist).
@Suite struct HalfPrecisionTests {
    #if !(os(macOS) && arch(x86_64))
    @Test func everyHalfConvertsExactly() {
        for bits in 0...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = HalfPrecision.float(fromHalf: bits)
            if expected.isNaN {
                #expect(actual.isNaN)
            } else {
                #expect(actual.bitPattern == expected.bitPattern, "half 0x\(String(bits, radix: 16))")
            }
        }
    }

    @Test func floatToHalfRoundsToNearestEven() {
        var generator = SystemRandomNumberGenerator()
        var samples: [Float] = [0, -0, 1, -1, 65504, 65519, 65520, -65520, 1e-8, 6e-8, 3e-8, 2.98e-8,
                                .infinity, -.infinity, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
        // Exact ties between two halves, and both neighbours of every half boundary.
        for bits in stride(from: UInt16(0), to: 0x7c00, by: 7) {
            let low = Float(Float16(bitPattern: bits)), high = Float(Float16(bitPattern: bits + 1))
            let tie = (low + high) / 2
            samples += [tie, tie.nextUp, tie.nextDown, -tie]
        }
        for _ in 0..<100_000 { samples.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator))) }
        for value in samples {
            let expected = Float16(value)
            let actual = HalfPrecision.half(fromFloat: value)
            if expected.isNaN {
                #expect(Float16(bitPattern: actual).isNaN)
            } else {
                #expect(actual == expected.bitPattern, "\(value) (0x\(String(value.bitPattern, radix: 16)))")
            }
        }
    }
    #endif

    @Test func bfloat16RoundsToNearestEven() {
        #expect(HalfPrecision.bfloat16(fromFloat: 1) == 0x3f80)
        #expect(HalfPrecision.bfloat16(fromFloat: Float(bitPattern: 0x3f80_8000)) == 0x3f80)  // tie → even
        #expect(HalfPrecision.bfloat16(fromFloat: Float(bitPattern: 0x3f81_8000)) == 0x3f82)  // tie → even
        #expect(HalfPrecision.bfloat16(fromFloat: Float(bitPattern: 0x3f80_8001)) == 0x3f81)
        #expect(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16(fromFloat: .nan)).isNaN)
        #expect(HalfPrecision.float(fromBFloat16: 0xc040) == -3)
    }

    /// Batched attention meets up to 4 query heads per cached row; every score and every
    /// weighted sum must be the one-head kernels' (`HalfDot.dot`, `WeightedSum`), bit for bit,
    /// with f16 values (products exact, so fused) and with f32 values (unfused), masked
    /// positions skipped.
    @Test(arguments: [true, false])
    func batchedAttentionKernelsEqualTheOneHeadOnes(halfValues: Bool) {
        let (width, span) = (64, 48)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Float(Int32(truncatingIfNeeded: state >> 32)) / Float(Int32.max) * 3
            return halfValues ? HalfPrecision.float(fromHalf: HalfPrecision.half(fromFloat: value)) : value
        }
        let keys = (0..<(span * width)).map { _ in random() }      // [span × width]
        let values = (0..<(span * width)).map { _ in random() }    // [span × width]
        let queries = (0..<(4 * width)).map { _ in random() }      // [4 × width]
        let weights = (0..<(4 * span)).map { _ in abs(random()) }  // [4 × span]
        func masked(_ j: Int) -> Bool { j % 7 == 3 }
        keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                queries.withUnsafeBufferPointer { q in
                    weights.withUnsafeBufferPointer { w in
                        let rows = (0..<span).map { masked($0) ? nil : v.baseAddress! + $0 * width }
                        var scratch = [Float](repeating: 0, count: 4 * 16 * width)
                        for heads in 1...4 {
                            for j in 0..<span {
                                let dots = HalfDot.batchedDots(
                                    k.baseAddress! + j * width, queries: q.baseAddress!, queryStride: width, heads: heads,
                                    count: width, exactProducts: halfValues)
                                for h in 0..<heads {
                                    let one = HalfDot.dot(k.baseAddress! + j * width, q.baseAddress! + h * width, count: width, order: .batched)
                                    #expect(dots[h].bitPattern == one.bitPattern, "score of head \(h) of \(heads), position \(j)")
                                }
                            }
                            var together = [Float](repeating: .nan, count: heads * width)
                            rows.withUnsafeBufferPointer { vectors in
                                HalfDot.batchedWeightedSums(
                                    heads: heads, weights: w.baseAddress!, span: span, width: width, exactProducts: halfValues,
                                    vectors: vectors.baseAddress!, scratch: &scratch, into: &together)
                            }
                            for h in 0..<heads {
                                var lanes = [Float](repeating: 0, count: 16 * width), alone = [Float](repeating: .nan, count: width)
                                lanes.withUnsafeMutableBufferPointer { lanes in
                                    let sum = HalfDot.WeightedSum(order: .batched, width: width, scratch: lanes.baseAddress!)
                                    for j in 0..<span where !masked(j) { sum.add(v.baseAddress! + j * width, weight: w[h * span + j], index: j) }
                                    sum.result(into: &alone)
                                }
                                #expect(together[(h * width)..<((h + 1) * width)].map(\.bitPattern) == alone.map(\.bitPattern),
                                        "weighted sum of head \(h) of \(heads)")
                            }
                        }
                    }
                }
            }
        }
    }
}
