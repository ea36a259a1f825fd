/// The few functions whose last bit the host's C library decides in llama.cpp (sin, cos
/// and pow for rotary embeddings). The native shell hands in the platform's libm, so
/// Swiftlet rounds exactly as llama.cpp does on the same machine; the portable versions
/// (for WebAssembly) are accurate to within an ulp.
public struct PlatformMath: Sendable {
    public var sinCos: @Sendable (Float) -> (sin: Float, cos: Float)
    public var pow: @Sendable (Float, Float) -> Float

    public init(sinCos: @escaping @Sendable (Float) -> (sin: Float, cos: Float), pow: @escaping @Sendable (Float, Float) -> Float) {
        self.sinCos = sinCos
        self.pow = pow
    }

    public static let portable = PlatformMath(
        sinCos: { MathFunctions.sinCos($0) },
        pow: { base, exponent in Float(MathFunctions.exp(Double(exponent) * MathFunctions.log(Double(base)))) })
}

/// The transcendental functions the forward pass needs, in portable Swift (the standard
/// library has none, and WebAssembly has no libm). `exp` and the activations follow ggml's
/// CPU code, so results track llama.cpp's closely; sin, cos and tanh are computed in
/// double precision and rounded, which is what a good libm returns.
public enum MathFunctions {
    /// a·b + c, fused. WebAssembly has no FMA instruction, so there it is computed in double:
    /// the product is exact, and the sum rounds to the fused result except when it lands
    /// exactly between two floats (about 1 in 2^29), which keeps the web build's greedy
    /// tokens identical to the native build's.
    @inline(__always)
    static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float {
        #if arch(wasm32)
        return Float(Double(a) * Double(b) + Double(c))
        #else
        return c.addingProduct(a, b)
        #endif
    }

    /// e^x as ggml's vectorized expf computes it in llama.cpp's AVX-512 build (ARM
    /// optimized-routines algorithm, under 2 ulp): x = n·ln2 + b, e^b by a degree-5
    /// polynomial including its constant 1, then scaled by 2^n exactly (vscalefps). Its
    /// AVX2 build adds the 1 during the scaling instead, which rounds differently.
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let shifter: Float = 0x1.8p23
        let z = fma(x, 0x1.715476p+0, shifter)
        let n = z - shifter
        let b = fma(-n, 0x1.7f7d1cp-20, fma(-n, 0x1.62e4p-1, x))
        let u = b * b
        let j = fma(fma(fma(0x1.0e4020p-7, b, 0x1.573e2ep-5), u, fma(0x1.555e66p-3, b, 0x1.fffdb6p-2)), u, fma(0x1.ffffecp-1, b, 1))
        // j is within [0.7, 1.5], so j·2^n stays a normal float (an exact product) here.
        if abs(n) <= 125 { return j * Float(bitPattern: UInt32(Int32(n) + 127) << 23) }
        // Near or past the float range: one rounding of the exact product, saturating.
        if abs(n) <= 192 { return Float(Double(j) * powerOfTwo(Int(n))) }
        return n > 0 ? .infinity : n <= 0 ? 0 : .nan
    }

    /// `exp` of 16 values at once, the same bits lane for lane: the vector path covers
    /// results whose scale 2^n stays normal (|n| ≤ 125), and a group with any other lane
    /// (masked −∞ scores, overflow, NaN) goes through the scalar function.
    @inline(__always)
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        func scalar() -> SIMD16<Float> {
            var result = SIMD16<Float>()
            for lane in 0..<16 { result[lane] = exp(x[lane]) }
            return result
        }
        #if arch(wasm32)
        return scalar()  // no vector fused multiply-add in WebAssembly
        #else
        let shifter = SIMD16<Float>(repeating: 0x1.8p23)
        let z = shifter.addingProduct(x, SIMD16(repeating: 0x1.715476p+0))
        let n = z - shifter
        guard all((n .>= -125) .& (n .<= 125)) else { return scalar() }
        let b = x.addingProduct(-n, SIMD16(repeating: 0x1.62e4p-1)).addingProduct(-n, SIMD16(repeating: 0x1.7f7d1cp-20))
        let u = b * b
        let high = SIMD16<Float>(repeating: 0x1.573e2ep-5).addingProduct(SIMD16(repeating: 0x1.0e4020p-7), b)
        let middle = SIMD16<Float>(repeating: 0x1.fffdb6p-2).addingProduct(SIMD16(repeating: 0x1.555e66p-3), b)
        let low = SIMD16<Float>(repeating: 1).addingProduct(SIMD16(repeating: 0x1.ffffecp-1), b)
        let j = low.addingProduct(middle.addingProduct(high, u), u)
        // z holds n in its low mantissa bits (z = 1.5·2^23 + n); 2^n is (n + 127) << 23.
        let n32 = unsafeBitCast(z, to: SIMD16<UInt32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((n32 &+ 127) &* (1 << 23), to: SIMD16<Float>.self)
        return j * scale
        #endif
    }

    /// x·sigmoid(x), as ggml's SiLU.
    @inline(__always)
    public static func silu(_ x: Float) -> Float {
        x / (1 + exp(-x))
    }

    /// `silu` of 16 values, the scalar function's bits lane for lane.
    @inline(__always)
    public static func silu(_ x: SIMD16<Float>) -> SIMD16<Float> {
        x / (1 + exp(-x))
    }

    /// GELU (tanh approximation) the way ggml's CPU backend evaluates it: through a table
    /// indexed by the input rounded to half precision, holding half-precision results.
    @inline(__always)
    public static func gelu(_ x: Float) -> Float {
        geluTable.withUnsafeBufferPointer { gelu(x, table: $0.baseAddress!) }
    }

    /// `gelu` with `geluTable`'s storage in hand (a loop looks it up once).
    @inline(__always)
    static func gelu(_ x: Float, table: UnsafePointer<UInt16>) -> Float {
        if x <= -10 { return 0 }
        if x >= 10 { return x }
        return HalfPrecision.float(fromHalf: table[Int(HalfPrecision.half(fromFloat: x))])
    }

    /// 0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²))) in float, as GCC compiles ggml_gelu_f32
    /// (1 + 0.044715·x·x fused; unfused, one entry of the f16 table differs from llama.cpp's).
    static func geluExact(_ x: Float) -> Float {
        let inner: Float = 0.79788456080286535587989211986876 * x * fma(0.044715 * x, x, 1)
        return 0.5 * x * (1 + Float(tanh(Double(inner))))
    }

    static let geluTable: [UInt16] = (0...UInt16.max).map { bits in
        HalfPrecision.half(fromFloat: geluExact(HalfPrecision.float(fromHalf: bits)))
    }

    // MARK: Double-precision helpers

    /// e^x in double precision (relative error ≈ 1e-16).
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.78 { return .infinity }
        if x < -745.2 { return 0 }
        let k = (x * 1.4426950408889634).rounded()
        let r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
        var term = 1.0, sum = 1.0
        for i in 1...17 {
            term *= r / Double(i)
            sum += term
        }
        // 2^k in two halves so that k down to −1074 stays representable.
        let half = Int(k) / 2
        return sum * Self.powerOfTwo(half) * Self.powerOfTwo(Int(k) - half)
    }

    private static func powerOfTwo(_ k: Int) -> Double {
        Double(bitPattern: UInt64(k + 1023) << 52)
    }

    /// Natural logarithm in double precision: x = m·2^e with m in [√½, √2), then
    /// ln m = 2·atanh((m − 1)/(m + 1)) by its series.
    public static func log(_ x: Double) -> Double {
        guard x > 0, x.isFinite else { return x == 0 ? -.infinity : (x.isNaN || x < 0 ? .nan : x) }
        var exponent = Int(x.exponent)
        var m = x.significand  // in [1, 2)
        if m > 1.4142135623730951 {
            m /= 2
            exponent += 1
        }
        let s = (m - 1) / (m + 1), s2 = s * s
        var term = s, sum = 0.0
        for k in stride(from: 1, through: 41, by: 2) {
            sum += term / Double(k)
            term *= s2
        }
        return 2 * sum + Double(exponent) * 0.69314718055994530942
    }

    /// Natural logarithm of a float (computed in double precision).
    public static func logFloat(_ x: Float) -> Float { Float(log(Double(x))) }

    public static func tanh(_ x: Double) -> Double {
        if abs(x) < 1e-5 { return x }
        if abs(x) > 20 { return x > 0 ? 1 : -1 }
        let e = exp(2 * abs(x))
        let t = (e - 1) / (e + 1)
        return x < 0 ? -t : t
    }

    /// values[i] ← cap · tanh(values[i] / cap) for `count` values (Gemma 2's soft caps), 8 at a
    /// time, each as the scalar steps compute it.
    public static func softcap(_ values: UnsafeMutablePointer<Float>, count: Int, cap: Float) {
        var i = 0
        while i + 8 <= count {
            let x = UnsafeMutableRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self) / cap
            let capped = cap * SIMD8<Float>(tanh(SIMD8<Double>(x)))
            UnsafeMutableRawPointer(values + i).storeBytes(of: capped, as: SIMD8<Float>.self)
            i += 8
        }
        for i in i..<count { values[i] = cap * Float(tanh(Double(values[i] / cap))) }
    }

    /// `tanh` of 8 values at once, lane for lane the same operations and so the same results
    /// (the soft caps run it over a whole vocabulary of logits each step).
    public static func tanh(_ x: SIMD8<Double>) -> SIMD8<Double> {
        let magnitude = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt64>.self) & 0x7fff_ffff_ffff_ffff, to: SIMD8<Double>.self)
        // Lanes the scalar function answers without e^x compute it of 0 (finite, discarded).
        let computed = (magnitude .>= 1e-5) .& (magnitude .<= 20)
        let e = exp(2 * magnitude.replacing(with: 0, where: .!computed))
        var t = (e - 1) / (e + 1)
        t = t.replacing(with: -t, where: x .< 0)
        t = t.replacing(with: x, where: .!computed)
        t = t.replacing(with: SIMD8(repeating: 1), where: x .> 20)
        t = t.replacing(with: SIMD8(repeating: -1), where: x .< -20)
        // A NaN comes out of the scalar steps as 2·|x| (e^x returns it, and it propagates).
        return t.replacing(with: 2 * magnitude, where: x .!= x)
    }

    /// `exp` of 8 values in [0, 40], lane for lane as the scalar function computes them.
    private static func exp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        let k = (x * 1.4426950408889634).rounded(.toNearestOrAwayFromZero)
        let r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10
        var term = SIMD8<Double>(repeating: 1), sum = SIMD8<Double>(repeating: 1)
        for i in 1...17 {
            term *= r / Double(i)
            sum += term
        }
        let exponent = SIMD8<Int64>(k, rounding: .towardZero)
        let half = exponent / 2
        func powerOfTwo(_ k: SIMD8<Int64>) -> SIMD8<Double> { unsafeBitCast((k &+ 1023) &<< 52, to: SIMD8<Double>.self) }
        return sum * powerOfTwo(half) * powerOfTwo(exponent &- half)
    }

    /// (sin x, cos x) for rotary embeddings: x reduced by π/2 in double precision (exact
    /// enough for the angles a context window produces), then Taylor series.
    public static func sinCos(_ x: Float) -> (sin: Float, cos: Float) {
        let d = Double(x)
        let k = (d * 0.63661977236758134308).rounded()  // 2/π
        let r = (d - k * 1.57079632673412561417e+00) - k * 6.07710050650619224932e-11
        let r2 = r * r
        var s = r, c = 1.0, sTerm = r, cTerm = 1.0
        for i in stride(from: 2, through: 22, by: 2) {
            cTerm *= -r2 / Double((i - 1) * i)
            c += cTerm
            sTerm *= -r2 / Double(i * (i + 1))
            s += sTerm
        }
        switch Int(k) & 3 {
        case 0: return (Float(s), Float(c))
        case 1: return (Float(c), Float(-s))
        case 2: return (Float(-s), Float(-c))
        default: return (Float(-c), Float(s))
        }
    }
}
