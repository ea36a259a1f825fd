import Foundation
import SwiftletCore
import Testing

/// The forward pass's building blocks against straightforward double-precision references.
@Suite struct BuildingBlockTests {
    static func randomVector(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var random = RandomGenerator(seed: seed)
        return (0..<count).map { _ in (random.nextUnitFloat() * 2 - 1) * scale }
    }

    @Test func expTracksTheTrueExponential() {
        for x in stride(from: Float(-87), through: 88, by: 0.37) {
            let expected = Foundation.exp(Double(x))
            #expect(abs(Double(MathFunctions.exp(x)) - expected) <= 3e-7 * expected, "exp(\(x))")
        }
        #expect(MathFunctions.exp(Float(-200)) == 0)
        #expect(MathFunctions.exp(Float(200)) == .infinity)
    }

    @Test func vectorExpAndSiLUGiveTheScalarBits() {
        // Softmax takes 16 lanes at a time; each must be the scalar function's result,
        // including the groups that fall back to it (−∞, NaN, overflow, subnormal results).
        var inputs: [Float] = (0..<4096).map { Float($0 - 2048) * 0.0437 }
        inputs += [-.infinity, .infinity, .nan, -87.5, -88.8, -103, 88.7, 89, 0, -0.0, -1e-8, 1e-8, 5, -5, 30, -30]
        for group in stride(from: 0, to: inputs.count, by: 16) {
            let lanes = SIMD16<Float>(inputs[group..<(group + 16)])
            let vector = MathFunctions.exp(lanes), vectorSiLU = MathFunctions.silu(lanes)
            for lane in 0..<16 {
                let scalar = MathFunctions.exp(lanes[lane]), scalarSiLU = MathFunctions.silu(lanes[lane])
                #expect(vector[lane].bitPattern == scalar.bitPattern || (vector[lane].isNaN && scalar.isNaN), "exp(\(lanes[lane]))")
                #expect(vectorSiLU[lane].bitPattern == scalarSiLU.bitPattern || (vectorSiLU[lane].isNaN && scalarSiLU.isNaN),
                        "silu(\(lanes[lane]))")
            }
        }
    }

    @Test func vectorTanhGivesTheScalarBits() {
        // The soft caps take 8 lanes at a time: logit/cap lands anywhere, including either side
        // of the scalar function's shortcuts (|x| < 1e-5: x; |x| > 20: ±1) and non-finite values.
        var inputs: [Double] = (0..<4096).map { i in
            let step = Double(i - 2048) * 0.0123
            return step + 0.0001 * Double(i % 7)
        }
        inputs += [-.infinity, .infinity, .nan, -.nan, 0, -0.0, 1e-5, -1e-5, 0.99e-5, 1.01e-5, 20, -20, 20.000001, -20.000001, 1e-300, 700, -700, 0.5, -0.5, 3, -3, 19.99, -19.99, 1e-6]
        for group in stride(from: 0, to: inputs.count, by: 8) {
            let lanes = SIMD8<Double>(inputs[group..<(group + 8)])
            let vector = MathFunctions.tanh(lanes)
            for lane in 0..<8 {
                let scalar = MathFunctions.tanh(lanes[lane])
                #expect(vector[lane].bitPattern == scalar.bitPattern, "tanh(\(lanes[lane]))")
            }
            #expect(abs(vector[0] - Foundation.tanh(lanes[0])) <= 1e-15 || lanes[0].isNaN)
        }
    }

    @Test func siluAndGeluFollowTheirDefinitions() {
        for x in stride(from: Float(-12), through: 12, by: 0.01) {
            let silu = Double(x) / (1 + Foundation.exp(-Double(x)))
            #expect(abs(Double(MathFunctions.silu(x)) - silu) <= 1e-6 * max(1, abs(silu)))
            let inner = 0.7978845608028654 * Double(x) * (1 + 0.044715 * Double(x) * Double(x))
            let gelu = 0.5 * Double(x) * (1 + Foundation.tanh(inner))
            // ggml's GELU looks the input up at half precision: its error is that rounding's.
            #expect(abs(Double(MathFunctions.gelu(x)) - gelu) <= 2e-3 * max(1, abs(gelu)), "gelu(\(x))")
        }
    }

    @Test func rmsNormScalesToUnitRootMeanSquare() {
        let x = Self.randomVector(640, seed: 1, scale: 30)
        let weight = Self.randomVector(640, seed: 2)
        var y = [Float](repeating: 0, count: 640)
        Ops.rmsNorm(x, weight: weight, into: &y, count: 640, epsilon: 1e-6)
        let rms = (x.reduce(0.0) { $0 + Double($1) * Double($1) } / 640 + 1e-6).squareRoot()
        for i in 0..<640 {
            #expect(abs(Double(y[i]) - Double(x[i]) / rms * Double(weight[i])) <= 1e-5 * max(1, abs(Double(y[i]))))
        }
    }

    @Test func softmaxSumsToOneAndKeepsOrder() {
        var x = Self.randomVector(1024, seed: 3, scale: 20)
        let original = x
        Ops.softmax(&x, count: 1024)
        let maximum = original.max()!
        let total = original.reduce(0.0) { $0 + Foundation.exp(Double($1 - maximum)) }
        #expect(abs(x.reduce(0.0) { $0 + Double($1) } - 1) < 1e-5)
        for i in 0..<1024 {
            #expect(abs(Double(x[i]) - Foundation.exp(Double(original[i] - maximum)) / total) < 1e-6)
        }
    }

    /// RoPE rotates pair i of a head at position p by p·base^(−2i/d): adjacent pairs for
    /// Llama, the two halves for NeoX-style models. Rotations keep norms and compose.
    @Test(arguments: [RopeStyle.interleaved, .halves])
    func ropeRotatesPairsByPositionDependentAngles(_ style: RopeStyle) {
        let dimensions = 64, base: Float = 10_000
        let rope = RotaryEmbedding(style: style, dimensions: dimensions, base: base)
        var table = [Float](repeating: 0, count: dimensions)
        for position in [0, 1, 7, 500, 8191] {
            var x = Self.randomVector(dimensions, seed: UInt64(position) + 10)
            let original = x
            rope.angles(position: position, into: &table)
            rope.apply(&x, heads: 1, headStride: dimensions, table: table)
            for pair in 0..<(dimensions / 2) {
                let (i, j) = style == .interleaved ? (2 * pair, 2 * pair + 1) : (pair, pair + dimensions / 2)
                let theta = Double(position) * Foundation.pow(Double(base), -2 * Double(pair) / Double(dimensions))
                let (c, s) = (Foundation.cos(theta), Foundation.sin(theta))
                let expected0 = Double(original[i]) * c - Double(original[j]) * s
                let expected1 = Double(original[i]) * s + Double(original[j]) * c
                // f32 angle accumulation (as ggml) costs a few ulps of the angle per step.
                let tolerance = 1e-6 + 4e-7 * theta
                #expect(abs(Double(x[i]) - expected0) <= tolerance, "position \(position) pair \(pair)")
                #expect(abs(Double(x[j]) - expected1) <= tolerance, "position \(position) pair \(pair)")
            }
        }
    }

    @Test func samplerIsGreedyAtZeroTemperatureAndReproducibleWithASeed() {
        let logits = Self.randomVector(5000, seed: 4, scale: 5)
        var greedy = Sampler(.greedy)
        let best = logits.indices.max { logits[$0] < logits[$1] }!
        #expect(greedy.sample(logits, count: 5000, history: [Int32]()) == Int32(best))

        let parameters = SamplingParameters(temperature: 0.9, topK: 50, topP: 0.9, minP: 0.02, seed: 42)
        var a = Sampler(parameters), b = Sampler(parameters)
        let drawsA = (0..<50).map { _ in a.sample(logits, count: 5000, history: [Int32]()) }
        let drawsB = (0..<50).map { _ in b.sample(logits, count: 5000, history: [Int32]()) }
        #expect(drawsA == drawsB)
        let top50 = Set(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(50).map(Int32.init))
        #expect(drawsA.allSatisfy(top50.contains))
        #expect(Set(drawsA).count > 1)
    }
}
