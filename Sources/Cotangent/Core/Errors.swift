/// Stops the program for a programmer error, with a PyTorch-style message that
/// names the operation (`"mul: The size of tensor a (3) must match ..."`).
///
/// Programmer errors (mismatched shapes, bad dims, backward twice) are not
/// recoverable, as in PyTorch where they raise `RuntimeError` from deep inside an
/// expression; bad files and user data throw Swift errors instead.
@usableFromInline
func fail(_ op: String, _ message: String) -> Never {
    // anomalyReport() is empty except while a backward pass runs in anomaly mode.
    fatalError((op.isEmpty ? message : "\(op): \(message)") + anomalyReport(), file: "Cotangent", line: 0)
}

/// Checks a programmer-error condition; see ``fail(_:_:)``.
@inline(__always)
func check(_ condition: @autoclosure () -> Bool, _ op: @autoclosure () -> String, _ message: @autoclosure () -> String) {
    if !condition() { fail(op(), message()) }
}

/// Formats a shape as PyTorch prints sizes in messages: `[2, 3]`.
func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
