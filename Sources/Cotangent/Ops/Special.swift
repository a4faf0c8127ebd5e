#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Special functions without a C kernel: the error function and GELU. Their
// element loops run in Swift over contiguous buffers; the backward rules are
// tensor ops beside them, so they can be differentiated again.

extension Tensor {
    /// Applies `f32` or `f64` to every element, promoting integers to the default float dtype.
    func mapFloatingElements(_ f32: (Float) -> Float, _ f64: (Double) -> Double) -> Tensor {
        let type = dtype.isFloatingPoint ? dtype : DType.defaultFloat
        let source = ensuring(type)
        let out = Tensor(uninitializedShape: shape, dtype: type)
        switch type {
        case .float32:
            let o = out.baseAddress.assumingMemoryBound(to: Float.self)
            source.withElements(Float.self) { x in for i in x.indices { o[i] = f32(x[i]) } }
        default:
            let o = out.baseAddress.assumingMemoryBound(to: Double.self)
            source.withElements(Double.self) { x in for i in x.indices { o[i] = f64(x[i]) } }
        }
        return out
    }

    /// The Gauss error function of each element (`torch.erf`).
    ///
    /// `erf(x) = 2/√π ∫₀ˣ e^(-t²) dt`; its derivative is `2/√π · e^(-x²)`.
    public func erf() -> Tensor {
        let result = mapFloatingElements({ Glibc.erff($0) }, { Glibc.erf($0) })
        return Tensor.record("ErfBackward0", inputs: [self], result: result, saving: [self]) { grad, saved in
            let x = saved[0]
            return [grad * ((-(x * x)).exp() * (2.0 / Double.pi.squareRoot()))]
        }
    }
}

/// How ``gelu(_:approximate:)`` evaluates the Gaussian CDF.
public enum GELUApproximation: String, Sendable, Hashable {
    /// The exact form, `x · Φ(x)` with the error function.
    case none
    /// The tanh approximation, `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
    case tanh
}

/// The Gaussian error linear unit, `x · Φ(x)` (`torch.nn.functional.gelu`).
///
/// - Parameters:
///   - input: Any floating-point tensor.
///   - approximate: `.none` (exact, the default) or `.tanh`.
/// - Returns: A tensor of the input's shape, recorded as `GeluBackward0`.
public func gelu(_ input: Tensor, approximate: GELUApproximation = .none) -> Tensor {
    check(input.dtype.isFloatingPoint, "gelu", "\"GeluKernelImpl\" not implemented for '\(input.dtype)'")
    // Constants as PyTorch's CPU kernel spells them.
    let sqrtHalf = 0.5.squareRoot()                              // M_SQRT1_2
    let beta = 2.0.squareRoot() * (2 / Double.pi.squareRoot()) * 0.5   // √(2/π)
    let kappa = 0.044715
    let result: Tensor
    switch approximate {
    case .none:
        result = input.mapFloatingElements(
            { x in x * 0.5 * (1 + erff(x * Float(sqrtHalf))) },
            { x in x * 0.5 * (1 + erf(x * sqrtHalf)) })
    case .tanh:
        result = input.mapFloatingElements(
            { x in 0.5 * x * (1 + tanhf(Float(beta) * (x + Float(kappa) * x * x * x))) },
            { x in 0.5 * x * (1 + tanh(beta * (x + kappa * x * x * x))) })
    }
    return Tensor.record("GeluBackward0", inputs: [input], result: result, saving: [input]) { grad, saved in
        let x = saved[0]
        switch approximate {
        case .none:
            // d/dx x·Φ(x) = Φ(x) + x·φ(x)
            let cdf = 0.5 * (1.0 + (x * sqrtHalf).erf())
            let pdf = (-0.5 * x * x).exp() * (1 / (2 * Double.pi).squareRoot())
            return [grad * (cdf + x * pdf)]
        case .tanh:
            let inner = beta * (x + kappa * x * x * x)
            let t = inner.tanh()
            let left = 0.5 * (1.0 + t)
            let right = 0.5 * x * (1.0 - t * t) * beta * (1.0 + 3 * kappa * x * x)
            return [grad * (left + right)]
        }
    }
}
