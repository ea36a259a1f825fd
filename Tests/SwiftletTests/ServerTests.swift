import AsyncHTTPClient
import Foundation
import NIOCore
import Swiftlet
import SwiftletCore
import SwiftletServer
import Testing

extension RealModels {
    /// `swiftlet serve` on the real SmolLM2: OpenAI's client, concurrency, disconnects, bad input.
    @Suite struct ServerTests {
        /// A server on a free port for the duration of `body`, hosting SmolLM2 under each name
        /// with its context size.
        static func withServer(
            contextSize: Int = 1024, models: [(name: String, contextSize: Int)]? = nil,
            configure: (inout SwiftletServer.Configuration) -> Void = { _ in },
            _ body: (String) async throws -> Void
        ) async throws {
            var hosted: [HostedModel] = []
            for (name, contextSize) in models ?? [("smollm2", contextSize)] {
                let model = try await LanguageModel(path: try TestModels.smolLM2.get(), configuration: .init(contextSize: contextSize, threads: 2))
                hosted.append(HostedModel(name: name, model: model))
            }
            var configuration = SwiftletServer.Configuration()
            configuration.port = 0
            configuration.logLevel = .critical  // the server logs its own shutdown as an error
            configure(&configuration)
            let server = SwiftletServer(models: hosted, configuration: configuration)
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let running = Task { try await server.run { continuation.yield($0) } }
            defer { running.cancel() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body("http://127.0.0.1:\(port)")
        }

        struct Reply {
            var status: Int
            var json: [String: Any]
            var text: String
        }

        static func get(_ url: String) async throws -> Reply {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
            let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return Reply(status: Int(response.status.code), json: json, text: text)
        }

        static func request(_ url: String, _ body: String, headers: [(String, String)] = []) -> HTTPClientRequest {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(string: body))
            return request
        }

        /// A chat request whose answer streams for a long while.
        static let longStreamedStory =
            #"{"messages": [{"role": "user", "content": "Write a very long story about the sea."}], "stream": true, "max_tokens": 900, "temperature": 0.8}"#

        static func post(_ url: String, _ body: String, headers: [(String, String)] = []) async throws -> Reply {
            let response = try await HTTPClient.shared.execute(request(url, body, headers: headers), timeout: .seconds(300))
            let bytes = try await response.body.collect(upTo: 1 << 22)
            let text = String(buffer: bytes)
            let json = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return Reply(status: Int(response.status.code), json: json, text: text)
        }

        static func metric(_ base: String, _ name: String) async throws -> Double {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/metrics"), timeout: .seconds(10))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            let line = text.split(separator: "\n").first { $0.hasPrefix("swiftlet_\(name) ") }
            return line.flatMap { Double($0.split(separator: " ")[1]) } ?? -1
        }

        static func content(_ reply: Reply) -> String? {
            let choice = (reply.json["choices"] as? [[String: Any]])?.first
            return (choice?["message"] as? [String: Any])?["content"] as? String ?? choice?["text"] as? String
        }

        @Test func theOfficialOpenAIClientWorksUnmodified() async throws {
            try await Self.withServer { base in
                let run = try await TestModels.runPython("openai-client.py", [base + "/v1"])
                try #require(run.status == 0, "the openai client failed: \(run.errors)")
                let result = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
                #expect(result["models"] as? [String] == ["smollm2"])
                let answer = try #require(result["answer"] as? String)
                #expect(answer.hasPrefix("A prime number is a positive integer greater than 1"))
                #expect(result["finish_reason"] as? String == "stop")
                #expect(result["streamed"] as? String == answer)
                #expect((result["chunks"] as? Int ?? 0) > 10)
            }
        }

        @Test func concurrentClientsGetTheAnswersTheyWouldGetAlone() async throws {
            let questions = [
                "What is the capital of France?", "Name three colours.", "What is 7 times 6?",
                "Write a haiku about rain.", "Who wrote Hamlet?",
            ]
            func body(_ index: Int) -> String {
                let question = questions[index % questions.count]
                return index % 2 == 0
                    ? #"{"messages": [{"role": "user", "content": "\#(question)"}], "temperature": 0, "max_tokens": 16}"#
                    : #"{"prompt": "\#(question)", "temperature": 0, "max_tokens": 16}"#
            }
            func path(_ index: Int) -> String { index % 2 == 0 ? "/v1/chat/completions" : "/v1/completions" }

            try await Self.withServer { base in
                var alone: [String] = []
                for index in 0..<10 { alone.append(try #require(Self.content(try await Self.post(base + path(index), body(index))))) }

                // 8 clients × 5 requests, each client asking a different mix.
                let answers = try await withThrowingTaskGroup(of: [(Int, String?)].self) { group in
                    for client in 0..<8 {
                        group.addTask {
                            var mine: [(Int, String?)] = []
                            for request in 0..<5 {
                                let index = (client + request * 3) % 10
                                mine.append((index, Self.content(try await Self.post(base + path(index), body(index)))))
                            }
                            return mine
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(answers.count == 40)
                for (index, answer) in answers { #expect(answer == alone[index], "request \(index)") }
                #expect(try await Self.metric(base, "queue_depth") == 0)
            }
        }

        @Test func aClientThatDisconnectsStopsItsGeneration() async throws {
            try await Self.withServer { base in
                let request = Self.request(base + "/v1/chat/completions", Self.longStreamedStory)
                let streaming = Task {
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                    var events = 0
                    for try await buffer in response.body {
                        events += String(buffer: buffer).components(separatedBy: "data: ").count - 1
                        if events >= 4 { break }  // hang up
                    }
                }
                try await streaming.value
                // The server notices at its next write and cancels; wait for the metrics to say so.
                var cancelled = 0.0
                for _ in 0..<100 where cancelled < 1 {
                    try await Task.sleep(for: .milliseconds(100))
                    cancelled = try await Self.metric(base, "requests_cancelled_total")
                }
                #expect(cancelled == 1)
                #expect(try await Self.metric(base, "completion_tokens_total") < 100)
                #expect(try await Self.metric(base, "queue_depth") == 0)
            }
        }

        @Test func badRequestsGetOpenAIShapedErrorsAndTheServerKeepsServing() async throws {
            try await Self.withServer(contextSize: 256) { base in
                let chat = base + "/v1/chat/completions"
                let longPrompt = String(repeating: "word ", count: 400)
                let cases: [(String, String, Int, String?)] = [
                    ("malformed JSON", "{\"messages\": [", 400, nil),
                    ("not an object", "[1, 2]", 400, nil),
                    ("no messages", "{}", 400, "messages"),
                    ("messages of the wrong type", #"{"messages": "hello"}"#, 400, "messages"),
                    ("a message without a role", #"{"messages": [{"content": "hi"}]}"#, 400, "messages[0].role"),
                    ("content of the wrong type", #"{"messages": [{"role": "user", "content": 5}]}"#, 400, "messages[0].content"),
                    ("temperature as text", #"{"messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}"#, 400, "temperature"),
                    ("temperature out of range", #"{"messages": [{"role": "user", "content": "hi"}], "temperature": 7}"#, 400, "temperature"),
                    ("max_tokens of zero", #"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}"#, 400, "max_tokens"),
                    ("max_tokens over the context", #"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 100000}"#, 400, "max_tokens"),
                    ("n of 2", #"{"messages": [{"role": "user", "content": "hi"}], "n": 2}"#, 400, "n"),
                    ("stop of the wrong type", #"{"messages": [{"role": "user", "content": "hi"}], "stop": 3}"#, 400, "stop"),
                    ("five stop strings", #"{"messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b", "c", "d", "e"]}"#, 400, "stop"),
                    ("max_tokens not whole", #"{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5.5}"#, 400, "max_tokens"),
                    ("top_p out of range", #"{"messages": [{"role": "user", "content": "hi"}], "top_p": 1.5}"#, 400, "top_p"),
                    ("an unknown role", #"{"messages": [{"role": "robot", "content": "hi"}]}"#, 400, "messages[0].role"),
                    ("an image part", #"{"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}"#, 400, "messages[0].content"),
                    ("a message that is not an object", #"{"messages": ["hi"]}"#, 400, "messages[0]"),
                    ("stream_options of the wrong type", #"{"messages": [{"role": "user", "content": "hi"}], "stream_options": 1}"#, 400, "stream_options"),
                    ("an unknown model", #"{"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}"#, 404, "model"),
                    ("a prompt longer than the context", #"{"messages": [{"role": "user", "content": "\#(longPrompt)"}]}"#, 400, "messages"),
                    ("a body over the size limit", #"{"messages": [{"role": "user", "content": "\#(String(repeating: "x", count: 2 << 20))"}]}"#, 413, nil),
                ]
                for (what, body, status, param) in cases {
                    let reply = try await Self.post(chat, body)
                    #expect(reply.status == status, "\(what): \(reply.text)")
                    let error = reply.json["error"] as? [String: Any]
                    #expect(error?["message"] is String, "\(what): \(reply.text)")
                    if let param { #expect(error?["param"] as? String == param, "\(what): \(reply.text)") }
                }
                // Whole numbers may be written as 8.0 (Python's json does for floats); text parts join.
                let good = try await Self.post(chat, #"{"messages": [{"role": "user", "content": [{"type": "text", "text": "Say "}, {"type": "text", "text": "hi."}]}], "max_tokens": 8.0}"#)
                #expect(good.status == 200, "\(good.text)")
                #expect(Self.content(good)?.isEmpty == false)
            }
        }

        @Test func anAPIKeyIsRequiredWhenSetAndABusyServerAnswers429() async throws {
            try await Self.withServer(configure: { $0.apiKey = "sesame"; $0.maxRequestsInFlight = 1 }) { base in
                let chat = base + "/v1/chat/completions"
                let body = #"{"messages": [{"role": "user", "content": "Tell me a long story."}], "max_tokens": 64}"#
                #expect(try await Self.post(chat, body).status == 401)
                #expect(try await Self.post(chat, body, headers: [("Authorization", "Bearer wrong")]).status == 401)

                // The first answer streams, so it is surely in flight once its first event has come.
                let key = [("Authorization", "Bearer sesame")]
                let first = Self.request(chat, Self.longStreamedStory, headers: key)
                let response = try await HTTPClient.shared.execute(first, timeout: .seconds(60))
                #expect(response.status == .ok)
                var events = response.body.makeAsyncIterator()
                #expect(try await events.next() != nil)
                let second = try await Self.post(chat, body, headers: key)
                #expect(second.status == 429)
                #expect((second.json["error"] as? [String: Any])?["code"] as? String == "rate_limit_exceeded")
            }
        }

        @Test func fieldsARequestLeavesOutTakeTheCoreDefaults() async throws {
            let core = SamplingParameters.defaults
            let question = #""messages": [{"role": "user", "content": "Tell me about the moon."}], "max_tokens": 24"#
            try await Self.withServer { base in
                let chat = base + "/v1/chat/completions"
                let leftOut = Self.content(try await Self.post(chat, "{\(question)}"))
                let spelledOut = Self.content(try await Self.post(chat, """
                    {\(question), "temperature": \(core.temperature), "top_k": \(core.topK), "top_p": \(core.topP), "min_p": \(core.minP), "seed": \(core.seed)}
                    """))
                let openAIs = Self.content(try await Self.post(chat, """
                    {\(question), "temperature": 1, "top_k": 0, "top_p": 1, "min_p": 0, "seed": \(core.seed)}
                    """))
                #expect(leftOut?.isEmpty == false)
                #expect(leftOut == spelledOut)
                #expect(leftOut != openAIs, "OpenAI's defaults sample differently, so the server did not use them")
            }
        }

        @Test func eachRequestIsCheckedAgainstTheModelItNames() async throws {
            try await Self.withServer(models: [("short", 128), ("long", 1024)]) { base in
                func ask(_ model: String, _ content: String, maxTokens: Int) async throws -> Reply {
                    try await Self.post(base + "/v1/chat/completions", """
                        {"model": "\(model)", "messages": [{"role": "user", "content": "\(content)"}], "max_tokens": \(maxTokens), "temperature": 0}
                        """)
                }
                func error(_ reply: Reply) -> [String: Any]? { reply.json["error"] as? [String: Any] }

                let tooMany = try await ask("short", "Say hi.", maxTokens: 512)
                #expect(tooMany.status == 400)
                #expect(error(tooMany)?["param"] as? String == "max_tokens")
                #expect((error(tooMany)?["message"] as? String)?.contains("(128)") == true, "\(tooMany.text)")
                #expect(try await ask("long", "Say hi.", maxTokens: 512).status == 200)

                let longPrompt = String(repeating: "word ", count: 200)
                let tooLong = try await ask("short", longPrompt, maxTokens: 4)
                #expect(tooLong.status == 400)
                #expect(error(tooLong)?["code"] as? String == "context_length_exceeded")
                #expect(try await ask("long", longPrompt, maxTokens: 4).status == 200)
            }
        }

        @Test func thePlaygroundOffersTheBrowserEngineOnlyWhenItIsBuilt() async throws {
            let web = FileManager.default.temporaryDirectory.appendingPathComponent("swiftlet-web-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: web, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: web) }
            try Data("// the web API".utf8).write(to: web.appendingPathComponent("swiftlet.js"))

            #expect(try WebBuild.locate(explicit: web.path) == web.path)
            #expect(throws: WebBuild.NotFound.self) { try WebBuild.locate(explicit: web.appendingPathComponent("absent").path) }
            // Without --web-root: web/ of the checkout the binary was built from, this one.
            #expect(try WebBuild.locate(explicit: nil) == TestModels.repositoryRoot.appendingPathComponent("web").path)

            func browserEngine(_ base: String) async throws -> [String: Any] {
                try #require(try await Self.get(base + "/playground/config").json["browser_engine"] as? [String: Any])
            }
            try await Self.withServer(configure: { $0.webRoot = web.path }) { base in
                let unbuilt = try await browserEngine(base)
                #expect(unbuilt["available"] as? Bool == false)
                #expect(unbuilt["reason"] as? String == "the browser engine is not built: run scripts/build-wasm")
                for module in ["swiftlet.wasm", "swiftlet-relaxed.wasm"] { try Data().write(to: web.appendingPathComponent(module)) }
                let built = try await browserEngine(base)
                #expect(built["available"] as? Bool == true)
                #expect(built["reason"] is NSNull)
            }
            try await Self.withServer { base in
                let absent = try await browserEngine(base)
                #expect(absent["available"] as? Bool == false)
                #expect((absent["reason"] as? String)?.contains("--web-root") == true)
            }
        }

        // MARK: Graceful shutdown, on the `swiftlet` executable itself

        @Test func sigtermLetsAStreamedAnswerFinishAndTheServerExitsZero() async throws {
            // A grace period long enough for the answer even on a busy machine.
            let server = try await ServeProcess([try TestModels.smolLM2.get(), "--context", "1024", "--shutdown-grace", "60"])
            let stream = try await server.streamAnswerThroughSIGTERM(maxTokens: 120)
            let chunks = try stream.wholeChunks()
            #expect(stream.events.last == "[DONE]")
            #expect(stream.eventsAfterSignal > 10, "the answer was still streaming when SIGTERM came")
            let finishReasons = chunks.compactMap(\.finishReason)
            #expect(finishReasons.count == 1 && ["stop", "length"].contains(finishReasons[0]), "\(finishReasons)")
            // Usage comes only with an answer that ran to its end.
            #expect(chunks.last?.json["usage"] is [String: Any])
            try await server.expectCleanExit(within: .seconds(90))
        }

        @Test func sigtermPastTheGracePeriodEndsTheAnswerCleanly() async throws {
            let server = try await ServeProcess([try TestModels.smolLM2.get(), "--context", "1024", "--shutdown-grace", "0"])
            let stream = try await server.streamAnswerThroughSIGTERM(maxTokens: 900)
            let chunks = try stream.wholeChunks()
            #expect(stream.events.last == "[DONE]")
            #expect(chunks.compactMap(\.finishReason) == ["length"])
            #expect(chunks.allSatisfy { $0.json["usage"] == nil }, "an interrupted stream has no usage (as OpenAI's)")
            try await server.expectCleanExit(within: .seconds(10))
        }
    }
}
