import Testing

/// The suites that run the real models take turns: each keeps every core busy, and
/// several at once on a small machine only slow each other down (and starve the tests
/// that time network transfers).
@Suite(.serialized) enum RealModels {}
