import SwiftletCore
import Testing

/// JSON Schema → GBNF: the JSON reader, the converter's errors, and for each schema shape
/// texts the grammar engine must accept and texts it must reject.
@Suite struct JSONSchemaGrammarTests {
    private func parse(_ text: String) throws(SchemaError) -> JSONDocument { try JSONDocument.parse(Array(text.utf8)) }

    private func parseError(_ text: String) -> String? {
        do { _ = try parse(text); return nil } catch { return error.description }
    }

    private func conversionError(_ schema: String) -> SchemaError? {
        do { _ = try JSONSchemaGrammar.gbnf(schema: Array(schema.utf8)); return nil } catch { return error }
    }

    private func gbnf(_ schema: String) -> String {
        do { return String(decoding: try JSONSchemaGrammar.gbnf(schema: Array(schema.utf8)), as: UTF8.self) } catch { return "error: \(error)" }
    }

    private func grammar(_ schema: String, sourceLocation: SourceLocation = #_sourceLocation) -> Grammar? {
        let text: [UInt8]
        do { text = try JSONSchemaGrammar.gbnf(schema: Array(schema.utf8)) } catch {
            Issue.record("conversion failed: \(error)", sourceLocation: sourceLocation)
            return nil
        }
        do { return try Grammar(gbnf: text) } catch {
            Issue.record("the engine rejected the grammar: \(error)\n\(String(decoding: text, as: UTF8.self))", sourceLocation: sourceLocation)
            return nil
        }
    }

    private func accepts(_ grammar: Grammar, _ text: String) -> Bool {
        var matcher = GrammarMatcher(grammar)
        return matcher.advance(Array(text.utf8)) && matcher.isComplete
    }

    private func check(_ schema: String, accepts valid: [String], rejects invalid: [String],
                       sourceLocation: SourceLocation = #_sourceLocation) {
        guard let grammar = grammar(schema, sourceLocation: sourceLocation) else { return }
        for text in valid { #expect(accepts(grammar, text), "should accept \(text)\n\(gbnf(schema))", sourceLocation: sourceLocation) }
        for text in invalid { #expect(!accepts(grammar, text), "should reject \(text)\n\(gbnf(schema))", sourceLocation: sourceLocation) }
    }

    // MARK: - The JSON reader

    @Test func readsValuesKeepingMemberOrderAndNumberText() throws {
        let document = try parse(#" {"b": [1, -2.5e3, true, false, null], "a": "x\u00e9\ud83d\ude00\n\/"} "#)
        let expected = JSONDocument.object([
            (Array("b".utf8), .array([.number(text: Array("1".utf8), value: 1), .number(text: Array("-2.5e3".utf8), value: -2500),
                                      .bool(true), .bool(false), .null])),
            (Array("a".utf8), .string(Array("xé😀\n/".utf8))),
        ])
        #expect(document == expected)
        guard case let .object(members) = document else { Issue.record("not an object"); return }
        #expect(members.map { String(decoding: $0.key, as: UTF8.self) } == ["b", "a"])
        guard case let .array(items) = members[0].value, case let .number(text, _) = items[1] else { return }
        #expect(text == Array("-2.5e3".utf8))
        #expect(try parse("1.0") == parse("1"), "numbers compare by value")
        #expect(try parse(#"{"a":1,"b":2}"#) != parse(#"{"b":2,"a":1}"#), "members compare in order")
        #expect(try parse("0.1") == .number(text: Array("0.1".utf8), value: 0.1))
        #expect(try parse("123456789012345e-10") == .number(text: Array("123456789012345e-10".utf8), value: 12345.6789012345))
    }

    @Test func rejectsMalformedJSONNamingLineColumnAndByte() {
        #expect(parseError(#"{"a" 1}"#) == "schema: invalid JSON at 1:6 (byte 5): expected ':' after an object key")
        #expect(parseError("[1,]") == "schema: invalid JSON at 1:4 (byte 3): unexpected character, expected a value")
        #expect(parseError("[01]") == "schema: invalid JSON at 1:3 (byte 2): leading zeros are not allowed")
        #expect(parseError("{\n  \"a\": tru\n}") == "schema: invalid JSON at 2:8 (byte 9): unknown literal, expected true")
        #expect(parseError(#""\ud800""#) == "schema: invalid JSON at 1:2 (byte 1): unpaired surrogate escape")
        #expect(parseError("{} x") == "schema: invalid JSON at 1:4 (byte 3): unexpected text after the JSON value")
        #expect(parseError("\"a\u{1}\"") == "schema: invalid JSON at 1:3 (byte 2): control character in string (must be escaped)")
        #expect(parseError(#"{"é": 1,}"#) == "schema: invalid JSON at 1:9 (byte 9): expected a string key", "columns count characters")
        #expect(parseError("") == "schema: invalid JSON at 1:1 (byte 0): unexpected end of text, expected a value")
        #expect(parseError("[1.]") == "schema: invalid JSON at 1:4 (byte 3): expected a digit after '.'")
        #expect(parseError(#"["a\q"]"#) == "schema: invalid JSON at 1:4 (byte 3): invalid escape in string")
        #expect(parseError(String(repeating: "[", count: 300))?.contains("nested deeper than 200 levels") == true)
        #expect(parseError("NaN") != nil)
        #expect(parseError("// comment\n{}") != nil)
    }

    // MARK: - Conversion errors

    @Test func errorsNameTheKeywordAndThePath() {
        let bound = conversionError(#"{"type": "object", "properties": {"age": {"type": "integer", "minimum": "5"}}}"#)
        #expect(bound == SchemaError("minimum must be a number", path: "/properties/age"))
        #expect(bound?.description == "at /properties/age: minimum must be a number")
        #expect(conversionError(#"{"properties": {"a/b": {"allOf": []}}}"#)
            == SchemaError(#"unsupported keyword "allOf""#, path: "/properties/a~1b"))
        #expect(conversionError(#"{"type": "string", "strict": true}"#) == SchemaError(#"unsupported keyword "strict""#, path: ""))
        #expect(conversionError(#"{"type": "string", "nullable": true}"#)?.message == #"unsupported keyword "nullable""#)
        #expect(conversionError(#"{"type": "array", "items": {"type": "string", "format": "email"}}"#)
            == SchemaError(#"unsupported format "email" (supported: date, time, date-time, uuid)"#, path: "/items"))
        #expect(conversionError(#"{"type": "string", "minimum": 1}"#)?.message
            == "minimum applies to number values, but type does not include number")
        #expect(conversionError(#"{"type": "number", "minimum": 0.5}"#)?.message.contains("whole number") == true)
        #expect(conversionError(#"{"type": "integer", "minimum": 5, "maximum": 4}"#)?.message == "no integer lies between the bounds")
        #expect(conversionError(#"{"type": "array", "minItems": 3, "maxItems": 2}"#)?.message == "minItems 3 is above maxItems 2")
        #expect(conversionError(#"{"type": "array", "minItems": -1}"#)?.message
            == "minItems must be a non-negative integer (at most 4096, the grammar's repetition limit)")
        #expect(conversionError(#"{"type": "string", "maxLength": 5000}"#)?.path == "")
        #expect(conversionError(#"{"type": "string", "maxLength": 4096}"#) == nil)
        #expect(conversionError(#"{"type": "text"}"#)?.message == #"unknown type "text""#)
        #expect(conversionError(#"{"type": "object", "required": ["a"], "additionalProperties": false}"#)?.message
            == #"required property "a" is not in properties, and additionalProperties is false"#)
        #expect(conversionError(#"{"anyOf": []}"#)?.message == "anyOf must be a non-empty array of schemas")
        #expect(conversionError(#"{"enum": ["a"], "minLength": 2}"#)?.message == "enum and const beside minLength are not supported")
        #expect(conversionError(#"{"enum": ["a", 1], "type": "boolean"}"#)?.message == "no enum or const value has the declared type")
        #expect(conversionError("false")?.message == "the schema false allows no value")
        #expect(conversionError("[]")?.message == "a schema must be an object or a boolean")
        #expect(conversionError(#"{"type": "string", "type": "null"}"#)?.message == #"duplicate keyword "type""#)
    }

    @Test func unsupportedPatternsAreErrors() {
        func patternError(_ pattern: String) -> String? {
            var quoted: [UInt8] = []
            JSONText.appendString(pattern.utf8, to: &quoted)
            return conversionError(#"{"type": "string", "pattern": "# + String(decoding: quoted, as: UTF8.self) + "}")?.message
        }
        #expect(patternError("(?=a)b")?.contains("lookaround") == true)
        #expect(patternError("(?<!a)b")?.contains("lookaround") == true)
        #expect(patternError(#"(a)\1"#)?.contains("backreferences") == true)
        #expect(patternError(#"\bword"#)?.contains("word boundaries") == true)
        #expect(patternError(#"\p{L}"#)?.contains("Unicode property") == true)
        #expect(patternError("a^b")?.contains("'^'") == true)
        #expect(patternError("(a")?.contains("unclosed '('") == true)
        #expect(patternError("a)")?.contains("unmatched ')'") == true)
        #expect(patternError("*a")?.contains("nothing to repeat") == true)
        #expect(patternError("(a?)*")?.contains("can match nothing") == true)
        #expect(patternError("a{3,2}")?.contains("out of order") == true)
        #expect(patternError("[z-a]")?.contains("out of order") == true)
        #expect(patternError(#"\q"#)?.contains(#"unsupported escape \q"#) == true)
        #expect(patternError("a{5000}")?.contains("above 4096") == true)
        #expect(conversionError(#"{"type": "string", "pattern": "a", "maxLength": 3}"#)?.message
            == "pattern beside minLength or maxLength is not supported")
    }

    @Test func referencesMustResolveAndMustNotLoopBeforeText() {
        #expect(conversionError(##"{"$ref": "#/$defs/Missing"}"##)
            == SchemaError(##"$ref "#/$defs/Missing" points to nothing in the schema"##, path: ""))
        #expect(conversionError(#"{"type": "object", "properties": {"a": {"$ref": "other.json#/x"}}}"#)?.path == "/properties/a")
        #expect(conversionError(#"{"$ref": 3}"#)?.message == "$ref must be a string")
        #expect(conversionError(##"{"$ref": "#/$defs/A", "type": "object", "$defs": {"A": {}}}"##)?.message
            == "$ref beside other keywords (type) is not supported")
        // A ↦ A | null writes nothing before A again: left recursion.
        let loop = conversionError(##"{"$defs": {"A": {"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]}}, "$ref": "#/$defs/A"}"##)
        #expect(loop?.path == "/$defs/A/anyOf/0")
        #expect(loop?.message.contains("left recursion") == true)
        let alias = conversionError(##"{"$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/A"}}, {"$ref": "#/$defs/A"}]}}, "$ref": "#/$defs/A"}"##)
        #expect(alias?.message.contains("left recursion") == true)
        // A definition nothing uses is still checked.
        #expect(conversionError(#"{"type": "null", "$defs": {"X": {"type": "string", "format": "email"}}}"#)?.path == "/$defs/X")
    }

    // MARK: - Grammar text

    @Test func writesReadableRulesOnceEach() {
        let text = gbnf(#"{"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}"#)
        #expect(text.hasPrefix(#"root ::= "{" ws "\"name\"" ws ":" ws string ws "}""# + "\n"))
        #expect(text.contains(#"ws ::= | " " | "\n" [ \t]{0,20}"# + "\n"))
        let twice = gbnf(#"""
            {"type": "object", "properties": {
              "home": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
              "work": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
             "required": ["home", "work"]}
            """#)
        #expect(twice.split(separator: "\n").filter { $0.contains("\"\\\"city\\\"\"") }.count == 1, "\(twice)")
        #expect(twice.hasPrefix(#"root ::= "{" ws "\"home\"" ws ":" ws home ws "," ws "\"work\"" ws ":" ws home ws "}""#), "\(twice)")
        let document = JSONDocument.object([(Array("type".utf8), .string(Array("boolean".utf8)))])
        #expect((try? JSONSchemaGrammar.gbnf(schema: document)).map { String(decoding: $0, as: UTF8.self) }
            == "root ::= boolean\nboolean ::= \"true\" | \"false\"\n")
    }

    // MARK: - Accepted and rejected texts

    @Test func nestedObjectsKeepOrderAndRequiredMembers() {
        let schema = #"""
            {"type": "object", "title": "Person", "properties": {
               "name": {"type": "string", "description": "full name"},
               "age": {"type": "integer", "minimum": 0, "maximum": 150},
               "address": {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
                           "required": ["city"], "additionalProperties": false},
               "tags": {"type": "array", "items": {"type": "string"}}},
             "required": ["name", "age"]}
            """#
        check(schema, accepts: [
            #"{"name":"Ann","age":30}"#,
            #"{"name": "Ann", "age": 150, "tags": []}"#,
            "{\n  \"name\": \"Bo\",\n  \"age\": 0,\n  \"address\": {\n    \"city\": \"Oslo\"\n  },\n  \"tags\": [\"a\", \"b\"]\n}",
            #"{"name":"A\"n\u00e9","age":7,"address":{"street":"Main","city":"X"}}"#,
        ], rejects: [
            #"{"age":30}"#, #"{"age":30,"name":"Ann"}"#, #"{"name":"Ann","age":151}"#, #"{"name":"Ann","age":-1}"#,
            #"{"name":"Ann","age":30,"extra":1}"#, #"{"name":"Ann","age":30,}"#, #"{"name":"Ann","age":30} "#,
            #" {"name":"Ann","age":30}"#, #"{"name":"Ann","age":30,"address":{"street":"Main"}}"#,
            #"{"name":"Ann","age":3.5}"#,
        ])
    }

    @Test func optionalPropertiesInAnyCombination() {
        let schema = #"{"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "integer"}}}"#
        check(schema, accepts: [
            "{}", "{ }", #"{"b":1}"#, #"{"a":1,"c":3}"#, #"{"a":1,"b":2,"c":3}"#, #"{"c":3}"#, #"{ "a" : 1 , "b" : 2 }"#,
        ], rejects: [#"{"a":1,}"#, #"{,"b":1}"#, #"{"c":1,"a":2}"#, #"{"a":1,"a":1}"#, #"{"d":1}"#])
        check(#"{"properties": {"a": {"type": "null"}, "b": {"const": 2}}, "required": ["b"]}"#,
              accepts: [#"{"b":2}"#, #"{"a":null,"b":2}"#], rejects: [#"{"a":null}"#, "{}", #"{"b":2,"a":null}"#])
    }

    @Test func arraysHonourItemCounts() {
        check(#"{"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3}"#,
              accepts: ["[1]", "[1, 2, 3]", "[ -4 ,5 ]", "[\n  1\n]"],
              rejects: ["[]", "[1,2,3,4]", "[1,]", "[\"a\"]", "[1 2]"])
        check(#"{"type": "array", "maxItems": 2}"#, accepts: ["[]", #"[{"a":[1]}, null]"#], rejects: ["[1,2,3]"])
        check(#"{"type": "array", "items": {"type": "boolean"}, "minItems": 2}"#,
              accepts: ["[true,false]", "[true,true,true,false]"], rejects: ["[true]", "[]"])
        check(#"{"type": "array", "items": false}"#, accepts: ["[]"], rejects: ["[1]"])
    }

    @Test func enumsAndConstsAreTheirLiterals() {
        check(#"{"enum": ["red", "green", 42, null, {"a": [1, true]}, "é\"q"]}"#,
              accepts: [#""red""#, "42", "null", #"{"a":[1,true]}"#, #""é\"q""#],
              rejects: [#""blue""#, #""Red""#, "42.0", #"{"a": [1, true]}"#, "true"])
        check(#"{"type": "integer", "enum": [1, 2.5, "x", 3]}"#, accepts: ["1", "3"], rejects: ["2.5", #""x""#])
        check(#"{"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}}, "required": ["kind", "r"]}"#,
              accepts: [#"{"kind":"circle","r":1.5e3}"#], rejects: [#"{"kind":"square","r":1}"#])
    }

    @Test func integerRangesAreExact() {
        func checkRange(_ schema: String, from: Int, through: Int, _ contains: (Int) -> Bool,
                        sourceLocation: SourceLocation = #_sourceLocation) {
            guard let grammar = grammar(schema, sourceLocation: sourceLocation) else { return }
            for value in from...through where accepts(grammar, String(value)) != contains(value) {
                Issue.record("\(value): expected \(contains(value) ? "accepted" : "rejected")\n\(gbnf(schema))", sourceLocation: sourceLocation)
                return
            }
        }
        checkRange(#"{"type": "integer", "minimum": -15, "maximum": 1234}"#, from: -40, through: 1400) { (-15...1234).contains($0) }
        checkRange(#"{"type": "integer", "exclusiveMinimum": -100, "exclusiveMaximum": 7}"#, from: -250, through: 250) { $0 > -100 && $0 < 7 }
        checkRange(#"{"type": "integer", "minimum": 37, "maximum": 5021}"#, from: 0, through: 6000) { (37...5021).contains($0) }
        checkRange(#"{"type": "integer", "minimum": -999, "maximum": -10}"#, from: -1100, through: 50) { (-999...(-10)).contains($0) }
        checkRange(#"{"type": "integer", "minimum": 0.5, "maximum": 9.5}"#, from: -5, through: 15) { (1...9).contains($0) }
        checkRange(#"{"type": "integer", "minimum": 100, "exclusiveMinimum": true}"#, from: 0, through: 1200) { $0 > 100 }
        check(#"{"type": "integer", "maximum": -3}"#, accepts: ["-3", "-1000000", "-9999999999999999"],
              rejects: ["-2", "0", "5", "-03", "-3.0"])
        check(#"{"type": "integer", "minimum": 9007199254740993}"#, accepts: ["9007199254740993", "9007199254740994"],
              rejects: ["9007199254740992", "1"])
        check(#"{"type": "integer", "minimum": 100000000000000000}"#,
              accepts: ["100000000000000000", "9223372036854775807"], rejects: ["99999999999999999", "9223372036854775808"])
        check(#"{"type": "integer", "minimum": -9223372036854775808, "maximum": -9223372036854775800}"#,
              accepts: ["-9223372036854775808", "-9223372036854775801"], rejects: ["-9223372036854775809", "-9223372036854775799"])
        check(#"{"type": "integer"}"#, accepts: ["0", "-0", "-12", "1234567890123456"],
              rejects: ["01", "1.0", "12345678901234567", "+1", "1e3"])
    }

    @Test func numberRangesWithWholeBounds() {
        check(#"{"type": "number", "minimum": -2, "exclusiveMaximum": 3}"#,
              accepts: ["-2", "-2.0", "-1.5", "0", "2.999", "0.5", "-0.25", "2"],
              rejects: ["-2.01", "3", "3.0", "-3", "1e2", "3.5", "-2.5"])
        check(#"{"type": "number", "exclusiveMinimum": 0}"#,
              accepts: ["0.1", "5", "0.001", "123456.5"], rejects: ["0", "0.0", "-0.5", "-1", "-0"])
        check(#"{"type": "number", "minimum": 0.0, "maximum": 1.0}"#,
              accepts: ["0", "0.5", "1", "1.0", "1.00", "0.999"], rejects: ["1.01", "-0.1", "2", "1.5"])
        check(#"{"type": "number", "maximum": -1, "exclusiveMinimum": -5}"#,
              accepts: ["-1", "-1.0", "-4.99", "-3"], rejects: ["-5", "-5.0", "-0.5", "0", "-5.1"])
        check(#"{"type": "number"}"#, accepts: ["0", "-1.5", "2e10", "6.02E+23", "1.25e-3"], rejects: ["1.", ".5", "01", "1e", "--1"])
    }

    @Test func stringsHonourLengthsPatternsAndFormats() {
        check(#"{"type": "string", "minLength": 2, "maxLength": 4}"#,
              accepts: [#""ab""#, #""abcd""#, #""é€😀x""#, #""a\nb""#, #""\u0041b""#],
              rejects: [#""a""#, #""abcde""#, #""""#, "\"a\u{1}b\""])
        check(#"{"type": "string", "pattern": "^[A-Z]{2}-\\d{3,4}$"}"#,
              accepts: [#""AB-123""#, #""XY-1234""#], rejects: [#""ab-123""#, #""AB-12""#, #""AB-12345""#, #""AB123""#])
        check(#"{"type": "string", "pattern": "(foo|ba+r)?x\\.y*"}"#,
              accepts: [#""x.""#, #""foox.yy""#, #""baaarx.""#], rejects: [#""brx.""#, #""fooba""#, #""x""#])
        check(#"{"type": "string", "pattern": "^a.c$"}"#, accepts: [#""abc""#, #""aéc""#], rejects: [#""a\"c""#, #""a\\c""#, #""ac""#])
        check(#"{"type": "string", "pattern": "^say \"hi\"\\s[^a-z]\\w+$"}"#,
              accepts: [#""say \"hi\" X_9""#], rejects: [#""say "hi" X9""#, #""say \"hi\" x9""#])
        check(#"{"type": "string", "pattern": "^[\\d.a-c\"]+$"}"#, accepts: [#""1.b\"""#], rejects: [#""1.d""#, #"""""#])
        // A quantified group that holds a quantified atom.
        check(#"{"type": "string", "pattern": "^(\\d{3})?-(?:[A-Z]{2})+$"}"#, accepts: [#""123-AB""#, #""-ABCD""#],
              rejects: [#""12-AB""#, #""123-A""#])
        check(#"{"type": "string", "format": "date"}"#,
              // Only real dates: February to the 28th (the 29th would need the year), 30-day months to the 30th.
              accepts: [#""2024-02-28""#, #""1999-12-31""#, #""2024-04-30""#],
              rejects: [#""2024-13-01""#, #""2024-1-01""#, #""2024-00-10""#, #""2024-01-32""#, #""2023-02-30""#,
                        #""2024-04-31""#, #""0000-01-01""#])
        check(#"{"type": "string", "format": "time"}"#,
              accepts: [#""12:34:56Z""#, #""23:59:59.123+05:30""#], rejects: [#""24:00:00Z""#, #""12:34:56""#, #""12:60:00Z""#])
        check(#"{"format": "date-time"}"#, accepts: [#""2024-01-01T00:00:00Z""#], rejects: [#""2024-01-01 00:00:00Z""#])
        check(#"{"type": "string", "format": "uuid"}"#,
              accepts: [#""123e4567-e89b-12d3-a456-426614174000""#], rejects: [#""123e4567e89b12d3a456426614174000""#])
    }

    @Test func alternativesAndTypeLists() {
        check(#"{"anyOf": [{"type": "string", "maxLength": 3}, {"type": "integer", "minimum": 0}]}"#,
              accepts: [#""abc""#, "7", "0"], rejects: [#""abcd""#, "-1", "null"])
        check(#"{"oneOf": [{"type": "object", "properties": {"a": {"type": "null"}}, "required": ["a"]}, {"type": "boolean"}], "title": "x"}"#,
              accepts: [#"{"a":null}"#, "false"], rejects: ["{}", "null"])
        check(#"{"type": ["string", "null"], "maxLength": 1}"#, accepts: [#""a""#, "null"], rejects: [#""ab""#, "0"])
        check(#"{"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "description": "pydantic's Optional"}"#,
              accepts: [#""x""#, "null"], rejects: ["1"])
    }

    @Test func recursiveReferences() {
        let tree = #"""
            {"$defs": {"node": {"type": "object", "properties": {
                "value": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}, "required": ["value"]}},
             "$ref": "#/$defs/node"}
            """#
        check(tree, accepts: [
            #"{"value":1}"#, #"{"value":1,"children":[]}"#,
            #"{"value":1,"children":[{"value":2,"children":[{"value":3}]},{"value":4}]}"#,
        ], rejects: [#"{"value":1,"children":[{}]}"#, #"{"children":[]}"#, #"{"value":1,"children":[{"value":"x"}]}"#])
        let list = #"""
            {"type": "object", "properties": {"head": {"type": "string"}, "tail": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}},
             "required": ["head", "tail"]}
            """#
        check(list, accepts: [#"{"head":"a","tail":null}"#, #"{"head":"a","tail":{"head":"b","tail":null}}"#],
              rejects: [#"{"head":"a","tail":{"head":"b"}}"#])
        check(##"{"definitions": {"a~b/c": {"type": "boolean"}}, "type": "array", "items": {"$ref": "#/definitions/a~0b~1c"}}"##,
              accepts: ["[true,false]"], rejects: ["[1]"])
    }

    @Test func additionalPropertiesWithoutDeclaredOnes() {
        check(#"{"type": "object", "additionalProperties": {"type": "number"}}"#,
              accepts: ["{}", #"{"a":1,"b":2.5}"#, #"{ "x" : -1 }"#], rejects: [#"{"a":"x"}"#, #"{"a":1,}"#])
        check(#"{"type": "object", "additionalProperties": false}"#, accepts: ["{}", "{ }"], rejects: [#"{"a":1}"#])
        check(#"{"type": "object", "required": ["id"]}"#, accepts: [#"{"id":[1,{"x":null}]}"#], rejects: ["{}"])
    }

    @Test func anyValueAndAnyObject() {
        let texts = ["{}", "[]", "0", #""s""#, "null", "true", #"{"a":[1,{"b":null}],"c":"d"}"#, "[\n  1,\n  2\n]"]
        check("{}", accepts: texts, rejects: ["", "{", "[1,]", "nul", "'a'"])
        check("true", accepts: texts, rejects: ["}"])
        guard let object = try? Grammar(gbnf: JSONSchemaGrammar.anyObject) else { Issue.record("anyObject did not compile"); return }
        #expect(accepts(object, #"{"a":[1,{"b":null}],"c":"d"}"#))
        #expect(accepts(object, "{}"))
        #expect(!accepts(object, "[]"))
        #expect(!accepts(object, #""x""#))
    }

    @Test func whitespaceIsBounded() {
        guard let grammar = grammar(#"{"type": "array", "items": {"type": "null"}}"#) else { return }
        #expect(accepts(grammar, "[\n" + String(repeating: " ", count: 20) + "null]"))
        #expect(!accepts(grammar, "[\n" + String(repeating: " ", count: 21) + "null]"))
        #expect(!accepts(grammar, "[  null]"), "one space or one newline with indentation")
        #expect(!accepts(grammar, "[null]\n"), "nothing after the value")
    }
}
