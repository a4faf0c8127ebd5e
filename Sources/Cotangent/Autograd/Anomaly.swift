import Runtime
import Synchronization

// Anomaly mode (PyTorch's `torch.autograd.detect_anomaly`). While it is on,
// every recorded node keeps the call stack of the forward call that created
// it, every backward node's results are checked for NaN, and an error stopping
// a backward pass names the node and the Swift file and line of that forward
// call.
//
// Why a captured call stack rather than `#fileID`/`#line` default arguments on
// every public op: those would change the signature of a few hundred public
// functions (and every future one), cost two arguments on every call even when
// anomaly mode is off, and still name the op's caller only one level up (a
// `Linear` layer's line rather than the model's). `Backtrace.capture()` from
// the toolchain's `Runtime` module costs nothing until anomaly mode is on (the
// recorder reads one atomic flag), and symbolication to file and line happens
// only when an error is reported. It needs debug information (any debug build,
// or `-g` in release); without it, the report names the functions instead.

/// The switch for anomaly mode; see ``detectAnomaly(checkNaN:_:)``.
///
/// The switch is global, as PyTorch's `set_detect_anomaly` is: it affects
/// every task and thread.
public enum AnomalyMode {
    /// Bit 0: enabled; bit 1: NaN checks.
    private static let state = Atomic<Int>(0)

    /// Whether anomaly mode is on (PyTorch's `torch.is_anomaly_enabled()`).
    ///
    /// Setting it to `true` also turns on NaN checks; set ``checksNaN`` after
    /// it to turn them off.
    public static var isEnabled: Bool {
        get { state.load(ordering: .relaxed) & 1 != 0 }
        set { state.store(newValue ? 3 : 0, ordering: .relaxed) }
    }

    /// Whether, in anomaly mode, backward checks every node's results for NaN
    /// (PyTorch's `torch.is_anomaly_check_nan_enabled()`).
    public static var checksNaN: Bool {
        get { state.load(ordering: .relaxed) & 2 != 0 }
        set {
            let enabled = state.load(ordering: .relaxed) & 1
            state.store(enabled | (newValue ? 2 : 0), ordering: .relaxed)
        }
    }

    fileprivate static var raw: Int {
        get { state.load(ordering: .relaxed) }
        set { state.store(newValue, ordering: .relaxed) }
    }
}

/// Runs `body` in anomaly mode (PyTorch's `with torch.autograd.detect_anomaly():`).
///
/// Inside, forward operations remember where they were called from, and a
/// backward pass stops with PyTorch's message when a node returns NaN
/// (`Function 'MulBackward0' returned nan values in its 0th output.`). When an
/// error stops a backward pass, the message names the node and the Swift file
/// and line of the forward call that created it. Anomaly mode slows every
/// operation; use it to debug.
///
/// - Parameters:
///   - checkNaN: Whether backward checks each node's results for NaN (default `true`).
///   - body: The code to run, usually both the forward and the backward pass.
/// - Returns: What `body` returns.
public func detectAnomaly<R>(checkNaN: Bool = true, _ body: () throws -> R) rethrows -> R {
    let previous = AnomalyMode.raw
    AnomalyMode.raw = checkNaN ? 3 : 1
    defer { AnomalyMode.raw = previous }
    return try body()
}

/// The call stack of a forward call, captured in anomaly mode and turned into
/// file and line only when reported.
final class ForwardTrace {
    private let backtrace: Backtrace

    private init(_ backtrace: Backtrace) { self.backtrace = backtrace }

    static func capture() -> ForwardTrace? {
        (try? Backtrace.capture(limit: 48)).map(ForwardTrace.init)
    }

    /// The source folder of this module (`…/Sources/Cotangent/`): frames in it
    /// are Cotangent's own, above the user's forward call.
    private static let libraryFolder: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(2)  // Autograd/Anomaly.swift
        return parts.joined(separator: "/") + "/"
    }()

    /// The frames outside Cotangent that have a source line, innermost first: `path:line in function`.
    func frames(limit: Int = 5) -> [String] {
        guard let symbolicated = backtrace.symbolicated() else { return [] }
        var lines: [String] = []
        for frame in symbolicated.frames {
            let symbol = frame.symbol
            let location = symbol?.sourceLocation
            let name = symbol?.name ?? "?"
            let inLibrary = location.map { $0.path.hasPrefix(Self.libraryFolder) }
                ?? (name.hasPrefix("Cotangent.") || name.contains("Backtrace") || name == "?")
            if inLibrary { continue }
            guard let location, location.line > 0 else { continue }
            lines.append("  \(location.path):\(location.line) in \(name)")
            if lines.count == limit { break }
        }
        if lines.isEmpty {
            // No debug information: name the functions instead.
            lines = symbolicated.frames.compactMap { $0.symbol?.name }
                .filter { !$0.hasPrefix("Cotangent.") && !$0.contains("Backtrace") }
                .prefix(limit).map { "  in \($0)" }
        }
        return lines
    }
}

/// The node whose rule is running, while anomaly mode is on, so an error can
/// say where it came from.
struct BackwardContext: @unchecked Sendable {
    // Unchecked: set and read only on the thread running the backward pass.
    let node: Node

    @TaskLocal static var current: BackwardContext?
}

/// The report appended to an error stopping a backward pass in anomaly mode:
/// PyTorch's "Error detected in …" warning, with Swift source lines instead of
/// a Python traceback. Empty outside a backward pass in anomaly mode.
func anomalyReport() -> String {
    guard let node = BackwardContext.current?.node else { return "" }
    var text = "\n\nError detected in \(node.name). "
    if let frames = node.extras?.forwardTrace?.frames(), !frames.isEmpty {
        text += "Traceback of forward call that caused the error (innermost first):\n" + frames.joined(separator: "\n")
    } else {
        text += "No forward call was recorded for it (was anomaly mode on during the forward pass?)."
    }
    return text
}

/// The end of PyTorch's in-place error: how to find the culprit.
func inPlaceErrorHint() -> String {
    if BackwardContext.current != nil {
        return "Hint: the backtrace further below shows the operation that failed to compute its gradient. The variable in question was changed in there or anywhere later. Good luck!"
    }
    return "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with detectAnomaly(checkNaN: false) { } or AnomalyMode.isEnabled = true."
}
