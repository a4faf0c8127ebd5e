// Recurrent layers (PyTorch's `nn.RNN`, `nn.LSTM`, `nn.GRU` and their cells),
// composed from existing ops as PyTorch's CPU path composes them: the input
// projection `x W_ihᵀ + b_ih` for every time step is one GEMM per layer and
// direction, then each step adds `h W_hhᵀ + b_hh` and applies the gates
// (LSTM i, f, g, o; GRU r, z, n with the reset gate on `W_hn h + b_hn`).
// Parameters are named and ordered as PyTorch's (`weight_ih_l0`,
// `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then `..._reverse`, layer by
// layer) and drawn in that order, so a seeded layer equals PyTorch's.

import CCotangentKernels

/// The state an ``LSTM`` or ``LSTMCell`` carries between steps: the hidden
/// state `h` and the cell state `c` (PyTorch's `(h, c)` tuple).
public typealias LSTMState = (h: Tensor, c: Tensor)

/// The nonlinearity of an ``RNN`` or ``RNNCell`` (PyTorch's `nonlinearity=`).
public enum RNNNonlinearity: String, Sendable, Hashable {
    case tanh, relu
}

/// What a recurrent layer computes at each step.
enum RecurrentMode: Sendable {
    case rnnTanh, rnnReLU, lstm, gru

    /// The number of stacked gates in `W_ih` and `W_hh`.
    var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnReLU: 1
        case .lstm: 4
        case .gru: 3
        }
    }

    /// The number of state tensors: `h`, or `h` and `c`.
    var stateCount: Int { self == .lstm ? 2 : 1 }

    /// One step from the input's projection `xGates = x W_ihᵀ + b_ih`, in PyTorch's order of operations.
    ///
    /// - Parameters:
    ///   - xGates: `[batch, gates·hidden]`.
    ///   - state: `[h]`, or `[h, c]` for an LSTM, each `[batch, hidden]`.
    /// - Returns: The next state, in the same form.
    func step(_ xGates: Tensor, _ state: [Tensor], weightHH: Tensor, biasHH: Tensor?) -> [Tensor] {
        let h = state[0]
        let hGates = biasHH.map { Tensor.addmm($0, h, weightHH.t()) } ?? h.mm(weightHH.t())
        switch self {
        case .rnnTanh:
            return [(hGates + xGates).tanh()]
        case .rnnReLU:
            return [(hGates + xGates).relu()]
        case .lstm:
            let sum = hGates + xGates
            if let next = lstmPointwise(sum, state[1]) { return next }
            let gates = sum.chunked(4, dim: 1)
            let i = gates[0].sigmoid(), f = gates[1].sigmoid(), g = gates[2].tanh(), o = gates[3].sigmoid()
            let c = f * state[1] + i * g
            return [o * c.tanh(), c]
        case .gru:
            let x = xGates.chunked(3, dim: 1), hg = hGates.chunked(3, dim: 1)
            let r = (hg[0] + x[0]).sigmoid()
            let z = (hg[1] + x[1]).sigmoid()
            let n = (x[2] + hg[2] * r).tanh()
            return [(h - n) * z + n]
        }
    }
}

/// The elementwise part of an LSTM step, `[o·tanh(c'), c']` with `c' = f·c + i·g`, in one C pass
/// (float32/float64; nil for the other dtypes, which run the composed ops).
///
/// The values are the composed ops' (the same kernels, operand by operand). `c'` is recorded
/// as an `AddBackward0` of `(gates, c)` and `h'` as a `MulBackward0` of `(gates, c')`, the names
/// PyTorch's `lstm_cell` leaves on them, each with a fused rule; this skips the four gate views,
/// whose backward would embed each gate's gradient in a zero `[batch, 4·hidden]` tensor and sum them.
private func lstmPointwise(_ gates: Tensor, _ c0: Tensor) -> [Tensor]? {
    let dt = gates.dtype
    guard dt == .float32 || dt == .float64, c0.dtype == dt, gates.rank == 2, c0.rank == 2, gates.isContiguous,
          gates.shape[1] % 4 == 0, c0.shape == [gates.shape[0], gates.shape[1] / 4] else { return nil }
    let (b, h) = (gates.shape[0], gates.shape[1] / 4)
    let act = Tensor(uninitializedShape: [b, 4 * h], dtype: dt)
    let c1 = Tensor(uninitializedShape: [b, h], dtype: dt), tanhC = Tensor(uninitializedShape: [b, h], dtype: dt)
    let h1 = Tensor(uninitializedShape: [b, h], dtype: dt)
    withExtendedLifetime((gates, c0, act, c1, tanhC, h1)) {
        ct_lstm_cell_forward(dt.kernelCode, Int64(b), Int64(h), gates.baseAddress, c0.baseAddress,
                             Int64(c0.strides[0]), Int64(c0.strides[1]), act.baseAddress, c1.baseAddress,
                             tanhC.baseAddress, h1.baseAddress)
    }
    let c = Tensor.record("AddBackward0", inputs: [gates, c0], result: c1, saving: [gates, c0, act]) { grad, saved in
        let (g, cPrev) = (saved[0], saved[1])
        guard !GradMode.isEnabled else {
            // createGraph: the composed ops' rules in recorded ops, so this rule can be differentiated.
            let p = g.chunked(4, dim: 1)
            let i = p[0].sigmoid(), f = p[1].sigmoid(), gg = p[2].tanh()
            let di = grad * gg * i * (1 - i), df = grad * cPrev * f * (1 - f), dg = grad * i * (1 - gg * gg)
            return [Tensor.cat([di, df, dg, Tensor.zeros([b, h], dtype: dt)], dim: 1), grad * f]
        }
        let a = saved[2]
        let dGates = Tensor(uninitializedShape: [b, 4 * h], dtype: dt)
        let dc0: Tensor? = saved.needsGrad(1) ? Tensor(uninitializedShape: [b, h], dtype: dt) : nil
        withExtendedLifetime((grad, a, cPrev, dGates, dc0)) {
            ct_lstm_cell_backward_c(dt.kernelCode, Int64(b), Int64(h), grad.baseAddress, Int64(grad.strides[0]),
                                    Int64(grad.strides[1]), a.baseAddress, cPrev.baseAddress, Int64(cPrev.strides[0]),
                                    Int64(cPrev.strides[1]), dGates.baseAddress, dc0?.baseAddress)
        }
        return [dGates, dc0]
    }
    let hNext = Tensor.record("MulBackward0", inputs: [gates, c], result: h1, saving: [gates, c, act, tanhC]) { grad, saved in
        guard !GradMode.isEnabled else {
            let o = saved[0].chunked(4, dim: 1)[3].sigmoid(), t = saved[1].tanh()
            let dOut = grad * t * o * (1 - o)
            return [Tensor.cat([Tensor.zeros([b, 3 * h], dtype: dt), dOut], dim: 1), grad * o * (1 - t * t)]
        }
        let (a, th) = (saved[2], saved[3])
        let dGates = Tensor(uninitializedShape: [b, 4 * h], dtype: dt)
        let dc1: Tensor? = saved.needsGrad(1) ? Tensor(uninitializedShape: [b, h], dtype: dt) : nil
        withExtendedLifetime((grad, a, th, dGates, dc1)) {
            ct_lstm_cell_backward_h(dt.kernelCode, Int64(b), Int64(h), grad.baseAddress, Int64(grad.strides[0]),
                                    Int64(grad.strides[1]), a.baseAddress, th.baseAddress, dGates.baseAddress,
                                    dc1?.baseAddress)
        }
        return [dGates, dc1]
    }
    return [hNext, c]
}

// MARK: - Cells

/// The parameters and checks shared by ``RNNCell``, ``LSTMCell`` and ``GRUCell``
/// (PyTorch's `nn.RNNCellBase`).
///
/// The weights are `weight_ih` `[gates·hiddenSize, inputSize]` and `weight_hh`
/// `[gates·hiddenSize, hiddenSize]`, with biases `bias_ih` and `bias_hh`
/// `[gates·hiddenSize]`; each is drawn uniform in ±1/√hiddenSize, in that order.
public class RecurrentCell: Module {
    /// The number of features of each input.
    public let inputSize: Int
    /// The number of features of the hidden state.
    public let hiddenSize: Int
    /// `W_ih`: `[gates·hiddenSize, inputSize]`.
    @Parameter(name: "weight_ih") public var weightIH: Tensor
    /// `W_hh`: `[gates·hiddenSize, hiddenSize]`.
    @Parameter(name: "weight_hh") public var weightHH: Tensor
    /// `b_ih`: `[gates·hiddenSize]`, or nil without bias.
    @Parameter(name: "bias_ih") public var biasIH: Tensor?
    /// `b_hh`: `[gates·hiddenSize]`, or nil without bias.
    @Parameter(name: "bias_hh") public var biasHH: Tensor?
    let mode: RecurrentMode

    init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool, mode: RecurrentMode, dtype: DType, generator: Generator) {
        check(inputSize >= 0 && hiddenSize >= 0, String(describing: Self.self),
              "Trying to create tensor with negative dimension: [\(mode.gateCount * hiddenSize), \(inputSize)]")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.mode = mode
        let g = mode.gateCount * hiddenSize
        weightIH = Tensor.empty([g, inputSize], dtype: dtype)
        weightHH = Tensor.empty([g, hiddenSize], dtype: dtype)
        biasIH = bias ? Tensor.empty([g], dtype: dtype) : nil
        biasHH = bias ? Tensor.empty([g], dtype: dtype) : nil
        // RNNCellBase.reset_parameters: every parameter in registration order.
        let bound = hiddenSize > 0 ? 1 / Double(hiddenSize).squareRoot() : 0
        for p in [weightIH, weightHH, biasIH, biasHH].compactMap({ $0 }) {
            Init.uniform(p, from: -bound, to: bound, generator: generator)
        }
    }

    /// Whether the cell adds the biases.
    public var hasBias: Bool { biasIH != nil }

    public var typeName: String { String(describing: type(of: self)) }

    public var extraDescription: String {
        var s = "\(inputSize), \(hiddenSize)"
        if !hasBias { s += ", bias=False" }
        if mode == .rnnReLU { s += ", nonlinearity=relu" }
        return s
    }

    public func forward(_ input: Tensor) -> Tensor { run(input, nil)[0] }

    /// Checks the input and states as PyTorch's cell does, runs one step, and
    /// removes the batch dim again for a 1-D (unbatched) input.
    func run(_ input: Tensor, _ state: [Tensor]?) -> [Tensor] {
        let name = typeName
        check(input.rank == 1 || input.rank == 2, "", "\(name): Expected input to be 1D or 2D, got \(input.rank)D instead")
        let batched = input.rank == 2
        for (k, s) in (state ?? []).enumerated() where s.rank != 1 && s.rank != 2 {
            let label = mode == .lstm ? "hx[\(k)]" : "hidden"
            fail("", "\(name): Expected \(label) to be 1D or 2D, got \(s.rank)D instead")
        }
        let x = batched ? input : input.unsqueezed(0)
        let batch = x.shape[0]
        check(x.shape[1] == inputSize, name, "input has inconsistent input_size: got \(x.shape[1]) expected \(inputSize)")
        let h0 = (state ?? []).map { batched ? $0 : $0.unsqueezed(0) }
        for (k, s) in h0.enumerated() {
            check(s.rank == 2, name, "Expected 2D hidden\(k) (batch x hidden_size), but got \(s.rank)D tensor")
            check(s.shape[0] == batch, name, "Input batch size \(batch) doesn't match hidden\(k) batch size \(s.shape[0])")
            check(s.shape[1] == hiddenSize, name, "hidden\(k) has inconsistent hidden_size: got \(s.shape[1]), expected \(hiddenSize)")
        }
        let initial = state == nil
            ? (0..<mode.stateCount).map { _ in Tensor.zeros([batch, hiddenSize], dtype: x.dtype) } : h0
        let xGates = linear(x, weight: weightIH, bias: biasIH)
        let next = mode.step(xGates, initial, weightHH: weightHH, biasHH: biasHH)
        return batched ? next : next.map { $0.squeezed(0) }
    }
}

/// An Elman RNN cell, `h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)` (or ReLU)
/// (PyTorch's `nn.RNNCell`).
///
/// ```swift
/// let cell = RNNCell(10, 20)
/// var h = Tensor.zeros(3, 20)
/// for x in sequence { h = cell(x, hidden: h) }     // x: [3, 10]
/// ```
public final class RNNCell: RecurrentCell {
    /// The nonlinearity applied to the sum.
    public let nonlinearity: RNNNonlinearity

    /// Creates a cell with PyTorch's initialisation (uniform in ±1/√hiddenSize).
    ///
    /// - Parameters:
    ///   - inputSize: The number of features of each input.
    ///   - hiddenSize: The number of features of the hidden state.
    ///   - bias: Whether to add `b_ih` and `b_hh` (default `true`).
    ///   - nonlinearity: `.tanh` (the default) or `.relu`.
    ///   - dtype: The parameters' dtype.
    ///   - generator: The generator the initial values are drawn from.
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, nonlinearity: RNNNonlinearity = .tanh,
                dtype: DType = .defaultFloat, generator: Generator = .default) {
        self.nonlinearity = nonlinearity
        super.init(inputSize, hiddenSize, bias: bias, mode: nonlinearity == .tanh ? .rnnTanh : .rnnReLU,
                   dtype: dtype, generator: generator)
    }

    /// One step.
    ///
    /// - Parameters:
    ///   - input: `[batch, inputSize]`, or `[inputSize]` unbatched.
    ///   - hidden: `[batch, hiddenSize]` (`[hiddenSize]` unbatched), or nil for zeros.
    /// - Returns: The next hidden state, shaped like `hidden`.
    public func callAsFunction(_ input: Tensor, hidden: Tensor?) -> Tensor { run(input, hidden.map { [$0] })[0] }
}

/// A gated recurrent unit cell (PyTorch's `nn.GRUCell`):
/// `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z = σ(W_iz x + b_iz + W_hz h + b_hz)`,
/// `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h' = (1 − z) ⊙ n + z ⊙ h`.
public final class GRUCell: RecurrentCell {
    /// Creates a cell with PyTorch's initialisation; the gates are stacked r, z, n.
    ///
    /// - Parameters:
    ///   - inputSize: The number of features of each input.
    ///   - hiddenSize: The number of features of the hidden state.
    ///   - bias: Whether to add the biases (default `true`).
    ///   - dtype: The parameters' dtype.
    ///   - generator: The generator the initial values are drawn from.
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, dtype: DType = .defaultFloat,
                generator: Generator = .default) {
        super.init(inputSize, hiddenSize, bias: bias, mode: .gru, dtype: dtype, generator: generator)
    }

    /// One step; see ``RNNCell/callAsFunction(_:hidden:)``.
    public func callAsFunction(_ input: Tensor, hidden: Tensor?) -> Tensor { run(input, hidden.map { [$0] })[0] }
}

/// A long short-term memory cell (PyTorch's `nn.LSTMCell`): gates stacked
/// i, f, g, o; `c' = f ⊙ c + i ⊙ g`, `h' = o ⊙ tanh(c')`.
///
/// ```swift
/// let cell = LSTMCell(10, 20)
/// var state: LSTMState? = nil
/// for x in sequence { state = cell(x, state: state) }
/// ```
public final class LSTMCell: RecurrentCell {
    /// Creates a cell with PyTorch's initialisation (uniform in ±1/√hiddenSize).
    ///
    /// - Parameters:
    ///   - inputSize: The number of features of each input.
    ///   - hiddenSize: The number of features of the hidden and cell states.
    ///   - bias: Whether to add the biases (default `true`).
    ///   - dtype: The parameters' dtype.
    ///   - generator: The generator the initial values are drawn from.
    public init(_ inputSize: Int, _ hiddenSize: Int, bias: Bool = true, dtype: DType = .defaultFloat,
                generator: Generator = .default) {
        super.init(inputSize, hiddenSize, bias: bias, mode: .lstm, dtype: dtype, generator: generator)
    }

    /// One step.
    ///
    /// - Parameters:
    ///   - input: `[batch, inputSize]`, or `[inputSize]` unbatched.
    ///   - state: `(h, c)`, each `[batch, hiddenSize]` (`[hiddenSize]` unbatched), or nil for zeros.
    /// - Returns: The next `(h, c)`.
    public func callAsFunction(_ input: Tensor, state: LSTMState?) -> LSTMState {
        let next = run(input, state.map { [$0.h, $0.c] })
        return (next[0], next[1])
    }
}

// MARK: - Layers

/// The parameters, options and sequence loop shared by ``RNN``, ``LSTM`` and
/// ``GRU`` (PyTorch's `nn.RNNBase`).
///
/// Layer `l` (and direction `_reverse` when bidirectional) has `weight_ih_l{l}`
/// `[gates·hiddenSize, inputSize]` (`numDirections·hiddenSize` columns above
/// the first layer), `weight_hh_l{l}` `[gates·hiddenSize, hiddenSize]` and,
/// with bias, `bias_ih_l{l}` and `bias_hh_l{l}`; ``Module/namedParameters()``
/// lists them in that order, and they are drawn uniform in ±1/√hiddenSize in
/// that order, as PyTorch draws them.
///
/// Call ``RNN/callAsFunction(_:hidden:)`` (or ``LSTM/callAsFunction(_:state:)``)
/// for the output and the final states; calling the layer with the input alone
/// (``Module/forward(_:)``, e.g. inside a ``Sequential``) returns the output only.
///
/// - Complexity: Per layer and direction, one `[T·batch, inputSize] × [inputSize, gates·hidden]`
///   GEMM for the inputs of all `T` steps, then `T` GEMMs `[batch, hidden] × [hidden, gates·hidden]`.
public class RNNBase: Module {
    /// The number of features of each input step.
    public let inputSize: Int
    /// The number of features of the hidden state.
    public let hiddenSize: Int
    /// The number of stacked layers.
    public let numLayers: Int
    /// Whether the layers add biases.
    public let bias: Bool
    /// Whether inputs and outputs are `[batch, time, features]` rather than `[time, batch, features]`.
    public let batchFirst: Bool
    /// The probability of dropout on the outputs of every layer but the last, while training.
    public let dropout: Double
    /// Whether each layer also runs over the reversed sequence.
    public let bidirectional: Bool
    public var isTraining = true
    let mode: RecurrentMode
    private let generator: Generator
    /// The parameters in PyTorch's `_flat_weights` order, each box named as PyTorch names it.
    private let flatWeights: [Parameter<Tensor>]

    init(mode: RecurrentMode, _ inputSize: Int, _ hiddenSize: Int, numLayers: Int, bias: Bool, batchFirst: Bool,
         dropout: Double, bidirectional: Bool, dtype: DType, generator: Generator) {
        let name = mode == .lstm ? "LSTM" : mode == .gru ? "GRU" : "RNN"
        check(dropout >= 0 && dropout <= 1, name,
              "dropout should be a number in range [0, 1] representing the probability of an element being zeroed")
        check(hiddenSize > 0, name, "hidden_size must be greater than zero")
        check(numLayers > 0, name, "num_layers must be greater than zero")
        check(inputSize >= 0, name, "Trying to create tensor with negative dimension: [\(mode.gateCount * hiddenSize), \(inputSize)]")
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.bias = bias
        self.batchFirst = batchFirst
        self.dropout = dropout
        self.bidirectional = bidirectional
        self.generator = generator
        let directions = bidirectional ? 2 : 1
        let g = mode.gateCount * hiddenSize
        var boxes: [Parameter<Tensor>] = []
        for layer in 0..<numLayers {
            let layerInput = layer == 0 ? inputSize : hiddenSize * directions
            for direction in 0..<directions {
                let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
                var shapes = [("weight_ih", [g, layerInput]), ("weight_hh", [g, hiddenSize])]
                if bias { shapes += [("bias_ih", [g]), ("bias_hh", [g])] }
                for (stem, shape) in shapes {
                    let box = Parameter<Tensor>(name: stem + suffix)
                    box.wrappedValue = Tensor.empty(shape, dtype: dtype)
                    boxes.append(box)
                }
            }
        }
        flatWeights = boxes
        // RNNBase.reset_parameters: every parameter, in registration order.
        let bound = 1 / Double(hiddenSize).squareRoot()
        for box in boxes { Init.uniform(box.wrappedValue, from: -bound, to: bound, generator: generator) }
    }

    /// The number of directions: 2 when bidirectional, else 1.
    public var numDirections: Int { bidirectional ? 2 : 1 }

    /// The parameters of each layer and direction, `[W_ih, W_hh, b_ih, b_hh]`
    /// (without the biases when `bias` is false), in the order l0, l0_reverse,
    /// l1, ... (PyTorch's `all_weights`).
    public var allWeights: [[Tensor]] {
        let perDirection = bias ? 4 : 2
        return stride(from: 0, to: flatWeights.count, by: perDirection).map { start in
            flatWeights[start..<start + perDirection].map(\.wrappedValue)
        }
    }

    public var typeName: String { mode == .lstm ? "LSTM" : mode == .gru ? "GRU" : "RNN" }

    public var extraDescription: String {
        var s = "\(inputSize), \(hiddenSize)"
        if numLayers != 1 { s += ", num_layers=\(numLayers)" }
        if !bias { s += ", bias=False" }
        if batchFirst { s += ", batch_first=True" }
        if dropout != 0 { s += ", dropout=\(dropout)" }
        if bidirectional { s += ", bidirectional=True" }
        return s
    }

    /// The output only (the module requirement); see the subclasses' `callAsFunction` for the states too.
    public func forward(_ input: Tensor) -> Tensor { run(input, nil).output }

    /// Runs every layer and direction over the sequence.
    ///
    /// - Parameters:
    ///   - input: `[T, batch, inputSize]` (`[batch, T, inputSize]` with `batchFirst`), or `[T, inputSize]`.
    ///   - state: The initial states (`[h0]` or `[h0, c0]`), each `[numLayers·numDirections, batch, hiddenSize]`
    ///     (or without the batch dim for an unbatched input), or nil for zeros.
    /// - Returns: The last layer's outputs at every step, `[T, batch, numDirections·hiddenSize]`
    ///   (laid out as the input), and the final states, shaped as the initial ones.
    func run(_ input: Tensor, _ state: [Tensor]?) -> (output: Tensor, state: [Tensor]) {
        let name = typeName
        // PyTorch's RNN words it with "tensor", its LSTM and GRU without.
        check(input.rank == 2 || input.rank == 3, "",
              "\(name): Expected input to be 2D or 3D, got \(input.rank)D \(name == "RNN" ? "tensor " : "")instead")
        let batched = input.rank == 3
        if let state {
            let wanted = batched ? 3 : 2
            if state.contains(where: { $0.rank != wanted }) {
                let ranks = state.map { "\($0.rank)-D" }
                let what = batched ? "For batched 3-D input" : "For unbatched 2-D input"
                fail(name, mode == .lstm
                     ? "\(what), hx and cx should also be \(wanted)-D but got (\(ranks.joined(separator: ", "))) tensors"
                     : "\(what), hx should also be \(wanted)-D but got \(ranks[0]) tensor")
            }
        }
        // An unbatched sequence gets a batch of one, as PyTorch's forward does.
        let batchDim = batchFirst ? 0 : 1
        let x = batched ? input : input.unsqueezed(batchDim)
        let timeDim = 1 - batchDim
        check(x.shape[2] == inputSize, name, "input.size(-1) must be equal to input_size. Expected \(inputSize), got \(x.shape[2])")
        let batch = x.shape[batchDim], steps = x.shape[timeDim]
        let stateShape = [numLayers * numDirections, batch, hiddenSize]
        let h0: [Tensor]
        if let state {
            h0 = state.map { batched ? $0 : $0.unsqueezed(1) }
            for (k, s) in h0.enumerated() where s.shape != stateShape {
                let which = mode == .lstm ? "hidden[\(k)]" : "hidden"
                fail(name, "Expected \(which) size (\(stateShape.map(String.init).joined(separator: ", "))), got \(shapeText(s.shape))")
            }
        } else {
            h0 = (0..<mode.stateCount).map { _ in Tensor.zeros(stateShape, dtype: x.dtype) }
        }
        let initial = h0.map { $0.unbind(dim: 0) }
        var layerInput = x
        var finals: [[Tensor]] = Array(repeating: [], count: mode.stateCount)
        let perDirection = bias ? 4 : 2
        for layer in 0..<numLayers {
            if layer > 0 && dropout > 0 && isTraining {
                layerInput = Cotangent.dropout(layerInput, p: dropout, training: true, generator: generator)
            }
            var outputs: [Tensor] = []
            for direction in 0..<numDirections {
                let index = layer * numDirections + direction
                let w = flatWeights[index * perDirection..<(index + 1) * perDirection].map(\.wrappedValue)
                // All steps' input projections in one GEMM: [steps·batch, gates·hidden].
                let projected = linear(layerInput, weight: w[0], bias: bias ? w[2] : nil)
                let xGates = halvingSlices(projected, dim: timeDim)
                var s = initial.map { $0[index] }
                var hs: [Tensor] = []
                hs.reserveCapacity(steps)
                for t in (direction == 0 ? Array(0..<steps) : (0..<steps).reversed()) {
                    s = mode.step(xGates[t], s, weightHH: w[1], biasHH: bias ? w[3] : nil)
                    hs.append(s[0])
                }
                if direction == 1 { hs.reverse() }
                outputs.append(steps > 0 ? Tensor.stack(hs, dim: timeDim)
                                         : Tensor.zeros(batchFirst ? [batch, 0, hiddenSize] : [0, batch, hiddenSize], dtype: x.dtype))
                for k in 0..<mode.stateCount { finals[k].append(s[k]) }
            }
            layerInput = outputs.count == 1 ? outputs[0] : Tensor.cat(outputs, dim: 2)
        }
        let output = batched ? layerInput : layerInput.squeezed(batchDim)
        let hN = finals.map { Tensor.stack($0, dim: 0) }
        return (output, batched ? hN : hN.map { $0.squeezed(1) })
    }
}

/// The slices of `tensor` along `dim`, each without that dim, as `unbind(dim:)`
/// gives them, but taken by halving: each slice's gradient is embedded into its
/// half, then each half's into the whole. Backward over all `T` slices so moves
/// O(T log T) slices' worth of memory; `unbind`'s `T` gradients are each as large
/// as the whole, which is O(T²) (40% of a GRU language model's training time).
func halvingSlices(_ tensor: Tensor, dim: Int) -> [Tensor] {
    let n = tensor.shape[dim]
    if n == 0 { return [] }
    if n == 1 { return [tensor.squeezed(dim)] }
    let halves = tensor.split(sizes: [n / 2, n - n / 2], dim: dim)
    return halvingSlices(halves[0], dim: dim) + halvingSlices(halves[1], dim: dim)
}

/// A multi-layer Elman RNN (PyTorch's `nn.RNN`):
/// `h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)` (or ReLU), layer on layer.
///
/// ```swift
/// let rnn = RNN(10, 20, numLayers: 2)
/// let (output, hN) = rnn(Tensor.randn(5, 3, 10), hidden: nil)   // [5, 3, 20], [2, 3, 20]
/// ```
///
/// See ``RNNBase`` for the parameters' names and layout.
public final class RNN: RNNBase {
    /// The nonlinearity of every step.
    public let nonlinearity: RNNNonlinearity

    /// Creates the layer with PyTorch's defaults and initialisation.
    ///
    /// - Parameters:
    ///   - inputSize: The number of features of each input step.
    ///   - hiddenSize: The number of features of the hidden state.
    ///   - numLayers: The number of stacked layers (default 1).
    ///   - nonlinearity: `.tanh` (the default) or `.relu`.
    ///   - bias: Whether to add the biases (default `true`).
    ///   - batchFirst: Whether inputs and outputs are `[batch, time, features]` (default `false`).
    ///   - dropout: Dropout on the outputs of every layer but the last while training (default 0).
    ///     The masks come from `generator` as ``dropout(_:p:training:generator:)`` draws them, not PyTorch's.
    ///   - bidirectional: Whether each layer also runs over the reversed sequence (default `false`).
    ///   - dtype: The parameters' dtype.
    ///   - generator: The generator for the initial values and the dropout masks.
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, nonlinearity: RNNNonlinearity = .tanh,
                bias: Bool = true, batchFirst: Bool = false, dropout: Double = 0, bidirectional: Bool = false,
                dtype: DType = .defaultFloat, generator: Generator = .default) {
        self.nonlinearity = nonlinearity
        super.init(mode: nonlinearity == .tanh ? .rnnTanh : .rnnReLU, inputSize, hiddenSize, numLayers: numLayers,
                   bias: bias, batchFirst: batchFirst, dropout: dropout, bidirectional: bidirectional,
                   dtype: dtype, generator: generator)
    }

    /// Runs the layers over a sequence.
    ///
    /// - Parameters:
    ///   - input: `[T, batch, inputSize]` (`[batch, T, inputSize]` with `batchFirst`), or `[T, inputSize]` unbatched.
    ///   - hidden: The initial hidden state `[numLayers·numDirections, batch, hiddenSize]`
    ///     (`[numLayers·numDirections, hiddenSize]` unbatched), or nil for zeros.
    /// - Returns: `output`, the last layer's hidden state at every step
    ///   (`[T, batch, numDirections·hiddenSize]`, laid out as the input), and `hidden`,
    ///   every layer's final hidden state, shaped as the initial one.
    public func callAsFunction(_ input: Tensor, hidden: Tensor?) -> (output: Tensor, hidden: Tensor) {
        let (output, state) = run(input, hidden.map { [$0] })
        return (output, state[0])
    }
}

/// A multi-layer gated recurrent unit (PyTorch's `nn.GRU`); each step is a
/// ``GRUCell`` step, gates stacked r, z, n.
///
/// ```swift
/// let gru = GRU(10, 20, numLayers: 2, batchFirst: true)
/// let (output, hN) = gru(Tensor.randn(3, 5, 10), hidden: nil)   // [3, 5, 20], [2, 3, 20]
/// ```
///
/// See ``RNNBase`` for the parameters' names and layout.
public final class GRU: RNNBase {
    /// Creates the layer with PyTorch's defaults and initialisation; see ``RNN/init(_:_:numLayers:nonlinearity:bias:batchFirst:dropout:bidirectional:dtype:generator:)``.
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .defaultFloat,
                generator: Generator = .default) {
        super.init(mode: .gru, inputSize, hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                   dropout: dropout, bidirectional: bidirectional, dtype: dtype, generator: generator)
    }

    /// Runs the layers over a sequence; see ``RNN/callAsFunction(_:hidden:)``.
    public func callAsFunction(_ input: Tensor, hidden: Tensor?) -> (output: Tensor, hidden: Tensor) {
        let (output, state) = run(input, hidden.map { [$0] })
        return (output, state[0])
    }
}

/// A multi-layer long short-term memory (PyTorch's `nn.LSTM`); each step is
/// an ``LSTMCell`` step, gates stacked i, f, g, o.
///
/// ```swift
/// let lstm = LSTM(10, 20, numLayers: 2)
/// let (output, (hN, cN)) = lstm(Tensor.randn(5, 3, 10), state: nil)   // [5, 3, 20], [2, 3, 20] twice
/// ```
///
/// See ``RNNBase`` for the parameters' names and layout.
public final class LSTM: RNNBase {
    /// Creates the layer with PyTorch's defaults and initialisation; see ``RNN/init(_:_:numLayers:nonlinearity:bias:batchFirst:dropout:bidirectional:dtype:generator:)``.
    public init(_ inputSize: Int, _ hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dropout: Double = 0, bidirectional: Bool = false, dtype: DType = .defaultFloat,
                generator: Generator = .default) {
        super.init(mode: .lstm, inputSize, hiddenSize, numLayers: numLayers, bias: bias, batchFirst: batchFirst,
                   dropout: dropout, bidirectional: bidirectional, dtype: dtype, generator: generator)
    }

    /// Runs the layers over a sequence.
    ///
    /// - Parameters:
    ///   - input: `[T, batch, inputSize]` (`[batch, T, inputSize]` with `batchFirst`), or `[T, inputSize]` unbatched.
    ///   - state: The initial `(h0, c0)`, each `[numLayers·numDirections, batch, hiddenSize]`
    ///     (without the batch dim unbatched), or nil for zeros.
    /// - Returns: `output`, the last layer's `h` at every step (`[T, batch, numDirections·hiddenSize]`,
    ///   laid out as the input), and `state`, every layer's final `(h, c)`.
    public func callAsFunction(_ input: Tensor, state: LSTMState?) -> (output: Tensor, state: LSTMState) {
        let (output, s) = run(input, state.map { [$0.h, $0.c] })
        return (output, (s[0], s[1]))
    }
}
