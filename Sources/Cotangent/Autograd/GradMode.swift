/// Whether operations are recorded for autograd in the current task.
///
/// The flag is task-local, so a `withNoGrad` scope in one task never affects
/// another, and child tasks inherit it.
public enum GradMode {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording operations for autograd (PyTorch's `torch.no_grad()`).
///
/// Results computed inside do not require grad, and in-place updates of leaves
/// that require grad (optimizer steps) are allowed.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// Runs `body` without recording operations for autograd.
public func withNoGrad<R>(_ body: () async throws -> R) async rethrows -> R {
    try await GradMode.$isEnabled.withValue(false, operation: body)
}

/// Runs `body` recording operations again, inside a `withNoGrad` scope
/// (PyTorch's `torch.enable_grad()`).
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(true, operation: body)
}

/// Runs `body` recording operations again.
public func withGrad<R>(_ body: () async throws -> R) async rethrows -> R {
    try await GradMode.$isEnabled.withValue(true, operation: body)
}
