// The few C library and compiler-runtime functions the Embedded Swift code calls, which
// wasm32-unknown-none-wasm has no library for. Each is written so it cannot call itself.

@_cdecl("memcmp")
func memoryCompare(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Int32 {
    for i in 0..<count {
        let x = a.load(fromByteOffset: i, as: UInt8.self), y = b.load(fromByteOffset: i, as: UInt8.self)
        if x != y { return Int32(x) - Int32(y) }
    }
    return 0
}

/// Rounds half away from zero (what `Double.rounded()` lowers to). `x - trunc(x)` is exact.
@_cdecl("round")
func roundHalfAwayFromZero(_ x: Double) -> Double {
    let whole = x.rounded(.towardZero)
    guard (x - whole).magnitude >= 0.5 else { return whole }
    return x < 0 ? whole - 1 : whole + 1
}

/// The remainder of x / y with the sign of x, exactly (C's fmod): subtracts the largest
/// y·2ᵏ that fits, which is exact because it is at least half of what is left.
@_cdecl("fmod")
func floatingRemainder(_ x: Double, _ y: Double) -> Double {
    guard x.isFinite, !y.isNaN, y != 0 else { return .nan }
    guard y.isFinite else { return x }
    let divisor = y.magnitude
    var rest = x.magnitude
    while rest >= divisor {
        var step = divisor * Double(sign: .plus, exponent: rest.exponent - divisor.exponent, significand: 1)
        if step > rest { step /= 2 }
        rest -= step
    }
    return x.sign == .minus ? -rest : rest
}

/// The low 128 bits of a 128-bit product (what `multipliedFullWidth` on 64-bit integers
/// lowers to on a 32-bit target). wasm32 passes i128 as (low, high) halves and returns it
/// through a pointer.
@_cdecl("__multi3")
func multiply128(_ result: UnsafeMutablePointer<UInt64>, _ aLow: UInt64, _ aHigh: UInt64, _ bLow: UInt64, _ bHigh: UInt64) {
    // aLow·bLow from 32-bit halves, each partial product fits in 64 bits.
    let a0 = aLow & 0xFFFF_FFFF, a1 = aLow >> 32, b0 = bLow & 0xFFFF_FFFF, b1 = bLow >> 32
    let low = a0 &* b0
    let middle1 = a1 &* b0 &+ (low >> 32)
    let middle2 = a0 &* b1 &+ (middle1 & 0xFFFF_FFFF)
    let high = a1 &* b1 &+ (middle1 >> 32) &+ (middle2 >> 32)
    result[0] = (middle2 << 32) | (low & 0xFFFF_FFFF)
    result[1] = high &+ aLow &* bHigh &+ aHigh &* bLow
}

/// Seeds for hashing. Without an entropy source in the module, a fixed SplitMix64 stream:
/// seeding only guards hash tables against collision attacks, and Swiftlet's tables are
/// keyed by model vocabulary, not by text an attacker picks at run time.
@_cdecl("arc4random_buf")
func randomBytes(_ buffer: UnsafeMutableRawPointer, _ count: Int) {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for i in 0..<count {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        buffer.storeBytes(of: UInt8(truncatingIfNeeded: z ^ (z &>> 31)), toByteOffset: i, as: UInt8.self)
    }
}
