import Cotangent
import CotangentTestSupport
import Testing

// Modules: parameter discovery and names, PyTorch's initialisation, layers,
// modes, printing and state dicts, against goldens from Tests/Goldens/nn_goldens.py.

/// The NN, optimizer, data and file tests seed and draw from the default
/// generator, which the whole process shares, so they run one at a time
/// (`.serialized` applies to every suite nested in this one).
@Suite(.serialized) enum LearningTests {}

/// A float64 tensor from golden values.
func golden(_ values: [Double], _ shape: [Int], dtype: DType = .float64) -> Tensor {
    Tensor(shape: shape, scalars: values).to(dtype)
}

/// The upstream gradient the goldens use: `0.5, 0.6, 0.7, ...` in the given shape.
func upstream(_ shape: [Int], dtype: DType = .float64) -> Tensor {
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, scalars: (0..<n).map { 0.5 + 0.1 * Double($0) }).to(dtype)
}

/// A user-defined module, found entirely by reflection.
private final class TwoLayer: Module {
    let hidden = Linear(4, 3)
    let output = Linear(3, 2, bias: false)
    @Parameter var scale = Tensor.ones(2)
    let constant = Tensor.ones(2, requiresGrad: true)   // a plain tensor: neither parameter nor buffer
    let blocks: [any Module] = [ReLU(), Linear(2, 2)]
    let note = "not a parameter"
    var isTraining = true

    func forward(_ input: Tensor) -> Tensor { blocks[1](output(hidden(input).relu()) * scale) }
}

/// A module without its own mode flag reports its first child's.
private final class Wrapper: Module {
    let inner = Dropout(p: 0.5)
    func forward(_ input: Tensor) -> Tensor { inner(input) }
}

extension LearningTests {
    @Suite("NN modules") struct NNModuleTests {
        @Test func linearMatchesPyTorchInitialisation() {
            Tensor.manualSeed(0)
            let a = Linear(4, 3), b = Linear(5, 2, bias: false), c = Linear(3, 2, dtype: .float64)
            // Bit-exact: the same generator draws and the same bounds.
            #expect(a.weight.scalars(as: Double.self) == NNGoldens.linearWeight)
            #expect(a.bias!.scalars(as: Double.self) == NNGoldens.linearBias)
            #expect(b.weight.scalars(as: Double.self) == NNGoldens.linearNoBiasWeight)
            #expect(b.bias == nil)
            #expect(c.weight.scalars(as: Double.self) == NNGoldens.linearDoubleWeight)
            #expect(c.bias!.scalars(as: Double.self) == NNGoldens.linearDoubleBias)
            #expect(a.weight.shape == [3, 4] && a.weight.isLeaf && a.weight.requiresGrad)
            #expect(c.weight.dtype == .float64)
        }

        @Test func initialisersMatchPyTorch() {
            Tensor.manualSeed(1)
            let cases: [(String, [Int], (Tensor) -> Void, [Double])] = [
                ("xavierUniform", [3, 5], { Init.xavierUniform($0, gain: 1.5) }, NNGoldens.init_xavierUniform),
                ("kaimingUniform", [4, 6], { Init.kaimingUniform($0, mode: .fanOut, nonlinearity: .relu) }, NNGoldens.init_kaimingUniform),
                ("xavierNormal", [4, 6], { Init.xavierNormal($0) }, NNGoldens.init_xavierNormal),
                ("kaimingNormal", [5, 4], { Init.kaimingNormal($0, a: 0.2) }, NNGoldens.init_kaimingNormal),
                ("normal", [20], { Init.normal($0, mean: 0.5, std: 2) }, NNGoldens.init_normal),
            ]
            for (name, shape, initialise, expected) in cases {
                let t = Tensor.empty(shape, requiresGrad: true)
                initialise(t)
                expectClose(t, expected, shape: shape, rtol: 1e-6, atol: 1e-7)
                #expect(t.isLeaf && t.requiresGrad, "\(name)")
            }
            let z = Tensor.ones(3)
            Init.zeros(z)
            #expect(z.scalars(as: Double.self) == [0, 0, 0])
            Init.constant(z, 2.5)
            #expect(z.scalars(as: Double.self) == [2.5, 2.5, 2.5])
            #expect(Init.gain(for: .tanh) == 5.0 / 3)
            #expect(Init.fans(of: Tensor.zeros(3, 4, 5)) == (fanIn: 20, fanOut: 15))
        }

        @Test func parametersAreFoundByReflectionAndNamedAsInPyTorch() {
            let model = TwoLayer()
            #expect(model.namedParameters().map(\.name) == [
                "scale", "hidden.weight", "hidden.bias", "output.weight", "blocks.1.weight", "blocks.1.bias",
            ])
            #expect(model.namedChildren().map(\.name) == ["hidden", "output", "blocks.0", "blocks.1"])
            #expect(model.namedModules().map(\.name) == ["", "hidden", "output", "blocks.0", "blocks.1"])
            #expect(model.parameters().count == 6)
            #expect(model.parameterCount == 2 + 12 + 3 + 6 + 4 + 2)
            #expect(Set(model.stateDict().keys) == Set(model.namedParameters().map(\.name)))

            let nested = Sequential {
                Linear(3, 2)
                ReLU()
                Sequential {
                    Linear(2, 2)
                    LayerNorm(2)
                }
            }
            // PyTorch: ['0.weight', '0.bias', '2.0.weight', '2.0.bias', '2.1.weight', '2.1.bias']
            #expect(nested.namedParameters().map(\.name) == ["0.weight", "0.bias", "2.0.weight", "2.0.bias", "2.1.weight", "2.1.bias"])
        }

        @Test func sharedParametersAppearOnce() {
            let shared = Linear(2, 2)
            let model = Sequential { shared; ReLU(); shared }
            #expect(model.namedParameters().map(\.name) == ["0.weight", "0.bias"])
            // The state dict keeps every name, as PyTorch's does.
            #expect(Set(model.stateDict().keys) == ["0.weight", "0.bias", "2.weight", "2.bias"])
        }

        @Test func sequentialBuilderSupportsControlFlow() {
            let deep = true
            let net = Sequential {
                Flatten()
                for width in [8, 4] {
                    Linear(width == 8 ? 64 : 8, width)
                    ReLU()
                }
                if deep { Linear(4, 4) } else { Tanh() }
                Linear(4, 10)
            }
            #expect(net.count == 7)
            #expect(net(Tensor.zeros(5, 8, 8)).shape == [5, 10])
            #expect(net.namedParameters().map(\.name).first == "1.weight")
        }

        @Test func linearRecordsPyTorchsNodes() {
            let layer = Linear(3, 2)
            let x = Tensor.ones(4, 3)
            #expect(layer(x).gradFn?.name == "AddmmBackward0")
            #expect(Linear(3, 2, bias: false)(x).gradFn?.name == "MmBackward0")
            #expect(layer(Tensor.ones(2, 5, 3)).shape == [2, 5, 2])
            #expect(layer(Tensor.ones(3)).shape == [2])
            let y = layer(x)
            expectClose(y, (x.mm(layer.weight.t()) + layer.bias!).detached())
        }

        @Test func mlpForwardAndBackwardMatchPyTorch() {
            Tensor.manualSeed(2)
            let mlp = Sequential {
                Linear(4, 5)
                ReLU()
                Linear(5, 3)
            }
            let x = golden(NNGoldens.mlpInput, [6, 4], dtype: .float32)
            let y = Tensor(shape: [6], scalars: [0, 2, 1, 2, 0, 1] as [Int64])
            let logits = mlp(x)
            expectClose(logits, NNGoldens.mlpLogits, shape: [6, 3], rtol: 1e-5, atol: 1e-6)
            let loss = CrossEntropyLoss()(logits, y)
            #expect(Swift.abs(loss.item() - NNGoldens.mlpLoss) < 1e-6)
            loss.backward()
            for (name, parameter) in mlp.namedParameters() {
                expectClose(parameter.grad!, NNGoldens.mlpGrads[name]!, rtol: 1e-4, atol: 1e-6)
            }
            mlp.zeroGrad()
            #expect(mlp.parameters().allSatisfy { $0.grad == nil })
        }

        @Test func activationsMatchPyTorch() {
            for (name, expected) in NNGoldens.activations {
                let x = golden(NNGoldens.activationInput, [7])
                x.requiresGrad = true
                let f: (Tensor) -> Tensor = switch name {
                case "gelu": { GELU()($0) }
                case "geluTanh": { GELU(approximate: .tanh)($0) }
                default: { $0.erf() }
                }
                let value = f(x)
                #expect(value.gradFn?.name == expected.gradFn, "\(name)")
                expectClose(value, expected.value, rtol: 1e-12, atol: 1e-14)
                (value * upstream([7])).sum().backward()
                expectClose(x.grad!, expected.grad, rtol: 1e-12, atol: 1e-14)
                // Rules are tensor ops, so their own gradients check out too.
                expectGradientsMatch({ f($0[0]) }, inputs: [x])
                expectGradientsMatch({ p in withGrad { grad(of: f(p[0]).sum(), wrt: [p[0]], createGraph: true)[0] } }, inputs: [x])
            }
            // float32 agrees with float64 to float precision.
            let x32 = golden(NNGoldens.activationInput, [7], dtype: .float32)
            expectClose(gelu(x32), NNGoldens.activations["gelu"]!.value, rtol: 1e-6, atol: 1e-6)
            let x = Tensor([-1.0, 0.0, 2.0])
            expectClose(ReLU()(x), [0, 0, 2])
            expectClose(Sigmoid()(x), x.sigmoid())
            expectClose(Tanh()(x), x.tanh())
            expectClose(Softmax(dim: 0)(x), x.softmax(dim: 0))
            expectClose(LogSoftmax(dim: -1)(x), x.logSoftmax(dim: -1))
            #expect(Flatten()(Tensor.zeros(2, 3, 4)).shape == [2, 12])
            #expect(Flatten(startDim: 0)(Tensor.zeros(2, 3, 4)).shape == [24])
        }

        @Test(arguments: ["last", "lastTwo"])
        func layerNormMatchesPyTorch(_ key: String) {
            let expected = NNGoldens.layerNorm[key]!
            let shape = key == "last" ? [4] : [3, 4]
            let norm = LayerNorm(shape, dtype: .float64)
            withNoGrad {
                norm.weight!.copy(from: golden(expected.weight, shape))
                norm.bias!.copy(from: golden(expected.bias, shape))
            }
            let x = golden(NNGoldens.layerNormInput, [2, 3, 4])
            x.requiresGrad = true
            let y = norm(x)
            #expect(y.gradFn?.name == "NativeLayerNormBackward0")
            expectClose(y, expected.value, rtol: 1e-10, atol: 1e-12)
            (y * upstream([2, 3, 4])).sum().backward()
            expectClose(x.grad!, expected.inputGrad, rtol: 1e-9, atol: 1e-11)
            expectClose(norm.weight!.grad!, expected.weightGrad, rtol: 1e-9, atol: 1e-11)
            expectClose(norm.bias!.grad!, expected.biasGrad, rtol: 1e-9, atol: 1e-11)
            let w = golden(expected.weight, shape), b = golden(expected.bias, shape)
            expectGradientsMatch({ layerNorm($0[0], normalizedShape: shape, weight: $0[1], bias: $0[2]) },
                                 inputs: [x.detached(), w, b])
            expectGradientsMatch({ layerNorm($0[0], normalizedShape: shape).square().sum(dim: -1) }, inputs: [x.detached()])
        }

        @Test func addmmGradients() {
            let bias = Tensor([0.5, -1.0, 2.0], dtype: .float64)
            let a = golden(NNGoldens.activationInput.prefix(6).map { $0 }, [2, 3])
            let b = golden(NNGoldens.layerNormInput.prefix(9).map { $0 }, [3, 3])
            for layout in Layout.allCases {
                expectGradientsMatch({ Tensor.addmm($0[0], withLayout($0[1], layout), withLayout($0[2], layout)) },
                                     inputs: [bias, a, b])
            }
            expectClose(Tensor.addmm(bias, a, b), a.mm(b) + bias, rtol: 1e-12)
        }

        @Test func dropoutFollowsTheMode() {
            let model = Sequential {
                Linear(4, 4)
                Dropout(p: 0.5)
            }
            #expect(model.isTraining)
            model.eval()
            #expect(!model.isTraining && !model[1].isTraining && !model[0].isTraining)
            let x = Tensor.ones(1000)
            #expect(Dropout(p: 0.3).eval()(x) === x)
            model.train()
            #expect(model[1].isTraining)

            let wrapper = Wrapper()
            #expect(wrapper.isTraining)
            wrapper.eval()
            #expect(!wrapper.isTraining && !wrapper.inner.isTraining)

            Tensor.manualSeed(3)
            let y = Dropout(p: 0.25)(x)
            let kept = y.scalars(as: Double.self).filter { $0 != 0 }
            #expect(kept.allSatisfy { Swift.abs($0 - 1 / 0.75) < 1e-6 })
            #expect((650...850).contains(kept.count))
            #expect(y.gradFn == nil)
            let z = Tensor.ones(10, requiresGrad: true)
            let dropped = dropout(z, p: 0.5)
            #expect(dropped.gradFn?.name == "MulBackward0")
            dropped.sum().backward()
            expectClose(z.grad!, dropped.detached())
            #expect(dropout(z, p: 1).sum().item() == 0)
        }

        @Test func descriptionsMatchPyTorch() {
            let model = Sequential {
                Linear(3, 2)
                ReLU()
                Sequential {
                    Linear(2, 2)
                    LayerNorm(2)
                }
                Dropout(p: 0.25)
                GELU(approximate: .tanh)
                Flatten()
                Softmax(dim: 1)
                LogSoftmax(dim: -1)
                Sigmoid()
                Tanh()
                Linear(2, 1, bias: false)
            }
            #expect(model.description == NNGoldens.mlpDescription)
            #expect(LayerNorm([2, 3], eps: 1e-6, elementwiseAffine: false).description == NNGoldens.layerNormDescription)
        }

        @Test func stateDictRoundTrip() throws {
            Tensor.manualSeed(4)
            let source = TwoLayer(), target = TwoLayer()
            #expect(!source.hidden.weight.equal(target.hidden.weight))
            let state = source.stateDict()
            #expect(state["hidden.weight"]!.gradFn == nil && !state["hidden.weight"]!.requiresGrad)
            let result = try target.loadStateDict(state)
            #expect(result.missingKeys.isEmpty && result.unexpectedKeys.isEmpty)
            for (name, p) in target.namedParameters() {
                #expect(p.equal(state[name]!), "\(name)")
                #expect(p.isLeaf && p.requiresGrad, "\(name) stays a leaf that requires grad")
            }
            // float64 values are converted to the parameter's dtype.
            let layer = Linear(2, 1)
            try layer.loadStateDict(["weight": Tensor([[1.0, 2.0]], dtype: .float64), "bias": Tensor([0.5], dtype: .float64)])
            #expect(layer.weight.dtype == .float32 && layer.weight.scalars(as: Double.self) == [1, 2])
            // Not strict: missing and unexpected keys are reported, not thrown.
            let partial = try layer.loadStateDict(["weight": Tensor([[3.0, 4.0]]), "extra": Tensor(1.0)], strict: false)
            #expect(partial.missingKeys == ["bias"] && partial.unexpectedKeys == ["extra"])
            #expect(layer.weight.scalars(as: Double.self) == [3, 4])
        }

        @Test func stateDictErrorsAreWordedAsPyTorchs() {
            let cases: [(key: String, module: any Module, state: [String: Tensor])] = [
                ("missing", Linear(3, 2), ["weight": Tensor.zeros(2, 3)]),
                ("unexpected", Linear(3, 2), ["weight": Tensor.zeros(2, 3), "bias": Tensor.zeros(2), "foo": Tensor.zeros(1)]),
                ("all", Sequential { Linear(3, 2); Linear(2, 2) },
                 ["0.weight": Tensor.zeros(3, 3), "x": Tensor.zeros(1), "y": Tensor.zeros(1)]),
            ]
            for (key, module, state) in cases {
                let before = module.stateDict().mapValues { $0.cloned() }
                #expect {
                    try module.loadStateDict(state)
                } throws: { error in
                    "\(error)" == NNGoldens.stateDictMessages[key]
                }
                // A failed load changes nothing.
                for (name, value) in module.stateDict() { #expect(value.equal(before[name]!)) }
            }
        }

        @Test func badLayerInputStops() async {
            let linear = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Linear(3, 2)(Tensor.zeros(4, 4))
            }
            expectStandardError(linear, contains: NNGoldens.errors["linearShapes"]!)
            let norm = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = LayerNorm(4)(Tensor.zeros(4, 3))
            }
            expectStandardError(norm, contains: NNGoldens.errors["layerNormShape"]!)
            let drop = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Dropout(p: 1.5)
            }
            expectStandardError(drop, contains: NNGoldens.errors["dropoutProbability"]!)
        }
    }
}
