import Cotangent
import CotangentTestSupport
import Testing

/// The op table: one row per public op (and per distinct way of calling it).
///
/// A row is a key, written as the Swift expression it evaluates, and that
/// expression as a closure over the inputs (`x`; `a`, `b`; `c` for a condition;
/// `i` for an index; `mask`). `Tests/Goldens/op_goldens.py` holds the same
/// computation in PyTorch under the same key, with the inputs of each case
/// (main, float32, 0-d, empty, broadcast, integer, special values...), and
/// generates `OpGoldens.swift`. `OpTableTests` runs every case under every
/// input layout.
enum OpTable {
    static let rows: [OpRow] = unary + withNumbers + binary + comparisons + reductions + statistics
        + linearAlgebra + movement + joining + indexing + composite

    /// Every golden paired with its row, in generation order.
    static let cases: [OpCase] = {
        let byKey = Dictionary(rows.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        return OpGolden.all.compactMap { golden in byKey[golden.row].map { OpCase(row: $0, golden: golden) } }
    }()

    static let differentiableCases = cases.filter(\.isDifferentiable)
    static let gradCheckCases = cases.filter { $0.isDifferentiable && $0.golden.gradCheck }

    // MARK: Elementwise

    static let unary: [OpRow] = [
        .unary("-x") { -$0 },
        .unary("x.exp()") { $0.exp() },
        .unary("x.log()") { $0.log() },
        .unary("x.log1p()") { $0.log1p() },
        .unary("x.expm1()") { $0.expm1() },
        .unary("x.sqrt()") { $0.sqrt() },
        .unary("x.rsqrt()") { $0.rsqrt() },
        .unary("x.reciprocal()") { $0.reciprocal() },
        .unary("x.abs()") { $0.abs() },
        .unary("x.sign()") { $0.sign() },
        .unary("x.sin()") { $0.sin() },
        .unary("x.cos()") { $0.cos() },
        .unary("x.tan()") { $0.tan() },
        .unary("x.tanh()") { $0.tanh() },
        .unary("x.sigmoid()") { $0.sigmoid() },
        .unary("x.relu()") { $0.relu() },
        .unary("x.floor()") { $0.floor() },
        .unary("x.ceil()") { $0.ceil() },
        .unary("x.round()") { $0.round() },
        .unary("x.trunc()") { $0.trunc() },
        .unary("x.clamped(min: -1, max: 1.5)") { $0.clamped(min: -1, max: 1.5) },
        .unary("x.clamped(min: 0.5)") { $0.clamped(min: 0.5) },
        .unary("x.clamped(max: 0.25)") { $0.clamped(max: 0.25) },
        .unary("x.clamped(min: -2, max: 3)") { $0.clamped(min: -2, max: 3) },
        .unary("x.square()") { $0.square() },
        .unary("x.isNaN()") { $0.isNaN() },
        .unary("x.erf()") { $0.erf() },
        .unary("gelu(x)") { gelu($0) },
        .unary("gelu(x, approximate: .tanh)") { gelu($0, approximate: .tanh) },
        .unary("x.exp2()") { $0.exp2() },
        .unary("x.log2()") { $0.log2() },
        .unary("x.log10()") { $0.log10() },
        .unary("x.asin()") { $0.asin() },
        .unary("x.acos()") { $0.acos() },
        .unary("x.atan()") { $0.atan() },
        .unary("x.sinc()") { $0.sinc() },
        .unary("x.sinh()") { $0.sinh() },
        .unary("x.cosh()") { $0.cosh() },
        .unary("x.asinh()") { $0.asinh() },
        .unary("x.acosh()") { $0.acosh() },
        .unary("x.atanh()") { $0.atanh() },
        .unary("x.erfc()") { $0.erfc() },
        .unary("x.erfinv()") { $0.erfinv() },
        .unary("x.lgamma()") { $0.lgamma() },
        .unary("x.digamma()") { $0.digamma() },
        .unary("x.frac()") { $0.frac() },
        .unary("x.isInf()") { $0.isInf() },
        .unary("x.isFinite()") { $0.isFinite() },
        .unary("x.nanToNum()") { $0.nanToNum() },
        .unary("x.nanToNum(nan: 1, posinf: 2, neginf: -3)") { $0.nanToNum(nan: 1, posinf: 2, neginf: -3) },
        .unary("silu(x)") { silu($0) },
        .unary("mish(x)") { mish($0) },
        .unary("logSigmoid(x)") { logSigmoid($0) },
        .unary("hardsigmoid(x)") { hardsigmoid($0) },
        .unary("hardswish(x)") { hardswish($0) },
        .unary("leakyRelu(x)") { leakyRelu($0) },
        .unary("leakyRelu(x, negativeSlope: 0.2)") { leakyRelu($0, negativeSlope: 0.2) },
        .unary("elu(x)") { elu($0) },
        .unary("elu(x, alpha: 0.5)") { elu($0, alpha: 0.5) },
        .unary("selu(x)") { selu($0) },
        .unary("celu(x)") { celu($0) },
        .unary("celu(x, alpha: 2)") { celu($0, alpha: 2) },
        .unary("softplus(x)") { softplus($0) },
        .unary("softplus(x, beta: 2, threshold: 1)") { softplus($0, beta: 2, threshold: 1) },
        .unary("hardtanh(x)") { hardtanh($0) },
        .unary("hardtanh(x, minVal: -1.5, maxVal: 2.5)") { hardtanh($0, minVal: -1.5, maxVal: 2.5) },
        .unary("relu6(x)") { relu6($0 * 3) },
        .unary("softsign(x)") { softsign($0) },
        .unary("softmin(x, dim: 1)") { softmin($0, dim: 1) },
        .unary("softmin(x, dim: 0)") { softmin($0, dim: 0) },
        .unary("glu(x)") { glu($0) },
        .unary("glu(x, dim: 0)") { glu($0, dim: 0) },
    ]

    static let withNumbers: [OpRow] = [
        .unary("x + 2") { $0 + 2 },
        .unary("2 + x") { 2 + $0 },
        .unary("x + 2.5") { $0 + 2.5 },
        .unary("2.5 + x") { 2.5 + $0 },
        .unary("x - 2") { $0 - 2 },
        .unary("2 - x") { 2 - $0 },
        .unary("x - 2.5") { $0 - 2.5 },
        .unary("2.5 - x") { 2.5 - $0 },
        .unary("x * 3") { $0 * 3 },
        .unary("3 * x") { 3 * $0 },
        .unary("x * 1.5") { $0 * 1.5 },
        .unary("1.5 * x") { 1.5 * $0 },
        .unary("x / 4") { $0 / 4 },
        .unary("4 / x") { 4 / $0 },
        .unary("x / 2.5") { $0 / 2.5 },
        .unary("2.5 / x") { 2.5 / $0 },
        .unary("x.pow(2.0)") { $0.pow(2.0) },
        .unary("x.pow(3.0)") { $0.pow(3.0) },
        .unary("x.pow(0.5)") { $0.pow(0.5) },
        .unary("x.pow(-1.5)") { $0.pow(-1.5) },
        .unary("x.pow(0.0)") { $0.pow(0.0) },
        .unary("Tensor.pow(2, x)") { Tensor.pow(2, $0) },
        .unary("Tensor.maximum(x, 0.5)") { Tensor.maximum($0, 0.5) },
        .unary("Tensor.minimum(x, 0.5)") { Tensor.minimum($0, 0.5) },
    ]

    static let binary: [OpRow] = [
        .binary("a + b") { $0 + $1 },
        .binary("a - b") { $0 - $1 },
        .binary("a * b") { $0 * $1 },
        .binary("a / b") { $0 / $1 },
        .binary("a.pow(b)") { $0.pow($1) },
        .binary("Tensor.maximum(a, b)") { Tensor.maximum($0, $1) },
        .binary("Tensor.minimum(a, b)") { Tensor.minimum($0, $1) },
        .binary("a.atan2(b)") { $0.atan2($1) },
        .binary("a.remainder(b)") { $0.remainder($1) },
        .binary("a.floorDivide(b)") { $0.floorDivide($1) },
        .binary("prelu(x, weight: w)") { prelu($0, weight: $1) },
        .binary("a.xlogy(b)") { $0.xlogy($1) },
        .binary("a.hypot(b)") { $0.hypot($1) },
        .binary("a.fmod(b)") { $0.fmod($1) },
        .binary("a.copysign(b)") { $0.copysign($1) },
        .binary("a.logaddexp(b)") { $0.logaddexp($1) },
        .binary("a.lerp(b, weight: 0.25)") { $0.lerp($1, weight: 0.25) },
        .binary("a.lerp(b, weight: 0.75)") { $0.lerp($1, weight: 0.75) },
        .binary("x.clamped(min: a)") { $0.clamped(min: $1) },
        .binary("x.clamped(max: b)") { $0.clamped(max: $1) },
        .ternary("a.lerp(b, weight: w)") { $0.lerp($1, weight: $2) },
        .ternary("Tensor.addcmul(a, b, c)") { Tensor.addcmul($0, $1, $2) },
        .ternary("Tensor.addcmul(a, b, c, value: 0.5)") { Tensor.addcmul($0, $1, $2, value: 0.5) },
        .ternary("Tensor.addcdiv(a, b, c, value: -2)") { Tensor.addcdiv($0, $1, $2, value: -2) },
        .ternary("x.clamped(min: a, max: b)") { $0.clamped(min: $1, max: $2) },
        .ternary("Tensor.where(c, a, b)") { Tensor.where($0, $1, $2) },
        .binary("Tensor.where(c, a, 0.5)") { Tensor.where($0, $1, 0.5) },
        .binary("Tensor.where(c, 0.5, b)") { Tensor.where($0, 0.5, $1) },
    ]

    static let comparisons: [OpRow] = [
        .binary("a .== b") { $0 .== $1 },
        .binary("a .!= b") { $0 .!= $1 },
        .binary("a .< b") { $0 .< $1 },
        .binary("a .<= b") { $0 .<= $1 },
        .binary("a .> b") { $0 .> $1 },
        .binary("a .>= b") { $0 .>= $1 },
        .unary("x .== 0.5") { $0 .== 0.5 },
        .unary("x .!= 0.5") { $0 .!= 0.5 },
        .unary("x .< 0.5") { $0 .< 0.5 },
        .unary("x .<= 0.5") { $0 .<= 0.5 },
        .unary("x .> 0.5") { $0 .> 0.5 },
        .unary("x .>= 0.5") { $0 .>= 0.5 },
        .binary("a .&& b") { $0 .&& $1 },
        .binary("a .|| b") { $0 .|| $1 },
        .binary("a .^ b") { $0 .^ $1 },
        .unary("!x") { !$0 },
    ]

    // MARK: Reductions

    static let reductions: [OpRow] = [
        .unary("x.sum()") { $0.sum() },
        .unary("x.sum(dim: 0)") { $0.sum(dim: 0) },
        .unary("x.sum(dim: 1)") { $0.sum(dim: 1) },
        .unary("x.sum(dim: -1, keepDim: true)") { $0.sum(dim: -1, keepDim: true) },
        .unary("x.sum(dim: [0, 2])") { $0.sum(dim: [0, 2]) },
        .unary("x.sum(dim: [-1, 0], keepDim: true)") { $0.sum(dim: [-1, 0], keepDim: true) },
        .unary("x.mean()") { $0.mean() },
        .unary("x.mean(dim: 1)") { $0.mean(dim: 1) },
        .unary("x.mean(dim: -2, keepDim: true)") { $0.mean(dim: -2, keepDim: true) },
        .unary("x.mean(dim: [0, 2])") { $0.mean(dim: [0, 2]) },
        .unary("x.prod()") { $0.prod() },
        .unary("x.prod(dim: 1)") { $0.prod(dim: 1) },
        .unary("x.prod(dim: -1, keepDim: true)") { $0.prod(dim: -1, keepDim: true) },
        .unary("x.max()") { $0.max() },
        .unary("x.min()") { $0.min() },
        .outputs("x.max(dim: 1)") { let r = $0[0].max(dim: 1); return [r.values, r.indices] },
        .outputs("x.min(dim: 0)") { let r = $0[0].min(dim: 0); return [r.values, r.indices] },
        .outputs("x.max(dim: -1, keepDim: true)") { let r = $0[0].max(dim: -1, keepDim: true); return [r.values, r.indices] },
        .outputs("x.min(dim: -2, keepDim: true)") { let r = $0[0].min(dim: -2, keepDim: true); return [r.values, r.indices] },
        .unary("x.amax(dim: [1])") { $0.amax(dim: [1]) },
        .unary("x.amin(dim: [0])") { $0.amin(dim: [0]) },
        .unary("x.amax(dim: [0, 1])") { $0.amax(dim: [0, 1]) },
        .unary("x.amin(dim: [-1], keepDim: true)") { $0.amin(dim: [-1], keepDim: true) },
        .unary("x.argmax()") { $0.argmax() },
        .unary("x.argmin()") { $0.argmin() },
        .unary("x.argmax(dim: 1)") { $0.argmax(dim: 1) },
        .unary("x.argmin(dim: 0, keepDim: true)") { $0.argmin(dim: 0, keepDim: true) },
        .unary("x.all()") { $0.all() },
        .unary("x.any()") { $0.any() },
        .unary("x.all(dim: 1)") { $0.all(dim: 1) },
        .unary("x.any(dim: 0, keepDim: true)") { $0.any(dim: 0, keepDim: true) },
        .unary("x.cumsum(dim: 0)") { $0.cumsum(dim: 0) },
        .unary("x.cumsum(dim: -1)") { $0.cumsum(dim: -1) },
    ]

    static let statistics: [OpRow] = [
        .unary("x.norm()") { $0.norm() },
        .unary("x.norm(p: 1)") { $0.norm(p: 1) },
        .unary("x.norm(p: 3)") { $0.norm(p: 3) },
        .unary("x.norm(p: .infinity)") { $0.norm(p: .infinity) },
        .unary("x.norm(dim: [1])") { $0.norm(dim: [1]) },
        .unary("x.norm(p: 1, dim: [0], keepDim: true)") { $0.norm(p: 1, dim: [0], keepDim: true) },
        .unary("x.norm(p: 3, dim: [-1])") { $0.norm(p: 3, dim: [-1]) },
        .unary("x.norm(p: .infinity, dim: [0])") { $0.norm(p: .infinity, dim: [0]) },
        .unary("x.variance()") { $0.variance() },
        .unary("x.variance(correction: 0)") { $0.variance(correction: 0) },
        .unary("x.variance(dim: [1])") { $0.variance(dim: [1]) },
        .unary("x.variance(dim: [0], correction: 0, keepDim: true)") { $0.variance(dim: [0], correction: 0, keepDim: true) },
        .unary("x.variance(dim: [0, 2])") { $0.variance(dim: [0, 2]) },
        .unary("x.std()") { $0.std() },
        .unary("x.std(correction: 0)") { $0.std(correction: 0) },
        .unary("x.std(dim: [1])") { $0.std(dim: [1]) },
        .unary("x.std(dim: [-1], correction: 0, keepDim: true)") { $0.std(dim: [-1], correction: 0, keepDim: true) },
        .unary("x.logsumexp(dim: 1)") { $0.logsumexp(dim: 1) },
        .unary("x.logsumexp(dim: [0, 1])") { $0.logsumexp(dim: [0, 1]) },
        .unary("x.logsumexp(dim: -1, keepDim: true)") { $0.logsumexp(dim: -1, keepDim: true) },
    ]

    // MARK: Linear algebra

    static let linearAlgebra: [OpRow] = [
        .binary("a.dot(b)") { $0.dot($1) },
        .binary("a.mm(b)") { $0.mm($1) },
        .binary("a.mv(b)") { $0.mv($1) },
        .binary("a.outer(b)") { $0.outer($1) },
        .binary("a.bmm(b)") { $0.bmm($1) },
        .binary("a.matmul(b)") { $0.matmul($1) },
        .ternary("Tensor.addmm(c, a, b)") { Tensor.addmm($0, $1, $2) },
        .binary("x.maskedFilled(mask, with: -1.5)") { $0.maskedFilled($1, with: -1.5) },
    ]

    // MARK: Movement

    static let movement: [OpRow] = [
        .unary("x.reshaped(3, 2)") { $0.reshaped(3, 2) },
        .unary("x.reshaped(-1)") { $0.reshaped(-1) },
        .unary("x.reshaped(2, -1, 1)") { $0.reshaped(2, -1, 1) },
        .unary("x.reshaped([])") { $0.reshaped([]) },
        .unary("x.t().reshaped(-1)") { $0.t().reshaped(-1) },
        .unary("x.flattened()") { $0.flattened() },
        .unary("x.flattened(startDim: 1)") { $0.flattened(startDim: 1) },
        .unary("x.flattened(startDim: 0, endDim: -2)") { $0.flattened(startDim: 0, endDim: -2) },
        .unary("x.squeezed()") { $0.squeezed() },
        .unary("x.squeezed(1)") { $0.squeezed(1) },
        .unary("x.squeezed(0)") { $0.squeezed(0) },
        .unary("x.squeezed([0, 2])") { $0.squeezed([0, 2]) },
        .unary("x.unsqueezed(0)") { $0.unsqueezed(0) },
        .unary("x.unsqueezed(-1)") { $0.unsqueezed(-1) },
        .unary("x.unsqueezed(1)") { $0.unsqueezed(1) },
        .unary("x.permuted(2, 0, 1)") { $0.permuted(2, 0, 1) },
        .unary("x.permuted([-1, 0, 1])") { $0.permuted([-1, 0, 1]) },
        .unary("x.transposed(0, 1)") { $0.transposed(0, 1) },
        .unary("x.transposed(-1, 0)") { $0.transposed(-1, 0) },
        .unary("x.t()") { $0.t() },
        .unary("x.expanded(to: [2, 3])") { $0.expanded(to: [2, 3]) },
        .unary("x.expanded(to: [2, -1, 3])") { $0.expanded(to: [2, -1, 3]) },
        .unary("x.contiguous()") { $0.contiguous() },
        .unary("x.cloned()") { $0.cloned() },
        .unary("x.to(.float64)") { $0.to(.float64) },
        .unary("x.to(.float32)") { $0.to(.float32) },
        .unary("x.to(.int64)") { $0.to(.int64) },
        .unary("x.to(.int32)") { $0.to(.int32) },
        .unary("x.to(.bool)") { $0.to(.bool) },
        .unary("x.select(dim: 1, index: -1)") { $0.select(dim: 1, index: -1) },
        .unary("x.select(dim: 0, index: 1)") { $0.select(dim: 0, index: 1) },
        .unary("x.slice(dim: 1, start: 1, end: nil, step: 2)") { $0.slice(dim: 1, start: 1, end: nil, step: 2) },
        .unary("x.slice(dim: 0, start: -2)") { $0.slice(dim: 0, start: -2) },
        .unary("x.slice(dim: 1, start: -4, end: -1)") { $0.slice(dim: 1, start: -4, end: -1) },
        .unary("x.slice(dim: 1, start: 7, end: 10)") { $0.slice(dim: 1, start: 7, end: 10) },
        .unary("x.slice(dim: -1, start: -100, end: 100, step: 3)") { $0.slice(dim: -1, start: -100, end: 100, step: 3) },
        .unary("x.narrowed(dim: 1, start: 1, length: 2)") { $0.narrowed(dim: 1, start: 1, length: 2) },
        .unary("x.narrowed(dim: 0, start: 2, length: 0)") { $0.narrowed(dim: 0, start: 2, length: 0) },
    ]

    static let joining: [OpRow] = [
        .binary("Tensor.cat([a, b])") { Tensor.cat([$0, $1]) },
        .binary("Tensor.cat([a, b], dim: -1)") { Tensor.cat([$0, $1], dim: -1) },
        .ternary("Tensor.cat([a, b, c], dim: 1)") { Tensor.cat([$0, $1, $2], dim: 1) },
        .binary("Tensor.stack([a, b])") { Tensor.stack([$0, $1]) },
        .binary("Tensor.stack([a, b], dim: -1)") { Tensor.stack([$0, $1], dim: -1) },
        .binary("Tensor.stack([a, b], dim: 1)") { Tensor.stack([$0, $1], dim: 1) },
        .outputs("x.split(size: 2)") { $0[0].split(size: 2) },
        .outputs("x.split(size: 2, dim: 1)") { $0[0].split(size: 2, dim: 1) },
        .outputs("x.split(sizes: [1, 3], dim: 1)") { $0[0].split(sizes: [1, 3], dim: 1) },
        .outputs("x.split(sizes: [0, 2, 1])") { $0[0].split(sizes: [0, 2, 1]) },
        .outputs("x.chunked(3)") { $0[0].chunked(3) },
        .outputs("x.chunked(2, dim: 1)") { $0[0].chunked(2, dim: 1) },
        .outputs("x.chunked(4)") { $0[0].chunked(4) },
    ]

    // MARK: Indexing

    static let indexing: [OpRow] = [
        .unary("x[0]") { $0[0] },
        .unary("x[-1]") { $0[-1] },
        .unary("x[1, 2]") { $0[1, 2] },
        .unary("x[1, -1, 0]") { $0[1, -1, 0] },
        .unary("x[2..<7]") { $0[2..<7] },
        .unary("x[1...]") { $0[1...] },
        .unary("x[..<2]") { $0[..<2] },
        .unary("x[1...2]") { $0[1...2] },
        .unary("x[...]") { $0[...] },
        .unary("x[..., 0]") { $0[..., 0] },
        .unary("x[0, ..., 1]") { $0[0, ..., 1] },
        .unary("x[TensorIndex.ellipsis, 0]") { $0[TensorIndex.ellipsis, 0] },
        .unary("x[0, TensorIndex.ellipsis]") { $0[0, TensorIndex.ellipsis] },
        .unary("x[TensorIndex.newAxis]") { $0[TensorIndex.newAxis] },
        .unary("x[TensorIndex.all, TensorIndex.newAxis, 1]") { $0[TensorIndex.all, TensorIndex.newAxis, 1] },
        .unary("x[stride(from: 0, to: 6, by: 2)]") { $0[stride(from: 0, to: 6, by: 2)] },
        .unary("x[TensorIndex.slice(start: -3, end: nil, step: 2)]") { $0[TensorIndex.slice(start: -3, end: nil, step: 2)] },
        .binary("x[i]") { $0[$1] },
        .binary("x[..., i]") { $0[..., $1] },
        .binary("x[mask]") { $0[$1] },
        .binary("x.indexSelect(dim: 1, i)") { $0.indexSelect(dim: 1, $1) },
        .binary("x.indexSelect(dim: 0, i)") { $0.indexSelect(dim: 0, $1) },
    ]

    // MARK: Composite ops and losses

    static let composite: [OpRow] = [
        .unary("x.softmax(dim: 1)") { $0.softmax(dim: 1) },
        .unary("x.softmax(dim: 0)") { $0.softmax(dim: 0) },
        .unary("x.logSoftmax(dim: -1)") { $0.logSoftmax(dim: -1) },
        .unary("x.logSoftmax(dim: 0)") { $0.logSoftmax(dim: 0) },
        .binary("mseLoss(a, b)") { mseLoss($0, $1) },
        .binary("mseLoss(a, b, reduction: .sum)") { mseLoss($0, $1, reduction: .sum) },
        .binary("mseLoss(a, b, reduction: .none)") { mseLoss($0, $1, reduction: .none) },
        .binary("MSELoss()(a, b)") { MSELoss()($0, $1) },
    ]
}
