#!/usr/bin/env python3
"""Structured output end to end: the official `openai` client against a running `swiftlet serve`.

Usage:
  structured-output.py BASE_URL        e.g. http://127.0.0.1:8080/v1
  structured-output.py --check-cases   no server: checks the cases file itself (each schema
                                       against Draft 2020-12's metaschema and the subset the
                                       server supports, each example against its schema)

Every case of structured-cases.json (beside this script; $STRUCTURED_CASES_FILE names another)
is asked of the first model the server lists with `response_format` json_schema (strict),
temperature 0: the answer must parse as JSON and validate against the case's schema, formats
included, unless it stopped at max_tokens (finish_reason "length": counted apart, at most
MAX_LENGTH_CUTS of them). Then: a json_object request, a streamed json_schema request (its deltas
joined must validate, and equal the same request's answer unstreamed), a max_tokens=5 request
that must end "length", and an invalid schema and an unsupported keyword, each of which must be
answered 400 with a message naming the problem and its JSON pointer.

$STRUCTURED_CASES=name,name,... runs only those cases (the other checks still run).
Prints one JSON object summarizing the run on stdout (progress on stderr); exits 1 on any failure.
"""
import json, os, re, sys, time

from jsonschema import Draft202012Validator

FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
MAX_TOKENS = 200
MAX_LENGTH_CUTS = 2
CASES_FILE = os.environ.get("STRUCTURED_CASES_FILE") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "structured-cases.json")

# The keywords the server supports (issue 18), and the formats it knows.
SUPPORTED = {"type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const",
             "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "anyOf", "oneOf", "$ref", "$defs"}
FORMATS = {"date", "time", "date-time", "uuid"}


def progress(*parts):
    print(*parts, file=sys.stderr, flush=True)


def schema_name(name):
    """A json_schema name as OpenAI allows it: ^[a-zA-Z0-9_-]{1,64}$."""
    return (re.sub(r"[^A-Za-z0-9_-]", "_", name) or "schema")[:64]


def response_format(name, schema):
    return {"type": "json_schema", "json_schema": {"name": schema_name(name), "schema": schema, "strict": True}}


def validation_errors(schema, instance):
    validator = Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    return ["/" + "/".join(map(str, error.absolute_path)) + ": " + error.message for error in validator.iter_errors(instance)]


def subset_problems(schema, pointer=""):
    """Where a schema leaves the subset the server supports (so a 400 there is the test's fault)."""
    if isinstance(schema, bool):
        return []
    if not isinstance(schema, dict):
        return [f"{pointer or '/'}: not a schema"]
    problems = [f"{pointer}/{key}: unsupported keyword" for key in schema if key not in SUPPORTED]
    types = schema.get("type")
    types = set(types if isinstance(types, list) else [types] if types else [])
    if ("minimum" in schema or "maximum" in schema) and types != {"integer"}:
        problems.append(f"{pointer}: minimum/maximum only on integers")
    if "format" in schema and schema["format"] not in FORMATS:
        problems.append(f"{pointer}/format: {schema['format']} is not a supported format")
    if "pattern" in schema and not (schema["pattern"].startswith("^") and schema["pattern"].endswith("$")):
        problems.append(f"{pointer}/pattern: not anchored (jsonschema searches, a grammar matches whole)")
    if "$ref" in schema and not schema["$ref"].startswith("#/$defs/"):
        problems.append(f"{pointer}/$ref: only local #/$defs/ references")
    for key in ("properties", "$defs"):
        for name, sub in schema.get(key, {}).items():
            problems += subset_problems(sub, f"{pointer}/{key}/{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            problems += subset_problems(schema[key], f"{pointer}/{key}")
    for key in ("anyOf", "oneOf"):
        for index, sub in enumerate(schema.get(key, [])):
            problems += subset_problems(sub, f"{pointer}/{key}/{index}")
    return problems


def load_cases():
    with open(CASES_FILE) as file:
        cases = json.load(file)
    only = [name for name in os.environ.get("STRUCTURED_CASES", "").split(",") if name]
    if only:
        unknown = set(only) - {case["name"] for case in cases}
        if unknown:
            sys.exit(f"structured-output.py: no such cases: {', '.join(sorted(unknown))}")
        cases = [case for case in cases if case["name"] in only]
    return cases


def check_cases():
    """The cases file by itself: every schema well formed and inside the subset, every example valid and small."""
    cases = load_cases()
    failures = []
    names = [case["name"] for case in cases]
    if len(set(names)) != len(names):
        failures.append({"case": None, "problem": "duplicate names"})
    for case in cases:
        problems = []
        try:
            Draft202012Validator.check_schema(case["schema"])
        except Exception as error:
            problems.append(f"not a Draft 2020-12 schema: {error.message if hasattr(error, 'message') else error}")
        problems += subset_problems(case["schema"])
        if "example" not in case:
            problems.append("no example")
        elif not problems:  # an example means nothing against a broken schema
            problems += [f"example {error}" for error in validation_errors(case["schema"], case["example"])]
            if len(json.dumps(case["example"], separators=(",", ":"))) > 300:
                problems.append("example longer than 300 characters")
        if schema_name(case["name"]) != case["name"]:
            problems.append("name is not a valid json_schema name")
        if not case["prompt"].strip() or len(case["prompt"]) > 200:
            problems.append("prompt empty or longer than 200 characters")
        if problems:
            failures.append({"case": case["name"], "problems": problems})
    print(json.dumps({"cases": len(cases), "failures": failures}, indent=1))
    return not failures


def run(base_url):
    import openai
    from openai import OpenAI

    # No retries: a failure shows as itself, once.
    client = OpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=600)
    model = client.models.list().data[0].id
    cases = load_cases()
    summary = {"model": model, "cases": len(cases), "valid": 0, "length_cut": [], "failures": [], "checks": {}, "seconds": 0}
    failures = summary["failures"]
    started = time.monotonic()

    def ask(messages, format, max_tokens=MAX_TOKENS, **options):
        return client.chat.completions.create(model=model, messages=messages, temperature=0, max_tokens=max_tokens,
                                              response_format=format, **options)

    def user(prompt):
        return [{"role": "user", "content": prompt}]

    answers = {}  # case name → the unstreamed answer, for the streamed check
    for case in cases:
        begun = time.monotonic()
        try:
            completion = ask(user(case["prompt"]), response_format(case["name"], case["schema"]))
            choice = completion.choices[0]
            content, finish = choice.message.content or "", choice.finish_reason
            answers[case["name"]] = content
            outcome = "valid"
            if finish == "length":
                summary["length_cut"].append({"case": case["name"], "content": content})
                outcome = "length"
            elif finish != "stop":
                failures.append({"case": case["name"], "problem": f"finish_reason {finish!r}", "content": content})
                outcome = "failed"
            else:
                try:
                    errors = validation_errors(case["schema"], json.loads(content))
                except json.JSONDecodeError as error:
                    errors = [f"not JSON: {error}"]
                if errors:
                    failures.append({"case": case["name"], "problem": "; ".join(errors), "content": content})
                    outcome = "failed"
                else:
                    summary["valid"] += 1
        except Exception as error:
            failures.append({"case": case["name"], "problem": f"{type(error).__name__}: {error}"})
            content, outcome = "", "error"
        progress(f"{case['name']}: {outcome} in {time.monotonic() - begun:.1f} s: {content}")
    if len(summary["length_cut"]) > MAX_LENGTH_CUTS:
        failures.append({"case": None, "problem": f"{len(summary['length_cut'])} answers cut at max_tokens (at most {MAX_LENGTH_CUTS})"})

    def check(name, body):
        """One of the other checks: body returns a detail for the summary, or raises (AssertionError: its message)."""
        try:
            summary["checks"][name] = {"ok": True, "detail": body()}
        except Exception as error:
            problem = str(error) if isinstance(error, AssertionError) else f"{type(error).__name__}: {error}"
            summary["checks"][name] = {"ok": False, "problem": problem}
            failures.append({"check": name, "problem": problem})
        progress(f"check {name}: {summary['checks'][name]}")

    def json_object():
        choice = ask(user("Describe Alice, who is 30 and lives in Paris, as a JSON object with name, age and city."),
                     {"type": "json_object"}).choices[0]
        content = choice.message.content or ""
        if choice.finish_reason == "length":
            summary["length_cut"].append({"check": "json_object", "content": content})
            assert len(summary["length_cut"]) <= MAX_LENGTH_CUTS, f"json_object cut at max_tokens too: {content!r}"
            return {"finish_reason": "length", "content": content}
        assert choice.finish_reason == "stop", f"finish_reason {choice.finish_reason!r}: {content!r}"
        try:
            value = json.loads(content)
        except json.JSONDecodeError as error:
            raise AssertionError(f"not JSON ({error}): {content!r}")
        assert isinstance(value, dict), f"not a JSON object: {content!r}"
        return {"content": content}

    def streamed():
        case = next((case for case in cases if case["name"] == "person_name_age"), cases[0])
        pieces, finishes, chunks = [], [], 0
        for chunk in ask(user(case["prompt"]), response_format(case["name"], case["schema"]), stream=True):
            chunks += 1
            for choice in chunk.choices:
                if choice.delta.content:
                    pieces.append(choice.delta.content)
                if choice.finish_reason:
                    finishes.append(choice.finish_reason)
        content = "".join(pieces)
        assert finishes == ["stop"], f"finish reasons {finishes}: {content!r}"
        try:
            errors = validation_errors(case["schema"], json.loads(content))
        except json.JSONDecodeError as error:
            errors = [f"not JSON: {error}"]
        assert not errors, f"{case['name']} streamed: {'; '.join(errors)}: {content!r}"
        if case["name"] in answers:
            assert content == answers[case["name"]], f"streamed {content!r} != unstreamed {answers[case['name']]!r}"
        return {"case": case["name"], "chunks": chunks, "content": content}

    def cut_by_max_tokens():
        schema = {"type": "object", "properties": {"story": {"type": "string", "minLength": 200, "maxLength": 2000}},
                  "required": ["story"], "additionalProperties": False}
        completion = ask(user("Write a long story about the sea."), response_format("long_story", schema), max_tokens=5)
        choice = completion.choices[0]
        content = choice.message.content or ""
        assert choice.finish_reason == "length", f"finish_reason {choice.finish_reason!r}: {content!r}"
        if completion.usage:
            assert completion.usage.completion_tokens <= 5, f"{completion.usage.completion_tokens} tokens for max_tokens 5"
        assert content.lstrip().startswith("{"), f"not the start of the JSON: {content!r}"
        return {"content": content}

    def rejected(schema, names):
        """The schema must be answered 400, OpenAI-shaped, with a message containing every one of `names`."""
        def body():
            try:
                answer = ask(user("Hello."), response_format("rejected", schema), max_tokens=8)
            except openai.BadRequestError as error:
                assert error.status_code == 400, f"status {error.status_code}"
                assert isinstance(error.body, dict) and isinstance(error.body.get("message"), str), f"not an OpenAI error body: {error.body!r}"
                message = error.body["message"]
                missing = [name for name in names if name not in message]
                assert not missing, f"the message does not name {missing}: {message!r}"
                return {"message": message, "type": error.body.get("type"), "param": error.body.get("param")}
            raise AssertionError(f"accepted, answered {answer.choices[0].message.content!r}")
        return body

    weather = {"type": "function", "function": {
        "name": "get_weather", "description": "The current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "minLength": 1, "maxLength": 40},
                                                        "unit": {"enum": ["celsius", "fahrenheit"]}},
                       "required": ["city", "unit"], "additionalProperties": False}}}
    clock = {"type": "function", "function": {"name": "get_time", "description": "The time in a time zone.",
                                               "parameters": {"type": "object", "properties": {"zone": {"type": "string", "maxLength": 40}},
                                                              "required": ["zone"]}}}
    # A tool without parameters (no arguments), and parameters that reference their own $defs.
    now = {"type": "function", "function": {"name": "now", "description": "The current time here."}}
    convert = {"type": "function", "function": {
        "name": "convert_temperature", "description": "Converts a temperature between units.",
        "parameters": {"$defs": {"unit": {"enum": ["celsius", "fahrenheit"]}}, "type": "object",
                       "properties": {"value": {"type": "integer", "minimum": -100, "maximum": 200},
                                      "to": {"$ref": "#/$defs/unit"}}, "required": ["value", "to"]}}}
    tools = [weather, clock, now, convert]

    def tool_call(choice, stream=False):
        """The call of a required tool_choice: its name and arguments, valid against the tool's parameters."""
        def body():
            question = user("What is the weather in Paris, in celsius?")
            if stream:
                calls, finishes = {}, []
                for chunk in client.chat.completions.create(model=model, messages=question, temperature=0, max_tokens=MAX_TOKENS,
                                                            tools=tools, tool_choice=choice, stream=True):
                    for streamed in chunk.choices:
                        for call in streamed.delta.tool_calls or []:
                            entry = calls.setdefault(call.index, {"name": "", "arguments": ""})
                            entry["name"] += call.function.name or ""
                            entry["arguments"] += call.function.arguments or ""
                        if streamed.finish_reason:
                            finishes.append(streamed.finish_reason)
                assert finishes == ["tool_calls"], f"finish reasons {finishes}"
                assert list(calls) == [0], f"calls {calls}"
                name, arguments = calls[0]["name"], calls[0]["arguments"]
            else:
                completion = client.chat.completions.create(model=model, messages=question, temperature=0, max_tokens=MAX_TOKENS,
                                                            tools=tools, tool_choice=choice)
                answer = completion.choices[0]
                assert answer.finish_reason == "tool_calls", f"finish_reason {answer.finish_reason!r}: {answer.message}"
                assert answer.message.content is None and len(answer.message.tool_calls) == 1, f"{answer.message}"
                call = answer.message.tool_calls[0]
                assert call.type == "function" and call.id.startswith("call_"), f"{call}"
                name, arguments = call.function.name, call.function.arguments
            tool = next((t for t in tools if t["function"]["name"] == name), None)
            assert tool, f"called {name!r}, not a tool"
            if isinstance(choice, dict):
                assert name == choice["function"]["name"], f"called {name!r} instead of the named tool"
            errors = validation_errors(tool["function"]["parameters"], json.loads(arguments))
            assert not errors, f"{name} arguments {arguments}: {'; '.join(errors)}"
            # The conversation goes on with the tool's result.
            follow = client.chat.completions.create(model=model, temperature=0, max_tokens=32, tools=tools, tool_choice="none", messages=question + [
                {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "18 degrees and sunny"}])
            assert follow.choices[0].message.content, "no answer after the tool's result"
            return {"name": name, "arguments": arguments, "then": follow.choices[0].message.content}
        return body

    def tool_auto():
        completion = client.chat.completions.create(model=model, messages=user("Say hello."), temperature=0, max_tokens=32,
                                                    tools=tools, tool_choice="auto")
        answer = completion.choices[0]
        if answer.message.tool_calls:
            assert answer.finish_reason == "tool_calls", f"finish_reason {answer.finish_reason!r}"
            json.loads(answer.message.tool_calls[0].function.arguments)
            return {"called": answer.message.tool_calls[0].function.name}
        assert answer.message.content and not answer.message.content.startswith("{"), f"{answer.message}"
        return {"content": answer.message.content}

    check("tool_call_required", tool_call("required"))
    check("tool_call_named", tool_call({"type": "function", "function": {"name": "get_weather"}}))
    check("tool_call_streamed", tool_call("required", stream=True))
    check("tool_choice_auto", tool_auto)

    def named_tool(name, question):
        def body():
            completion = client.chat.completions.create(model=model, messages=user(question), temperature=0, max_tokens=MAX_TOKENS,
                                                        tools=tools, tool_choice={"type": "function", "function": {"name": name}})
            call = completion.choices[0].message.tool_calls[0]
            assert call.function.name == name, f"{call}"
            tool = next(t for t in tools if t["function"]["name"] == name)
            schema = tool["function"].get("parameters", {"type": "object"})
            errors = validation_errors(schema, json.loads(call.function.arguments))
            assert not errors, f"{name} arguments {call.function.arguments}: {'; '.join(errors)}"
            return {"arguments": call.function.arguments}
        return body

    check("tool_without_parameters", named_tool("now", "What time is it?"))
    check("tool_parameters_with_defs", named_tool("convert_temperature", "Convert 20 celsius to fahrenheit."))
    check("json_object", json_object)
    check("streamed_json_schema", streamed)
    check("cut_by_max_tokens", cut_by_max_tokens)
    # The problem (the misspelled type) and where it is.
    check("invalid_schema", rejected({"type": "object", "properties": {"a": {"type": "strnig"}}}, ["strnig", "/properties/a"]))
    check("unsupported_keyword", rejected(
        {"type": "object", "properties": {"tags": {"type": "object", "patternProperties": {"^x-": {"type": "string"}}}}},
        ["patternProperties", "/properties/tags"]))

    summary["seconds"] = round(time.monotonic() - started, 1)
    summary["ok"] = not failures
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    return not failures


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(0 if (check_cases() if sys.argv[1] == "--check-cases" else run(sys.argv[1])) else 1)
