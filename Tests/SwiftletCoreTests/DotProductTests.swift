import SwiftletCore
import Testing

/// The quantized dot product of every weight format, on the committed fixture rows, against
/// an f64 reference computed from the dequantized weights and activations.
@Suite struct DotProductTests {
    /// Float rounding in the kernel: error relative to Σ|w·a| (the kernels sum integer
    /// products exactly, then a few f32 multiply-adds per block).
    static let relativeTolerance = 1e-5
    /// Q8_1 stores each block's sum d·Σq as f16 (as ggml does), so formats that take it
    /// (Q4_1, Q5_1) carry up to 2^-11 relative error in their offset term.
    static let q8_1RelativeTolerance = 1.0 / 2048

    struct DotCheck: WeightFormatVisitor {
        static let relativeTolerance = DotProductTests.relativeTolerance
        static let q8_1RelativeTolerance = DotProductTests.q8_1RelativeTolerance
        let fixture: QuantFixture
        /// Checks the kernel llama.cpp uses within batches instead of its one-token kernel.
        let batched: Bool

        /// Per row: (kernel result, f64 reference on dequantized operands, Σ|w·a|,
        /// f64 dot with the unquantized activation, bound on the activation rounding error,
        /// relative tolerance for this format).
        func visit<Format: WeightFormat>(_: Format.Type) -> [(Float, Double, Double, Double, Double, Double)] {
            let tolerance = Format.Activation.self == Q8_1.self ? Self.q8_1RelativeTolerance : Self.relativeTolerance
            let n = fixture.columns
            let activationBytes = n / Format.blockLength * Format.Activation.blockBytes
            var results: [(Float, Double, Double, Double, Double, Double)] = []
            for r in 0..<fixture.rows {
                let x = Array(QuantFixture.activation[(r * n)..<((r + 1) * n)])
                var quantized = [UInt8](repeating: 0, count: activationBytes)
                x.withUnsafeBufferPointer { values in
                    quantized.withUnsafeMutableBytes { destination in
                        for block in 0..<(n / Format.blockLength) {
                            let source = values.baseAddress! + block * Format.blockLength
                            let out = destination.baseAddress! + block * Format.Activation.blockBytes
                            if batched {
                                Format.quantizeBatchActivation(source, into: out)
                            } else {
                                Format.Activation.quantize(source, into: out)
                            }
                        }
                    }
                }
                var xq = [Float](repeating: 0, count: n)
                Format.Activation.dequantizeRow(quantized, into: &xq, count: n)
                let w = Array(fixture.values[(r * n)..<((r + 1) * n)])
                let kernel = fixture.blocks.withUnsafeBytes { blocks in
                    quantized.withUnsafeBytes { activation in
                        let row = blocks.baseAddress! + r * fixture.rowBytes, blockCount = n / Format.blockLength
                        return batched
                            ? Format.batchDot(row, activation.baseAddress!, blocks: blockCount)
                            : Format.dot(row, activation.baseAddress!, blocks: blockCount)
                    }
                }
                var reference = 0.0, magnitude = 0.0, exact = 0.0, roundingBound = 0.0
                for i in 0..<n {
                    reference += Double(w[i]) * Double(xq[i])
                    magnitude += abs(Double(w[i]) * Double(xq[i]))
                    exact += Double(w[i]) * Double(x[i])
                    roundingBound += abs(Double(w[i])) * abs(Double(x[i]) - Double(xq[i]))
                }
                results.append((kernel, reference, magnitude, exact, roundingBound, tolerance))
            }
            return results
        }
    }

    @Test(arguments: QuantFixture.all, [false, true])
    func dotMatchesF64Reference(_ fixture: QuantFixture, batched: Bool) throws {
        let rows = try #require(fixture.type.withWeightFormat(DotCheck(fixture: fixture, batched: batched)))
        for (row, (kernel, reference, magnitude, exact, roundingBound, tolerance)) in rows.enumerated() {
            let error = abs(Double(kernel) - reference)
            #expect(error <= tolerance * magnitude + 1e-6,
                    "\(fixture.type.name) row \(row): \(kernel) vs \(reference) (Σ|w·a| = \(magnitude))")
            // Against the activation before quantization, the difference is what rounding the
            // activation costs, which the dequantized activation bounds exactly.
            #expect(abs(Double(kernel) - exact) <= roundingBound + tolerance * magnitude + 1e-6,
                    "\(fixture.type.name) row \(row): \(kernel) vs unquantized \(exact)")
        }
    }

    @Test func rowKernelsAgreeWithTheFormat() throws {
        // The RowKernels closures are what models call; they must be the same arithmetic.
        for fixture in QuantFixture.all {
            let kernels = try #require(RowKernels(fixture.type))
            let n = fixture.columns
            var quantized = [UInt8](repeating: 0, count: kernels.activationRowBytes(count: n))
            kernels.quantizeActivationRow(QuantFixture.activation, &quantized, n)
            let viaKernels = fixture.blocks.withUnsafeBytes { kernels.dotRow($0.baseAddress!, quantized, n) }
            let direct = try #require(fixture.type.withWeightFormat(DotCheck(fixture: fixture, batched: false))).first!.0
            #expect(viaKernels == direct, "\(fixture.type.name)")
            kernels.quantizeBatchActivationRow(QuantFixture.activation, &quantized, n)
            let viaBatchKernels = fixture.blocks.withUnsafeBytes { kernels.batchDotRow($0.baseAddress!, quantized, n) }
            let batchDirect = try #require(fixture.type.withWeightFormat(DotCheck(fixture: fixture, batched: true))).first!.0
            #expect(viaBatchKernels == batchDirect, "\(fixture.type.name) batched")
        }
    }

    @Test(arguments: [false, true])
    func rowTilesEqualRowDots(batchKernel: Bool) throws {
        // Prefill multiplies tiles of rows by many tokens at once (x86 tiles of 4 to 16 rows),
        // for the tokens of llama.cpp's matrix kernels too; every product must be the one-row
        // kernel's, bit for bit. The 16 rows are the 4 fixture rows with their blocks in
        // different orders, the tokens the 4 fixture activations at different scales, so a
        // row or token taken for another shows; outputs are spaced wider than a tile.
        for fixture in QuantFixture.all where fixture.rows == 4 {
            let kernels = try #require(RowKernels(fixture.type))
            let n = fixture.columns, rowBytes = kernels.activationRowBytes(count: n)
            let quantizeRow = batchKernel ? kernels.quantizeBatchActivationRow : kernels.quantizeActivationRow
            let multiply = batchKernel ? kernels.multiplyRowsBatch : kernels.multiplyRows
            let dotRow = batchKernel ? kernels.batchDotRow : kernels.dotRow
            let blocks = n / kernels.blockLength, blockBytes = fixture.rowBytes / blocks
            // weights: [16 rows × rowBytes]; row r is fixture row (r + r/4) % 4, its blocks rotated by r/4.
            var weights: [UInt8] = []
            for r in 0..<16 {
                let source = (r + r / 4) % 4
                for block in 0..<blocks {
                    let start = source * fixture.rowBytes + ((block + r / 4) % blocks) * blockBytes
                    weights += fixture.blocks[start..<(start + blockBytes)]
                }
            }
            for tokenCount in [1, 3, 4, 7, 8, 13] {
                var activations = [UInt8](repeating: 0, count: tokenCount * rowBytes)
                activations.withUnsafeMutableBytes { out in
                    for b in 0..<tokenCount {
                        let x = QuantFixture.activation[((b % 4) * n)..<((b % 4 + 1) * n)].map { $0 * Float(1 + b / 4) }
                        quantizeRow(x, out.baseAddress! + b * rowBytes, n)
                    }
                }
                let tileRows = Array(Set([4, kernels.tileRows(tokenCount)])).sorted()
                try #require(tileRows.allSatisfy { $0 <= 16 }, "the test's weights hold 16 rows")
                for rows in tileRows {
                    let stride = rows + 3
                    var y = [Float](repeating: .nan, count: tokenCount * stride)
                    weights.withUnsafeBytes { w in
                        activations.withUnsafeBytes { a in
                            y.withUnsafeMutableBufferPointer { out in
                                multiply(RowTile(
                                    rows: rows, weights: w.baseAddress!, rowBytes: fixture.rowBytes, activations: a.baseAddress!,
                                    activationRowBytes: rowBytes, tokens: 0..<tokenCount, blocks: blocks,
                                    y: out.baseAddress!, outputStride: stride))
                            }
                            for b in 0..<tokenCount {
                                for r in 0..<rows {
                                    let dot = dotRow(w.baseAddress! + r * fixture.rowBytes, a.baseAddress! + b * rowBytes, n)
                                    #expect(y[b * stride + r].bitPattern == dot.bitPattern,
                                            "\(fixture.type.name) row \(r) of \(rows), token \(b) of \(tokenCount)\(batchKernel ? " (batch kernel)" : "")")
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    /// Random super-blocks: every bit pattern of quants, scales and minimums (the fixture
    /// rows come from a quantizer, which leaves many unused), with random finite f16 scales.
    struct SuperBlockRows: WeightFormatVisitor {
        /// Byte offsets of each format's f16 scales in a super-block.
        static let halfOffsets: [TensorType: [Int]] = [.q2_K: [80, 82], .q3_K: [108], .q4_K: [0, 2], .q5_K: [0, 2], .q6_K: [208]]
        let type: TensorType
        let rows: Int, blocks: Int, padding: Int

        /// (dot4's value, dot's value) for every row of the 4-row groups of `rows` rows.
        func visit<Format: WeightFormat>(_: Format.Type) -> [(Float, Float)] {
            var random = SplitMix64(seed: UInt64(type.rawValue))
            let rowBytes = blocks * Format.blockBytes + padding
            var weights = (0..<(rows * rowBytes)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            for r in 0..<rows {
                for b in 0..<blocks {
                    let block = r * rowBytes + b * Format.blockBytes
                    // Rows 5 and 6: every bit set (the largest quants, scales, minimums).
                    if r == 5 || r == 6 { for i in 0..<Format.blockBytes { weights[block + i] = 0xff } }
                    for offset in Self.halfOffsets[type]! {
                        // Sign, an exponent for 2^-12 … 2^3, any mantissa.
                        let bits = UInt16(truncatingIfNeeded: random.next())
                        let half = (bits & 0x83ff) | UInt16(3 + bits % 16) << 10
                        weights[block + offset] = UInt8(half & 0xff)
                        weights[block + offset + 1] = UInt8(half >> 8)
                    }
                }
            }
            let n = blocks * Format.blockLength
            // Normal-ish values; one block of ±1 only (activation bytes ±127).
            var x = (0..<n).map { _ in Float((0..<4).map { _ in Double(random.next() % 1_000_000) / 1_000_000 }.reduce(0, +) - 2) }
            for i in 0..<Format.blockLength { x[i] = random.next() % 2 == 0 ? 1 : -1 }
            var activation = [UInt8](repeating: 0, count: blocks * Format.Activation.blockBytes)
            x.withUnsafeBufferPointer { values in
                activation.withUnsafeMutableBytes { out in
                    Format.Activation.quantizeRow(values.baseAddress!, into: out.baseAddress!, count: n)
                }
            }
            var results: [(Float, Float)] = []
            weights.withUnsafeBytes { w in
                activation.withUnsafeBytes { a in
                    for group in stride(from: 0, to: rows - 3, by: 4) {
                        let first = w.baseAddress! + group * rowBytes
                        let four = Format.dot4(first, rowBytes: rowBytes, a.baseAddress!, blocks: blocks)
                        for r in 0..<4 { results.append((four[r], Format.dot(first + r * rowBytes, a.baseAddress!, blocks: blocks))) }
                    }
                }
            }
            return results
        }
    }

    @Test(arguments: [TensorType.q2_K, .q3_K, .q4_K, .q5_K, .q6_K], [0, 5])
    func dot4EqualsDotOnRandomSuperBlocks(_ type: TensorType, padding: Int) throws {
        // Decode takes 4 rows per pass (dot4), with kernels of its own for the k-quants; each
        // row's result must be the one-row kernel's bit for bit. Rows `padding` bytes wider
        // than their blocks, so that no row starts where a whole number of blocks would.
        let pairs = try #require(type.withWeightFormat(SuperBlockRows(type: type, rows: 24, blocks: 3, padding: padding)))
        #expect(pairs.count == 24)
        for (row, (four, one)) in pairs.enumerated() {
            #expect(four.bitPattern == one.bitPattern, "\(type.name) row \(row): dot4 \(four), dot \(one)")
            #expect(one.isFinite && one != 0, "\(type.name) row \(row): \(one)")
        }
    }
}

/// A seeded generator (SplitMix64), so the random blocks are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
