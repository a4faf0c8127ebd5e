import Testing
import Cotangent

/// The activation modules print as PyTorch's and compute their functions.
@Suite("Activation layers")
struct ActivationLayerTests {
    @Test("Printed as PyTorch prints them (torch 2.15)")
    func descriptions() {
        let expected: [(any Module, String)] = [
            (SiLU(), "SiLU()"), (Mish(), "Mish()"), (LogSigmoid(), "LogSigmoid()"), (Hardsigmoid(), "Hardsigmoid()"),
            (Hardswish(), "Hardswish()"), (SELU(), "SELU()"), (ReLU6(), "ReLU6()"), (Softsign(), "Softsign()"),
            (LeakyReLU(), "LeakyReLU(negative_slope=0.01)"), (LeakyReLU(negativeSlope: 0.2), "LeakyReLU(negative_slope=0.2)"),
            (ELU(), "ELU(alpha=1.0)"), (CELU(), "CELU(alpha=1.0)"),
            (Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
            (Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"), (Hardtanh(minVal: -2, maxVal: 3.5), "Hardtanh(min_val=-2.0, max_val=3.5)"),
            (Softmin(dim: 1), "Softmin(dim=1)"), (GLU(), "GLU(dim=-1)"),
            (PReLU(), "PReLU(num_parameters=1)"), (PReLU(numParameters: 3), "PReLU(num_parameters=3)"),
        ]
        for (module, text) in expected { #expect(module.description == text) }
    }

    @Test("Each layer computes its function")
    func forward() {
        let x = Tensor([[-2.5, -0.5, 0.25, 3.5]], dtype: .float64)
        let pairs: [(any Module, Tensor)] = [
            (SiLU(), silu(x)), (Mish(), mish(x)), (LogSigmoid(), logSigmoid(x)), (Hardsigmoid(), hardsigmoid(x)),
            (Hardswish(), hardswish(x)), (SELU(), selu(x)), (ReLU6(), relu6(x)), (Softsign(), softsign(x)),
            (LeakyReLU(negativeSlope: 0.2), leakyRelu(x, negativeSlope: 0.2)), (ELU(alpha: 0.5), elu(x, alpha: 0.5)),
            (CELU(alpha: 2), celu(x, alpha: 2)), (Softplus(beta: 2, threshold: 3), softplus(x, beta: 2, threshold: 3)),
            (Hardtanh(minVal: -1, maxVal: 2), hardtanh(x, minVal: -1, maxVal: 2)), (Softmin(dim: 1), softmin(x, dim: 1)),
            (GLU(), glu(x)), (PReLU(), prelu(x, weight: Tensor([0.25], dtype: .float64))),
        ]
        for (module, expected) in pairs { #expect(module(x).equal(expected), "\(module)") }
    }

    @Test("PReLU's slopes are its one parameter, named as PyTorch's, and learn")
    func preluParameter() {
        let layer = PReLU(numParameters: 2)
        #expect(layer.namedParameters().map(\.name) == ["weight"])
        #expect(layer.weight.scalars(as: Float.self) == [0.25, 0.25])
        let y = layer(Tensor([[-2.0, 3.0], [-4.0, -1.0]]))
        y.sum().backward()
        #expect(layer.weight.grad!.scalars(as: Float.self) == [-6, -1])
    }
}
