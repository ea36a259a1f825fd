#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SwiftletCore

extension PlatformMath {
    /// The C library's sinf, cosf and powf: what llama.cpp uses on this machine.
    public static let native = PlatformMath(sinCos: { (sinf($0), cosf($0)) }, pow: { powf($0, $1) })
}

extension Session {
    /// The system's monotonic clock in seconds, for `clock`: drafting then weighs what a
    /// verification pass costs on this machine.
    public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}

/// A model file opened for inference: the mapping, the parsed model and its tokenizer.
public final class LoadedModel: @unchecked Sendable {
    public let file: ModelFile
    public let transformer: Transformer
    public let tokenizer: Tokenizer
    /// The model's chat template (or a built-in one for its architecture), if it has one.
    public let chatFormatter: ChatFormatter?

    public init(path: String) throws(ModelLoadError) {
        do { file = try ModelFile(path: path) } catch { throw .file(error) }
        do { transformer = try Transformer(file.gguf, math: .native) } catch { throw .model(error) }
        do { tokenizer = try Tokenizer(file.gguf) } catch { throw .model(.tokenizer(error)) }
        chatFormatter = try? ChatFormatter(file.gguf, tokenizer: tokenizer)
    }
}

public enum ModelLoadError: Error, Equatable, CustomStringConvertible {
    case file(ModelFileError)
    case model(ModelError)

    public var description: String {
        switch self {
        case let .file(error): error.description
        case let .model(error): error.description
        }
    }
}
