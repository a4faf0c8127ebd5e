// Gradient clipping (PyTorch's `torch.nn.utils.clip_grad_norm_` and
// `clip_grad_value_`), as D2L's recurrent chapters train with it.

/// Scales the gradients of `parameters` in place so that their total norm is
/// at most `maxNorm` (PyTorch's `torch.nn.utils.clip_grad_norm_`).
///
/// The total norm is the `normType`-norm of the per-parameter gradient norms
/// (so the norm of all gradients together); each gradient is multiplied by
/// `min(1, maxNorm / (total + 1e-6))`, as PyTorch computes it. Parameters
/// without a gradient are skipped.
///
/// ```swift
/// loss.backward()
/// clipGradNorm(model.parameters(), maxNorm: 1)
/// optimizer.step()
/// ```
///
/// - Parameters:
///   - parameters: The tensors whose `grad` to clip.
///   - maxNorm: The largest total norm allowed.
///   - normType: The order of the norm: 2 (the default), 1, any positive number, or `.infinity`.
///   - errorIfNonfinite: Stops when the total norm is NaN or infinite (default `false`).
/// - Returns: The total norm of the gradients before clipping, a 0-d tensor
///   (0 when no parameter has a gradient).
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double, normType: Double = 2,
                         errorIfNonfinite: Bool = false) -> Tensor {
    let grads = parameters.compactMap(\.grad)
    guard let first = grads.first else { return Tensor(0.0) }
    return withNoGrad {
        let norms = grads.map { $0.norm(p: normType).to(first.dtype) }
        let total = Tensor.stack(norms).norm(p: normType)
        let value = total.item()
        check(!errorIfNonfinite || value.isFinite, "clip_grad_norm_",
              "The total norm of order \(normType) for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
        let coefficient = (maxNorm / (total + 1e-6)).clamped(max: 1)
        for g in grads { g *= coefficient.to(g.dtype) }
        return total
    }
}

/// Clamps every gradient of `parameters` in place to `[-clipValue, clipValue]`
/// (PyTorch's `torch.nn.utils.clip_grad_value_`).
///
/// - Parameters:
///   - parameters: The tensors whose `grad` to clamp; those without one are skipped.
///   - clipValue: The largest magnitude allowed.
public func clipGradValue(_ parameters: [Tensor], clipValue: Double) {
    withNoGrad {
        for g in parameters.compactMap(\.grad) { g.copy(from: g.clamped(min: -clipValue, max: clipValue)) }
    }
}
