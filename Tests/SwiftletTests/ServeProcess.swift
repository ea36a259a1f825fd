import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import Testing

/// `swiftlet serve` as a process of its own on a free port: the release build's binary,
/// which `swift build --build-tests` puts beside the test bundle.
final class ServeProcess {
    let process = Process()
    let port: Int
    /// What the server wrote to stderr (for failure messages).
    private let log = Log()

    final class Log: Sendable {
        let text = Mutex("")
    }

    /// What the server has written to stderr so far.
    var logText: String { log.text.withLock { $0 } }

    init(_ arguments: [String]) async throws {
        let binary = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("swiftlet")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "no \(binary.path): run swift build -c release --build-tests")
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0", "--threads", "2"] + arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        // Read to the end on a thread of its own (the reads block), so the server never
        // waits on a full pipe; the lines go to the test until the port is known.
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let handle = errors.fileHandleForReading, log = log
        Thread {
            var pending = ""
            while case let data = handle.availableData, !data.isEmpty {
                let text = String(decoding: data, as: UTF8.self)
                log.text.withLock { $0 += text }
                pending += text
                while let newline = pending.firstIndex(of: "\n") {
                    continuation.yield(String(pending[..<newline]))
                    pending.removeSubrange(...newline)
                }
            }
            continuation.finish()
        }.start()
        var port: Int?
        for await line in lines {
            guard let address = line.range(of: "serving on http://127.0.0.1:") else { continue }
            port = Int(line[address.upperBound...].prefix(while: \.isNumber))
            break
        }
        self.port = try #require(port, "swiftlet serve did not start: \(log.text.withLock { $0 })")
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    struct Stream {
        /// Each server-sent event's data.
        var events: [String] = []
        var eventsAfterSignal = 0

        struct Chunk {
            let json: [String: Any]
            var finishReason: String? { ((json["choices"] as? [[String: Any]])?.first?["finish_reason"]) as? String }
        }

        /// Every event before `[DONE]`, each of which must be a whole JSON object.
        func wholeChunks() throws -> [Chunk] {
            try events.dropLast().map { event in
                Chunk(json: try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any], "\(event)"))
            }
        }
    }

    /// Asks for a long streamed story and sends the server SIGTERM after its fourth event.
    func streamAnswerThroughSIGTERM(maxTokens: Int) async throws -> Stream {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/chat/completions")
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: """
            {"messages": [{"role": "user", "content": "Write a very long story about the sea."}], "stream": true,
             "stream_options": {"include_usage": true}, "max_tokens": \(maxTokens), "temperature": 0}
            """))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        var stream = Stream(), pending = "", signalled = false
        for try await buffer in response.body {
            pending += String(buffer: buffer)
            while let end = pending.range(of: "\n\n") {
                let event = String(pending[..<end.lowerBound])
                pending.removeSubrange(..<end.upperBound)
                try #require(event.hasPrefix("data: "), "not a server-sent event: \(event)")
                stream.events.append(String(event.dropFirst(6)))
                if signalled { stream.eventsAfterSignal += 1 }
            }
            if !signalled && stream.events.count >= 4 {
                kill(process.processIdentifier, SIGTERM)
                signalled = true
            }
        }
        #expect(pending.isEmpty, "half an event at the end: \(pending)")
        return stream
    }

    func expectCleanExit(within limit: Duration) async throws {
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let log = log.text.withLock { $0 }
        try #require(!process.isRunning, "swiftlet serve still runs \(limit) after SIGTERM: \(log)")
        #expect(process.terminationReason == .exit && process.terminationStatus == 0, "exit status \(process.terminationStatus): \(log)")
    }
}
