import SwiftletCore
import Testing

/// The one JSON writer, against what Python's `json.dumps` prints for the same values.
@Suite struct JSONTextTests {
    func string(_ text: String, escapingNonASCII: Bool = false) -> String {
        var output: [UInt8] = []
        JSONText.appendString(text.utf8, escapingNonASCII: escapingNonASCII, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    func number(_ value: Double) -> String {
        var output: [UInt8] = []
        JSONText.appendNumber(value, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    @Test func escapesQuotesBackslashesAndControlCharacters() {
        #expect(string("a\"b\\c/") == #""a\"b\\c/""#)
        #expect(string("\n\r\t\u{8}\u{C}\u{0}\u{1F}\u{7F}") == #""\n\r\t\b\f\u0000\u001f\#u{7F}""#)
    }

    @Test func keepsNonASCIIUnlessAskedToEscapeIt() {
        #expect(string("é€😀") == "\"é€😀\"")
        #expect(string("é€😀\u{7F}", escapingNonASCII: true) == #""\u00e9\u20ac\ud83d\ude00\u007f""#)
        #expect(JSONText.quoted(Array("naïve \"q\"".utf8)) == Array(#""naïve \"q\"""#.utf8))
    }

    @Test func writesTheShortestDigitsThatRoundTripLaidOutAsPythonDoes() {
        let cases: [(Double, String)] = [
            (0, "0.0"), (-0.0, "-0.0"), (1, "1.0"), (2.5, "2.5"), (0.1, "0.1"), (1.0 / 3, "0.3333333333333333"),
            (1e-4, "0.0001"), (1e-5, "1e-05"), (-1.5e-7, "-1.5e-07"), (123456789.125, "123456789.125"),
            (1e15, "1000000000000000.0"), (9007199254740992, "9007199254740992.0"), (1e16, "1e+16"),
            (.greatestFiniteMagnitude, "1.7976931348623157e+308"), (.leastNonzeroMagnitude, "5e-324"),
        ]
        for (value, expected) in cases { #expect(number(value) == expected, "\(value)") }
    }

    @Test func writesNonFiniteNumbersAsNull() {
        #expect(number(.nan) == "null")
        #expect(number(.infinity) == "null")
        #expect(number(-.infinity) == "null")
    }

    @Test func writesIntegersInFull() {
        var output: [UInt8] = []
        JSONText.appendNumber(Int64.min, to: &output)
        output.append(UInt8(ascii: " "))
        JSONText.appendNumber(UInt64.max, to: &output)
        #expect(String(decoding: output, as: UTF8.self) == "-9223372036854775808 18446744073709551615")
    }
}
