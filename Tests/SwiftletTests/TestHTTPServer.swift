import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A local HTTP server for download tests: serves one body under several paths, each
/// misbehaving in its own way.
///   /model.gguf   the body, with Range support
///   /cut/…        the first response breaks off halfway (its Content-Length promises all)
///   /slow/…       the body in small pieces, slowly (to make concurrent pulls overlap)
///   anything else 404
final class TestHTTPServer: Sendable {
    let body: [UInt8]
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    /// Requests seen, as "path range".
    let requests = Mutex<[String]>([])
    let cutsLeft = Mutex(1)

    init(body: [UInt8]) async throws {
        self.body = body
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let handler = Handler.Shared()
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(shared: handler))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
        handler.server.withLock { $0 = self }
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func shutdown() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        final class Shared: Sendable {
            let server = Mutex<TestHTTPServer?>(nil)
        }

        let shared: Shared
        init(shared: Shared) { self.shared = shared }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case let .head(request) = unwrapInboundIn(data), let server = shared.server.withLock({ $0 }) else { return }
            let range = request.headers.first(name: "Range")
            server.requests.withLock { $0.append("\(request.uri) \(range ?? "-")") }
            guard request.uri.hasSuffix("/model.gguf") else {
                respond(context, status: .notFound, headers: [:], body: Array("not found".utf8), closeAfter: 0)
                return
            }
            var start = 0
            if let range, range.hasPrefix("bytes="), let from = Int(range.dropFirst(6).split(separator: "-").first ?? "") {
                start = min(from, server.body.count)
            }
            let rest = Array(server.body[start...])
            var headers: HTTPHeaders = ["Content-Length": "\(rest.count)"]
            if start > 0 { headers.add(name: "Content-Range", value: "bytes \(start)-\(server.body.count - 1)/\(server.body.count)") }
            let status: HTTPResponseStatus = start > 0 ? .partialContent : .ok
            if request.uri.hasPrefix("/cut/"), server.cutsLeft.withLock({ left in defer { left -= 1 }; return left > 0 }) {
                respond(context, status: status, headers: headers, body: rest, closeAfter: rest.count / 2)
            } else if request.uri.hasPrefix("/slow/") {
                respondSlowly(context, status: status, headers: headers, body: rest)
            } else {
                respond(context, status: status, headers: headers, body: rest, closeAfter: nil)
            }
        }

        /// Sends the response; with `closeAfter`, closes the connection after that many bytes.
        private func respond(_ context: ChannelHandlerContext, status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8], closeAfter: Int?) {
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            let sent = closeAfter.map { min($0, body.count) } ?? body.count
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body[..<sent])))), promise: nil)
            if closeAfter != nil && sent < body.count {
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer())))).whenComplete { _ in context.close(promise: nil) }
            } else {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }

        private func respondSlowly(_ context: ChannelHandlerContext, status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8]) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            let piece = max(1, body.count / 20)
            func send(from offset: Int) {
                guard offset < body.count else {
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                    return
                }
                let end = min(offset + piece, body.count)
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body[offset..<end])))), promise: nil)
                context.eventLoop.scheduleTask(in: .milliseconds(10)) { send(from: end) }
            }
            send(from: 0)
        }
    }
}
