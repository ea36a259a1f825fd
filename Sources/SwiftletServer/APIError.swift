import Hummingbird

/// An error in the shape OpenAI's API (and so every client library) expects:
/// `{"error": {"message", "type", "param", "code"}}` with a 4xx or 5xx status.
struct APIError: Error {
    var status: HTTPResponse.Status
    var message: String
    var type = "invalid_request_error"
    var param: String?
    var code: String?

    static func invalid(_ param: String, _ message: String) -> APIError {
        APIError(status: .badRequest, message: message, param: param)
    }

    var body: ErrorResponse { ErrorResponse(error: .init(message: message, type: type, param: param, code: code)) }

    var response: Response {
        // Encoding strings and optionals cannot fail; the fallback only satisfies the compiler.
        (try? jsonResponse(body, status: status)) ?? Response(status: status)
    }
}

/// Turns any error a route throws into an OpenAI-shaped JSON error.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as any HTTPResponseError {
            let message = error.status == .contentTooLarge ? "the request body is too large" : "\(error.status)"
            return APIError(status: error.status, message: message).response
        } catch {
            return APIError(status: .internalServerError, message: "\(error)", type: "server_error").response
        }
    }
}
