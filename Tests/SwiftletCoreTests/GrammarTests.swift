import SwiftletCore
import Testing

/// GBNF grammars read and matched a byte at a time.
@Suite struct GrammarTests {
    func grammar(_ text: String) throws -> Grammar { try Grammar(gbnf: Array(text.utf8)) }

    /// Whether the whole of `text` is a sentence of `grammar`.
    func accepts(_ grammar: Grammar, _ text: String) -> Bool {
        var matcher = GrammarMatcher(grammar)
        return matcher.advance(Array(text.utf8)) && matcher.isComplete
    }

    func error(_ text: String) -> GrammarError? {
        do throws(GrammarError) {
            _ = try Grammar(gbnf: Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func literalsAlternativesAndGroups() throws {
        let g = try grammar(#"root ::= "yes" | "no" | ("may" "be")"#)
        for text in ["yes", "no", "maybe"] { #expect(accepts(g, text), "\(text)") }
        for text in ["", "ye", "yesno", "may", "Yes"] { #expect(!accepts(g, text), "\(text)") }
    }

    @Test func repetitionOperatorsAndBounds() throws {
        let g = try grammar(#"root ::= "a"* "b"+ "c"? [0-9]{2,3} "x"{2} "y"{1,}"#)
        #expect(accepts(g, "b12xxy"))
        #expect(accepts(g, "aaabbbc123xxyyy"))
        #expect(!accepts(g, "b1xxy"))  // too few digits
        #expect(!accepts(g, "b1234xxy"))  // too many
        #expect(!accepts(g, "12xxy"))  // no b
        #expect(!accepts(g, "b12xy"))
        #expect(!accepts(g, "b12xx"))
    }

    @Test func recursionNestsWithoutLimit() throws {
        let g = try grammar("""
            root ::= list
            list ::= "[" (item ("," item)*)? "]"
            item ::= list | [a-z]+
            """)
        #expect(accepts(g, "[]"))
        #expect(accepts(g, "[a,[b,[]],[[[cd]]]]"))
        #expect(accepts(g, String(repeating: "[", count: 200) + String(repeating: "]", count: 200)))
        #expect(!accepts(g, "[a,]"))
        #expect(!accepts(g, "[[a]"))
    }

    @Test func emptyAlternativesMatchNothing() throws {
        let g = try grammar("""
            root ::= "<" inner ">"
            inner ::= | "x" inner
            """)
        #expect(accepts(g, "<>"))
        #expect(accepts(g, "<xxx>"))
        #expect(!accepts(g, "<y>"))
    }

    @Test func unicodeRangesMatchWholeCharactersAcrossSplitBytes() throws {
        let g = try grammar(#"root ::= [α-ω]+ [^a-z\x00-\x1f]"#)
        #expect(accepts(g, "λόγοςZ") == false)  // ό (U+03CC) is past ω (U+03C9)
        #expect(accepts(g, "λογοςZ"))
        #expect(accepts(g, "α😀"))  // a four-byte character from the negated class
        #expect(!accepts(g, "αb"))
        // Bytes of one character arrive in separate pieces, as byte-fallback tokens give them.
        var matcher = GrammarMatcher(g)
        let bytes = Array("β€".utf8)
        for byte in bytes {
            let read = matcher.advance([byte])
            #expect(read)
        }
        #expect(matcher.isComplete)
        // A lead byte with a continuation outside the range is refused at that byte.
        var partial = GrammarMatcher(g)
        let lead = partial.advance([0xCE])
        let continuation = partial.advance([0x80])
        #expect(lead && !continuation)  // U+0380 is below α (U+03B1)
        // Surrogates are not characters.
        #expect(!GrammarMatcher(try grammar("root ::= [^a]")).accepts([0xED, 0xA0, 0x80]))
    }

    @Test func escapesInLiteralsAndClasses() throws {
        let g = try grammar(#"root ::= "\"\\\n\t\x41\u00e9\U0001F600" [\]\-]"#)
        #expect(accepts(g, "\"\\\n\tAé😀]"))
        #expect(accepts(g, "\"\\\n\tAé😀-"))
    }

    @Test func aTokenMaySpanSeveralTerminalsAndEndInsideOne() throws {
        let g = try grammar(#"""
            root ::= "{" ws "\"key\"" ws ":" ws [0-9]+ ws "}"
            ws ::= [ ]*
            """#)
        var matcher = GrammarMatcher(g)
        for piece in [#"{""#, #"key"#, #"": 1"#, "2 ", "}"] {
            let read = matcher.advance(Array(piece.utf8))
            #expect(read, "\(piece)")
        }
        #expect(matcher.isComplete)
        #expect(!matcher.canContinue)
        // A refused piece leaves the matcher where it was.
        var other = GrammarMatcher(g)
        let steps = [other.advance(Array("{ \"k".utf8)), other.advance(Array("x".utf8)), other.advance(Array("ey\":0}".utf8))]
        #expect(steps == [true, false, true])
        #expect(other.isComplete)
    }

    @Test func commentsAndLineBreaksFollowGBNF() throws {
        let g = try grammar("""
            # a comment line
            root ::= # after the operator
              greeting
              | "bye"  # a comment ends the line
            greeting ::= (
              "hi" |
              "hello"
            ) "!"
            """)
        #expect(accepts(g, "hi!"))
        #expect(accepts(g, "hello!"))
        #expect(accepts(g, "bye"))
    }

    /// Grammars that would cost without bound are refused: deep nesting when read, too many
    /// parses at once when matched.
    @Test func hostileGrammarsAreRefusedNotRun() throws {
        let deep = "root ::= " + String(repeating: "(", count: 100) + "\"a\"" + String(repeating: ")", count: 100)
        #expect(error(deep)?.message == "groups nested deeper than 64")
        let ambiguous = try grammar(#"root ::= ("a"? "b"?){1000}"#)
        #expect(!GrammarMatcher(ambiguous).accepts(Array("ab".utf8)))
        let automaton = GrammarAutomaton(ambiguous)
        #expect(automaton.next(automaton.start, UInt8(ascii: "a")) == GrammarAutomaton.dead)
        #expect(automaton.tooAmbiguous)
        // A few optional parts are fine.
        #expect(accepts(try grammar(#"root ::= ("a"? "b"?){8}"#), "abba"))
    }

    @Test func errorsNameTheProblemAndWhereItIs() {
        #expect(error(#"root ::= "a" missing"#) == GrammarError("rule 'missing' is used but never defined", line: 1, column: 14))
        #expect(error(#"start ::= "a""#)?.message == "no rule named 'root'")
        #expect(error("root ::= root \"a\" | \"b\"")?.message.contains("left-recursive") == true)
        #expect(error("root ::= x \"a\"\nx ::= \"\" | root")?.message.contains("left-recursive") == true)
        #expect(error(#"root ::= "abc"#) == GrammarError("unterminated string literal", line: 1, column: 14))
        #expect(error("root ::= [a-\n") == GrammarError("unterminated character class", line: 1, column: 13))
        #expect(error("root ::= [z-a]")?.message.contains("backwards") == true)
        #expect(error(#"root ::= "a"{3,1}"#)?.message.contains("maximum below its minimum") == true)
        #expect(error(#"root ::= "a"{99999}"#)?.message.contains("above") == true)
        #expect(error(#"root ::= "\q""#) == GrammarError(#"unknown escape '\q'"#, line: 1, column: 11))
        #expect(error(#"root ::= ("a""#)?.message == "expected ')'")
        #expect(error("root ::= \"a\"\nroot ::= \"b\"") == GrammarError("rule 'root' is defined twice", line: 2, column: 1))
        #expect(error("root = \"a\"")?.message == "expected '::=' after the rule name")
        #expect(error("root ::= \"a\" )")?.message == "unexpected ')'")
        #expect(error("root ::= [\u{0}]") == nil)
        #expect(GrammarError("x", line: 2, column: 5).description == "grammar line 2, column 5: x")
    }
}
