import AsyncHTTPClient
import Foundation
import NIOCore
import Swiftlet
import SwiftletServer
import Testing

extension RealModels {
    /// `swiftlet serve` on the real SmolLM2: OpenAI's client, concurrency, disconnects, bad input.
    @Suite struct ServerTests {
        /// A server on a free port for the duration of `body`.
        static func withServer(
            contextSize: Int = 1024, configure: (inout SwiftletServer.Configuration) -> Void = { _ in },
            _ body: (String) async throws -> Void
        ) async throws {
            let model = try await LanguageModel(path: try TestModels.smolLM2.get(), configuration: .init(contextSize: contextSize, threads: 2))
            var configuration = SwiftletServer.Configuration()
            configuration.port = 0
            configuration.logLevel = .critical  // the server logs its own shutdown as an error
            configure(&configuration)
            let server = SwiftletServer(models: [HostedModel(name: "smollm2", model: model)], configuration: configuration)
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

        static func post(_ url: String, _ body: String, headers: [(String, String)] = []) async throws -> Reply {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(string: body))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(300))
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
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", TestModels.repositoryRoot.appendingPathComponent("Tests/Scripts/openai-client.py").path, base + "/v1"]
                let output = Pipe(), errors = Pipe()
                process.standardOutput = output
                process.standardError = errors
                try process.run()
                let data = await Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
                process.waitUntilExit()
                let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                try #require(process.terminationStatus == 0, "the openai client failed (is `pip install openai` done?): \(problem)")
                let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
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
                var request = HTTPClientRequest(url: base + "/v1/chat/completions")
                request.method = .POST
                request.body = .bytes(ByteBuffer(string: #"{"messages": [{"role": "user", "content": "Write a very long story about the sea."}], "stream": true, "max_tokens": 900, "temperature": 0.8}"#))
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
                let good = try await Self.post(chat, #"{"messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 8}"#)
                #expect(good.status == 200)
                #expect(Self.content(good)?.isEmpty == false)
            }
        }

        @Test func anAPIKeyIsRequiredWhenSetAndABusyServerAnswers429() async throws {
            try await Self.withServer(configure: { $0.apiKey = "sesame"; $0.maxRequestsInFlight = 1 }) { base in
                let chat = base + "/v1/chat/completions"
                let body = #"{"messages": [{"role": "user", "content": "Tell me a long story."}], "max_tokens": 64}"#
                #expect(try await Self.post(chat, body).status == 401)
                #expect(try await Self.post(chat, body, headers: [("Authorization", "Bearer wrong")]).status == 401)

                let key = [("Authorization", "Bearer sesame")]
                async let first = Self.post(chat, body, headers: key)
                try await Task.sleep(for: .milliseconds(300))
                let second = try await Self.post(chat, body, headers: key)
                #expect(second.status == 429)
                #expect((second.json["error"] as? [String: Any])?["code"] as? String == "rate_limit_exceeded")
                #expect(try await first.status == 200)
            }
        }
    }
}
