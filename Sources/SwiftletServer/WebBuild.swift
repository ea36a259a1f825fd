import Foundation

/// The browser build that the playground can run models with: web/ of a checkout, holding
/// the JavaScript (in git) and the WebAssembly engine (built by scripts/build-wasm, not in git).
public enum WebBuild {
    /// The modules swiftlet.js picks between (relaxed SIMD where the browser has it).
    static let engineFiles = ["swiftlet.wasm", "swiftlet-relaxed.wasm"]

    /// web/ of the checkout this binary was built from, found through this file's path: a
    /// `swiftlet` binary copied elsewhere still finds it while the checkout exists.
    static let checkoutDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("web").path

    public struct NotFound: Error, CustomStringConvertible {
        public let directory: String
        public var description: String { "\(directory) is not a web build: it has no swiftlet.js (a Swiftlet checkout's web/ is one)" }
    }

    /// The directory to serve at /web/: `explicit` (which must be a web build), else the
    /// checkout's web/, else ./web, whichever holds swiftlet.js first; nil when none does.
    public static func locate(explicit: String?) throws(NotFound) -> String? {
        if let explicit {
            guard holdsScripts(explicit) else { throw NotFound(directory: explicit) }
            return explicit
        }
        return [checkoutDirectory, "web"].first(where: holdsScripts)
    }

    private static func holdsScripts(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent("swiftlet.js"))
    }

    /// Whether the playground can offer the browser engine from `root`, and if not, why:
    /// one line for the page. Checked on each request, so a build made while the server
    /// runs is picked up.
    static func engineStatus(root: String?) -> BrowserEngineStatus {
        guard let root else {
            return BrowserEngineStatus(reason: "no web build was found: start swiftlet serve with --web-root DIR (a Swiftlet checkout's web/)")
        }
        let missing = engineFiles.filter { !FileManager.default.fileExists(atPath: (root as NSString).appendingPathComponent($0)) }
        return BrowserEngineStatus(reason: missing.isEmpty ? nil : "the browser engine is not built: run scripts/build-wasm")
    }
}

/// `GET /playground/config`: what the playground page may offer.
struct PlaygroundConfig: Encodable {
    let browserEngine: BrowserEngineStatus

    private enum CodingKeys: String, CodingKey { case browserEngine = "browser_engine" }
}

struct BrowserEngineStatus: Encodable {
    let available: Bool
    /// Why the engine cannot run; null when it can.
    @NullWhenAbsent var reason: String?

    init(reason: String?) {
        available = reason == nil
        self.reason = reason
    }
}
