import Foundation
import Testing

@testable import Cotangent

// The narrow dtypes (uint8, int8, int16, float16, bfloat16) against PyTorch
// (goldens from Tests/Goldens/dtype_goldens.py): values compare exactly, since
// each 16-bit float op is computed in float and rounded once, as PyTorch's CPU
// kernels do.

private let a: [Float] = [0.1, -1.7, 3.14159, 100.5, -0.0, 1e-3, 65504.0, 2.5]
private let b: [Float] = [0.3, 2.0, -0.7, 7.25, 1.5, 1e-4, 2.0, -3.5]
private let ai: [Int64] = [100, -100, 127, -128, 5, 0, 77, -3]
private let bi: [Int64] = [3, 7, -2, 5, -4, 9, 2, 6]

private func values(_ t: Tensor) -> [Double] { t.to(.float64).contiguous().scalars(as: Double.self) }

/// Exact equality that treats NaN as equal to NaN and tells -0 from 0.
private func same(_ x: [Double], _ y: [Double]) -> Bool {
    x.count == y.count && zip(x, y).allSatisfy { $0.isNaN ? $1.isNaN : ($0 == $1 && $0.sign == $1.sign) }
}

@Suite("Narrow dtypes") struct DTypeTests {
    @Test("promoted(_:_:) is torch.promote_types for every pair")
    func promotionTable() {
        #expect(DType.allCases.count == 10)
        for (x, y, expected) in DTypeGoldens.promotion {
            #expect(DType.promoted(x, y) == expected, "promote_types(\(x), \(y))")
        }
    }

    @Test("Mixed expressions take PyTorch's result types")
    func resultTypes() {
        let i8 = Tensor(shape: [8], scalars: ai).to(.int8), h = Tensor(shape: [8], scalars: a).to(.float16)
        let cases: [String: Tensor] = [
            "int8 * 2.5": i8 * 2.5,
            "uint8 + 300": Tensor(shape: [2], scalars: [Int64(1), 2]).to(.uint8) + 300,
            "float16 + float32 0-d": h + Tensor(2.0),
            "int8 + float16": i8 + h,
            "bool + int8": Tensor(shape: [8], scalars: [Bool](repeating: true, count: 8)) + i8,
            "uint8 + int8": Tensor.ones([8], dtype: .uint8) + i8,
            "bfloat16 + float16": Tensor(shape: [8], scalars: a).to(.bfloat16) + h,
            "int16 / int16": Tensor(shape: [8], scalars: ai).to(.int16) / Tensor(shape: [8], scalars: bi).to(.int16),
        ]
        for (name, t) in cases { #expect(t.dtype == DTypeGoldens.resultTypes[name], "\(name)") }
    }

    @Test("Printing matches PyTorch's repr")
    func printing() {
        let cases: [String: Tensor] = [
            "float16": Tensor(shape: [8], scalars: a).to(.float16),
            "bfloat16": Tensor(shape: [8], scalars: a).to(.bfloat16),
            "float16 small": Tensor([1e-5, 1.0]).to(.float16),
            "float16 overflow": Tensor([1e5, -2.0]).to(.float16),
            "bfloat16 2x3": Tensor([[1.5, 2.25, -3.0], [1e10, 0.5, 7.0]]).to(.bfloat16),
            "int8": Tensor(shape: [8], scalars: ai).to(.int8),
            "uint8": Tensor(shape: [8], scalars: ai).to(.uint8),
            "int16": Tensor(shape: [8], scalars: ai).to(.int16) * 300,
            "float16 0-d": Tensor(3.25).to(.float16),
            "float16 requires grad": { let t = Tensor([1.0, 2.0]).to(.float16); t.requiresGrad = true; return t }(),
        ]
        for (name, t) in cases { #expect(t.description == DTypeGoldens.reprs[name], "\(name)") }
    }

    @Test("Conversions from float32 round, wrap and saturate as PyTorch's")
    func conversions() {
        let source: [Float] = [300.7, -1.5, 2.5, -129.5, 0.1, 65519, 65520, 1e-8, .infinity, .nan]
        for (dtype, expected) in DTypeGoldens.castsFromFloat32 {
            let n = dtype.isFloatingPoint ? source.count : 8
            let t = Tensor(shape: [n], scalars: Array(source.prefix(n))).to(dtype)
            #expect(t.dtype == dtype)
            #expect(same(values(t), expected), "to(\(dtype)): \(values(t))")
        }
    }

    private func floatOps(_ dtype: DType) -> [String: Tensor] {
        let x = Tensor(shape: [8], scalars: a).to(dtype), y = Tensor(shape: [8], scalars: b).to(dtype)
        let m1 = x.reshaped([2, 4]), m2 = y.reshaped([4, 2])
        let sorted = y.sorted(dim: 0)
        var ops: [String: Tensor] = [:]
        ops["add"] = x + y; ops["sub"] = x - y; ops["mul"] = x * y; ops["div"] = x / y; ops["neg"] = -x
        ops["exp"] = (x / 100).exp(); ops["log"] = (x.abs() + 1).log(); ops["sin"] = x.sin(); ops["tanh"] = x.tanh()
        ops["sqrt"] = x.abs().sqrt(); ops["sigmoid"] = x.sigmoid(); ops["square"] = y * y; ops["pow3"] = y.pow(3)
        ops["maximum"] = Tensor.maximum(x, y); ops["clamp"] = x.clamped(min: -1, max: 3); ops["lt"] = x .< y
        ops["scalarMul"] = x * 1.5; ops["scalarAdd"] = x + 0.3; ops["sum"] = x.sum(); ops["mean"] = y.mean()
        ops["max"] = y.max(); ops["argmax"] = x.argmax(); ops["cumsum"] = y.cumsum(dim: 0)
        ops["sort"] = sorted.values; ops["argsort"] = sorted.indices; ops["matmul"] = m1.matmul(m2)
        ops["softmax"] = y.softmax(dim: 0); ops["where"] = Tensor.where(x .> y, x, y)
        return ops
    }

    @Test("float16 arithmetic, reductions, sorting and matmul give PyTorch's values", arguments: [DType.float16, .bfloat16])
    func halfOps(dtype: DType) {
        let goldens = dtype == .float16 ? DTypeGoldens.float16Ops : DTypeGoldens.bfloat16Ops
        let ops = floatOps(dtype)
        #expect(Set(ops.keys) == Set(goldens.keys))
        for (name, t) in ops {
            guard let golden = goldens[name] else { continue }
            #expect(t.dtype == golden.dtype, "\(dtype) \(name) dtype")
            #expect(same(values(t), golden.values), "\(dtype) \(name): \(values(t)) vs \(golden.values)")
        }
    }

    @Test("Narrow integers wrap as PyTorch's do", arguments: [DType.uint8, .int8, .int16])
    func integerOps(dtype: DType) {
        let goldens = [DType.uint8: DTypeGoldens.uint8Ops, .int8: DTypeGoldens.int8Ops, .int16: DTypeGoldens.int16Ops][dtype]!
        let x = Tensor(shape: [8], scalars: ai).to(dtype), y = Tensor(shape: [8], scalars: bi).to(dtype)
        var ops: [String: Tensor] = [:]
        ops["add"] = x + y; ops["sub"] = x - y; ops["mul"] = x * y; ops["neg"] = -x; ops["abs"] = x.abs()
        ops["floorDivide"] = x.floorDivide(y); ops["remainder"] = x.remainder(y); ops["sum"] = x.sum()
        ops["max"] = x.max(); ops["cumsum"] = x.cumsum(dim: 0); ops["sort"] = x.sorted(dim: 0).values
        ops["scalarAdd"] = x + 200; ops["div"] = x / y; ops["eq"] = x .== y
        #expect(Set(ops.keys) == Set(goldens.keys))
        for (name, t) in ops {
            guard let golden = goldens[name] else { continue }
            #expect(t.dtype == golden.dtype, "\(dtype) \(name) dtype")
            #expect(same(values(t), golden.values), "\(dtype) \(name): \(values(t)) vs \(golden.values)")
        }
    }

    @Test("Seeded rand and randn in float16 and bfloat16 are PyTorch's numbers")
    func random() {
        for dtype in [DType.float16, .bfloat16] {
            for n in [5, 20] {
                Tensor.manualSeed(0)
                let t = Tensor.rand([n], dtype: dtype)
                #expect(t.dtype == dtype)
                #expect(same(values(t), DTypeGoldens.random["rand \(dtype) \(n)"]!), "rand \(dtype) \(n)")
            }
            for n in [5, 16, 20, 33] {
                Tensor.manualSeed(0)
                let t = Tensor.randn([n], dtype: dtype)
                #expect(same(values(t), DTypeGoldens.random["randn \(dtype) \(n)"]!), "randn \(dtype) \(n): \(values(t))")
            }
        }
    }

    @Test("Gradients flow in float16 and stay float16")
    func autograd() {
        let x = Tensor(shape: [6], scalars: Array(a.prefix(6))).to(.float16)
        x.requiresGrad = true
        let y = (x * x + x.sin()).sum()
        #expect(y.dtype == .float16)
        #expect(y.item() == DTypeGoldens.float16Loss)
        y.backward()
        #expect(x.grad?.dtype == DTypeGoldens.float16GradDType)
        #expect(same(x.grad.map(values) ?? [], DTypeGoldens.float16Grad))
    }

    @Test("safetensors files with the narrow dtypes are PyTorch's bytes, and read back")
    func safetensors() throws {
        let tensors: [String: Tensor] = [
            "h": Tensor(shape: [8], scalars: a).to(.float16), "b": Tensor(shape: [8], scalars: a).to(.bfloat16),
            "c": Tensor(shape: [8], scalars: ai).to(.int8), "u": Tensor(shape: [8], scalars: ai).to(.uint8),
            "s": Tensor(shape: [8], scalars: ai).to(.int16), "f": Tensor(shape: [8], scalars: b),
        ]
        let hex = Safetensors.encode(tensors).map { String(format: "%02x", $0) }.joined()
        #expect(hex == DTypeGoldens.safetensorsHex)
        let decoded = try Safetensors.decode(Safetensors.encode(tensors)).tensors
        for (name, t) in tensors {
            #expect(decoded[name]?.dtype == t.dtype, "\(name)")
            #expect(same(decoded[name].map(values) ?? [], values(t)), "\(name)")
        }
    }
}
