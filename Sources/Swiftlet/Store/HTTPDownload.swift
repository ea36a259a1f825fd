import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Streams a URL into a staging file, resuming with an HTTP Range request when the
/// connection breaks off (or when an earlier run left a `.partial`).
struct HTTPDownload {
    let url: String
    let client: HTTPClient
    /// Extra attempts after a break-off that made progress.
    var retries = 5

    /// `checkSpace(bytes)` is asked before the body is written, once the size is known.
    func run(
        into file: StagingFile, checkSpace: (Int64) throws(StoreError) -> Void,
        progress: (PullProgress) -> Void
    ) async throws {
        var attempts = 0
        while true {
            let before = file.size
            do {
                try await attempt(into: file, checkSpace: checkSpace, progress: progress)
                return
            } catch let error as StoreError {
                // Only a transfer that broke off after making progress is worth another go.
                guard case .interrupted = error, file.size > before, attempts < retries else { throw error }
                attempts += 1
                try await Task.sleep(for: .milliseconds(200 * attempts))
            }
        }
    }

    private func attempt(
        into file: StagingFile, checkSpace: (Int64) throws(StoreError) -> Void,
        progress: (PullProgress) -> Void
    ) async throws {
        var request = HTTPClientRequest(url: url)
        if file.size > 0 { request.headers.add(name: "Range", value: "bytes=\(file.size)-") }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .seconds(30))
        } catch {
            throw StoreError.connectionFailed(url: url, reason: Self.describe(error))
        }

        let length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        let total: Int64?
        switch response.status.code {
        case 206:
            // The rest, from where the file ends: "bytes START-END/TOTAL".
            let range = response.headers.first(name: "Content-Range") ?? ""
            guard range.hasPrefix("bytes \(file.size)-") else {
                try file.restart()
                throw StoreError.interrupted(url: url, received: 0, expected: nil, reason: "the server resumed at the wrong offset (\(range))")
            }
            total = range.split(separator: "/").last.flatMap { Int64($0) } ?? length.map { $0 + file.size }
        case 200:
            try file.restart()
            total = length
        default:
            throw StoreError.httpStatus(url: url, status: Int(response.status.code), reason: response.status.reasonPhrase)
        }
        if let total { try checkSpace(total - file.size) }

        progress(PullProgress(phase: .downloading, completed: file.size, total: total))
        do {
            for try await buffer in response.body {
                try file.append(Data(buffer: buffer, byteTransferStrategy: .noCopy))
                progress(PullProgress(phase: .downloading, completed: file.size, total: total))
            }
        } catch let error as StoreError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StoreError.interrupted(url: url, received: file.size, expected: total, reason: Self.describe(error))
        }
        if let total, file.size != total {
            throw StoreError.interrupted(url: url, received: file.size, expected: total, reason: "the connection closed early")
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") { return "connection timed out" }
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("remoteConnectionClosed") { return "the server closed the connection" }
        if text.contains("deadlineExceeded") || text.contains("readTimeout") { return "the server stopped answering" }
        return text
    }
}
