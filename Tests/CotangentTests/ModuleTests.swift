import Cotangent
import Foundation
import CotangentTestSupport
import Testing

// The module system (parameters, buffers, traversal order, state dicts, apply,
// lazy layers), batch norm and embeddings, against Tests/Goldens/module_goldens.py.

/// D2L 6.1/6.2's FixedHiddenMLP: a constant tensor beside a lazy linear layer.
private final class FixedHiddenMLP: Module {
    let randWeight = Tensor.rand(20, 20)
    let linear = LazyLinear(20)
    func forward(_ input: Tensor) -> Tensor {
        var x = linear(input)
        x = (x.mm(randWeight) + 1).relu()
        x = linear(x)
        while x.abs().sum().item() > 1 { x = x / 2 }
        return x.sum()
    }
}

/// The golden's Block: own parameters and buffers, children, and a plain tensor.
private final class Block: Module {
    @Parameter var scale = Tensor.ones(3)
    @Buffer var steps = Tensor.zeros(1)
    @Buffer(persistent: false) var cache = Tensor.zeros(2)
    let fc = Linear(3, 3)
    let bn = BatchNorm1d(3)
    @Parameter var offset = Tensor.zeros(3)
    let constant = Tensor.ones(2)
    var isTraining = true
    func forward(_ x: Tensor) -> Tensor { bn(fc(x * scale + offset)) }
}

/// The README's model.
private final class ReadmeNet: Module {
    let body = Sequential { Flatten(); Linear(784, 256); BatchNorm1d(256); ReLU(); Linear(256, 10) }
    @Parameter var temperature = Tensor.ones(1)
    let mask = Tensor.ones(10)
    var isTraining = true
    func forward(_ x: Tensor) -> Tensor { body(x) * mask / temperature }
}

/// The fixture's Tagger: embeddings, batch norm over the embedding dim, a lazy head.
private final class Tagger: Module {
    let embed = Embedding(7, 3, paddingIdx: 0)
    let norm = BatchNorm1d(3)
    let head = LazyLinear(2)
    func forward(_ input: Tensor) -> Tensor {
        head(norm(embed(input).transposed(1, 2)).transposed(1, 2))
    }
}

/// A state dict that PyTorch saved with safetensors (base64 in LayerFixtures.swift).
private func pytorchState(_ base64: String) throws -> [String: Tensor] {
    let data = try #require(Data(base64Encoded: base64.filter { !$0.isWhitespace }))
    return try Safetensors.decode(data).tensors
}

private func orderModel() -> Sequential {
    Sequential {
        Block()
        ReLU()
        Sequential {
            Linear(3, 2)
            BatchNorm1d(2)
        }
    }
}

extension LearningTests {
    @Suite("Modules: parameters, buffers, state dicts") struct ModuleSystemTests {
        @Test func parametersPrintAsPyTorchs() {
            Tensor.manualSeed(0)
            let layer = Linear(2, 2)
            #expect(layer.$bias.description == ModuleGoldens.parameterText)
            #expect(layer.stateDict().description == ModuleGoldens.stateDictText)
            #expect(LazyLinear(2).$weight.description == "<UninitializedParameter>")
            #expect(Linear(2, 2, bias: false).$bias.description == "None")
        }

        @Test func plainTensorsAreNeitherParametersNorBuffers() throws {
            Tensor.manualSeed(3)
            let net = FixedHiddenMLP()
            let x = Tensor.rand(2, 20)
            #expect(Swift.abs(net(x).item() - ModuleGoldens.fixedHiddenOutput) < 1e-6)
            #expect(net.parameterCount == ModuleGoldens.fixedHiddenParameterCount)
            #expect(net.stateDict().keys == ModuleGoldens.fixedHiddenKeys)
            #expect(net.buffers().isEmpty)
            var state = net.stateDict()
            state["rand_weight"] = Tensor.zeros(20, 20)
            #expect { try net.loadStateDict(state) } throws: { "\($0)" == ModuleGoldens.fixedHiddenUnexpected }
            // PyTorch's own state dict (without the constant) loads.
            state["rand_weight"] = nil
            try net.loadStateDict(state)
        }

        @Test func traversalFollowsPyTorchsOrder() {
            let model = orderModel()
            #expect(model.namedParameters().map(\.name) == ModuleGoldens.orderParameters)
            #expect(model.namedBuffers().map(\.name) == ModuleGoldens.orderBuffers)
            #expect(model.stateDict().keys == ModuleGoldens.orderStateDict)
            #expect(model.namedModules().map(\.name) == ModuleGoldens.orderModules)
            #expect(model.children().map(\.typeName) == ModuleGoldens.orderChildren)
            var visited: [String] = []
            model.apply { visited.append($0.typeName) }
            #expect(visited == ModuleGoldens.orderApply)
            #expect(model.description == ModuleGoldens.orderDescription)
            #expect(model.buffers().count == model.namedBuffers().count)
            let block = model[0, as: Block.self]
            #expect(block.$cache.persistent == false && block.$steps.persistent)
            #expect(block.$offset.requiresGrad && block.offset.requiresGrad && block.offset.isLeaf)
            #expect(!block.steps.requiresGrad, "buffers do not require grad")
        }

        @Test func loadErrorsNameTheKeysAndShapes() {
            let model = orderModel()
            var bad = model.stateDict()
            bad["2.1.running_mean"] = Tensor.zeros(3)
            bad["0.offset"] = nil
            bad["0.bn.extra"] = Tensor.zeros(1)
            let before = model.stateDict().mapValues { $0.cloned() }
            #expect { try model.loadStateDict(bad) } throws: { "\($0)" == ModuleGoldens.orderLoadError }
            for (key, value) in model.stateDict() { #expect(value.equal(before[key]!), "\(key) unchanged") }
        }

        @Test func buffersRoundTripThroughStateDicts() throws {
            let source = orderModel(), target = orderModel()
            source.train()
            _ = source(Tensor.rand(4, 3))
            let state = source.stateDict()
            #expect(state["0.bn.num_batches_tracked"]!.item() == 1)
            try target.loadStateDict(state)
            for (key, value) in target.stateDict() { #expect(value.equal(state[key]!), "\(key)") }
            #expect(target[0, as: Block.self].bn.numBatchesTracked!.dtype == .int64)
            // Non-persistent buffers are neither saved nor expected.
            #expect(state["0.cache"] == nil)
            // A dictionary (as Safetensors.read returns) loads too.
            try target.loadStateDict(state.dictionary)
        }

        @Test func parameterAssignmentMakesLeavesAndTiesWeights() {
            let a = Linear(3, 3), b = Linear(3, 3)
            b.weight = a.weight
            let model = Sequential { a; b }
            #expect(model.namedParameters().map(\.name) == ["0.weight", "0.bias", "1.bias"])
            #expect(model.stateDict().keys == ["0.weight", "0.bias", "1.weight", "1.bias"])
            // A tensor with history becomes a detached leaf that requires grad.
            let computed = Tensor.ones(3, 3, requiresGrad: true) * 2
            b.weight = computed
            #expect(b.weight.isLeaf && b.weight.requiresGrad && b.weight !== computed)
            let frozen = Parameter<Tensor>(wrappedValue: Tensor.ones(2), requiresGrad: false)
            #expect(!frozen.wrappedValue.requiresGrad)
            // Freezing a module: its outputs stop requiring grad.
            model.requiresGrad(false)
            #expect(model.parameters().allSatisfy { !$0.requiresGrad } && !model(Tensor.ones(1, 3)).requiresGrad)
            model.requiresGrad()
            #expect(model.parameters().allSatisfy { $0.requiresGrad })
        }

        @Test func readmeExampleTrains() {
            Tensor.manualSeed(5)
            let net = ReadmeNet()
            #expect(net.stateDict().keys == ["temperature", "body.1.weight", "body.1.bias", "body.2.weight", "body.2.bias",
                                             "body.2.running_mean", "body.2.running_var", "body.2.num_batches_tracked",
                                             "body.4.weight", "body.4.bias"])
            let optimizer = SGD(groups: [.init([net.temperature]) { $0.weightDecay = 0 },
                                         .init(net.body.parameters())], learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4)
            #expect(optimizer.parameterGroups.map(\.options.weightDecay) == [0, 1e-4])
            let x = Tensor.rand(16, 1, 28, 28), y = Tensor.randint(0, 10, shape: [16])
            var losses: [Double] = []
            for _ in 0..<5 {
                optimizer.zeroGrad()
                let loss = CrossEntropyLoss()(net(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            }
            #expect(losses.last! < losses.first!)
            #expect(net.body[2, as: BatchNorm1d.self].numBatchesTracked!.item() == 5)
        }

        @Test func stateDictsSavedByPyTorchReproduceItsOutputs() throws {
            let mlp = Sequential { Linear(4, 6); BatchNorm1d(6); ReLU(); Linear(6, 3) }
            #expect(mlp.stateDict().keys == LayerFixtures.mlpKeys)
            try mlp.loadStateDict(pytorchState(LayerFixtures.mlp))
            mlp.eval()
            let x = golden(ramp([5, 4], 0.5, 0.1), [5, 4], dtype: .float32)
            expectClose(withNoGrad { mlp(x) }, LayerFixtures.mlpOutput, shape: [5, 3], rtol: 1e-5, atol: 1e-6)
            #expect(mlp[1, as: BatchNorm1d.self].numBatchesTracked!.item() == 3)

            // The lazy head takes its shape from the checkpoint.
            let tagger = Tagger()
            try tagger.loadStateDict(pytorchState(LayerFixtures.tagger))
            #expect(tagger.head.inFeatures == 3)
            tagger.eval()
            let indices = Tensor([[3, 0, 6, 1], [5, 5, 2, 0]] as [[Int64]])
            expectClose(withNoGrad { tagger(indices) }, LayerFixtures.taggerOutput, shape: [2, 4, 2], rtol: 1e-5, atol: 1e-6)
            #expect(tagger.embed.weight[0].abs().sum().item() == 0, "the padding row stayed zero through training")

            let image = Sequential { BatchNorm2d(3, momentum: 0.2); Flatten(); Linear(12, 2) }
            try image.loadStateDict(pytorchState(LayerFixtures.image))
            expectClose(image[0, as: BatchNorm2d.self].runningVar!, LayerFixtures.imageRunningVar, rtol: 1e-6, atol: 1e-7)
            image.eval()
            let batch = golden(ramp([2, 3, 2, 2], 0.9, -0.3), [2, 3, 2, 2], dtype: .float32)
            expectClose(withNoGrad { image(batch) }, LayerFixtures.imageOutput, shape: [2, 2], rtol: 1e-5, atol: 1e-6)
        }

        @Test func d2lInitialisationThroughApplyMatchesPyTorch() {
            Tensor.manualSeed(0)
            let net = Sequential {
                LazyLinear(8)
                ReLU()
                LazyLinear(1)
            }
            let x = Tensor.rand(2, 4)
            _ = net(x)
            // `type(module) == nn.Linear` in D2L: lazy layers are Linears.
            net.apply { module in
                if let linear = module as? Linear {
                    Init.normal(linear.weight, mean: 0, std: 0.01)
                    Init.zeros(linear.bias!)
                }
            }
            #expect(net[0, as: Linear.self].weight.scalars(as: Double.self) == ModuleGoldens.d2lInitNormal)
            net.apply { module in
                guard let linear = module as? Linear else { return }
                Init.uniform(linear.weight, from: -10, to: 10)
                withNoGrad { linear.weight *= (linear.weight.abs() .>= 5).to(linear.weight.dtype) }
            }
            #expect(net[0, as: Linear.self].weight.scalars(as: Double.self) == ModuleGoldens.d2lMyInit)
            let weight = net[0, as: Linear.self].weight.detached()
            weight += 1
            weight[0, 0] = Tensor(Float(42))
            #expect(net[0, as: Linear.self].weight[0].scalars(as: Double.self) == ModuleGoldens.d2lEditedRow)
            expectClose(net(x), ModuleGoldens.d2lOutput, shape: [2, 1], rtol: 1e-5, atol: 1e-5)
        }

        @Test func sequentialGivesTypedLayers() {
            let net = Sequential {
                Linear(4, 3)
                ReLU()
                Linear(3, 2)
            }
            let first: Linear = net[0, as: Linear.self]
            #expect(first.outFeatures == 3)
            #expect(net[-1, as: Linear.self].outFeatures == 2)
            #expect(net.layers(ofType: Linear.self).map(\.inFeatures) == [4, 3])
            #expect(net[1..<3].count == 2 && net[1..<3][1] === net[2])
        }

        @Test func badModuleUseStops() async {
            let index = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Sequential { ReLU() }[3]
            }
            expectStandardError(index, contains: ModuleGoldens.sequentialIndexError)
            let type = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = Sequential { ReLU() }[0, as: Linear.self]
            }
            expectStandardError(type, contains: "layer 0 is ReLU, not Linear")
        }

        @Test func lazyLinearDrawsAtTheFirstCall() throws {
            Tensor.manualSeed(0)
            let lazy = LazyLinear(3)
            #expect(lazy.description == ModuleGoldens.lazyDescriptions[0])
            #expect(lazy.parameters().isEmpty && lazy.stateDict().isEmpty)
            let x = (Tensor.arange(8, dtype: .float32) / 8).reshaped(2, 4)
            let y = lazy(x)
            // Bit-exact: the same draws as Linear(4, 3) after the same seed.
            #expect(lazy.weight.scalars(as: Double.self) == ModuleGoldens.lazyWeight)
            #expect(lazy.bias!.scalars(as: Double.self) == ModuleGoldens.lazyBias)
            expectClose(y, ModuleGoldens.lazyOutput, shape: [2, 3])
            #expect(lazy.description == ModuleGoldens.lazyDescriptions[1])
            #expect(lazy.weight.requiresGrad && lazy.weight.isLeaf && lazy.inFeatures == 4)
            #expect(lazy.parameters().count == 2)

            // D2L 6.4.
            Tensor.manualSeed(1)
            let net = Sequential {
                LazyLinear(256)
                ReLU()
                LazyLinear(10)
            }
            let out = net(Tensor.rand(2, 20))
            expectClose(out, ModuleGoldens.lazyNetOutput, shape: [2, 10], rtol: 1e-5, atol: 1e-6)
            #expect(net[0, as: LazyLinear.self].weight.shape == [256, 20])
            let sums = [net[0, as: LazyLinear.self].weight, net[2, as: LazyLinear.self].weight].map { $0.to(.float64).sum().item() }
            for (s, e) in zip(sums, ModuleGoldens.lazyNetWeightSums) { #expect(Swift.abs(s - e) < 1e-9) }

            // A state dict materialises an uninitialized lazy layer with its shapes.
            let loaded = LazyLinear(3)
            try loaded.loadStateDict(lazy.stateDict())
            #expect(loaded.inFeatures == 4 && !loaded.hasUninitializedParameters)
            #expect(loaded(x).equal(y))
        }
    }

    @Suite("Batch norm and embeddings") struct NormAndEmbeddingTests {
        @Test(arguments: ModuleGoldens.batchNorm.keys.sorted())
        func batchNormMatchesPyTorch(_ key: String) {
            let expected = ModuleGoldens.batchNorm[key]!
            let shape = expected.shape
            let c = shape[1]
            let layer: BatchNormBase = switch key {
            case "1d", "1dSequence": BatchNorm1d(3, dtype: .float64)
            case "2d": BatchNorm2d(2, dtype: .float64)
            case "cumulative": BatchNorm1d(3, eps: 1e-3, momentum: nil, dtype: .float64)
            case "noAffine": BatchNorm2d(3, momentum: 0.3, affine: false, dtype: .float64)
            case "noRunningStats": BatchNorm1d(3, trackRunningStats: false, dtype: .float64)
            default: BatchNorm1d(2, bias: false, dtype: .float64)
            }
            #expect(layer.description == expected.description)
            #expect(layer.stateDict().keys == expected.keys)
            withNoGrad {
                layer.weight?.copy(from: golden(ramp([c], 0.5, 0.2), [c]))
                layer.bias?.copy(from: golden(ramp([c], 0.3, -1), [c]))
            }
            for (s, step) in expected.steps.enumerated() {
                layer.weight?.grad = nil
                layer.bias?.grad = nil
                let x = golden(step.input, shape)
                x.requiresGrad = true
                let y = layer(x)
                expectClose(y, step.output, shape: shape, rtol: 1e-10, atol: 1e-12)
                (y * upstream(shape)).sum().backward()
                expectClose(x.grad!, step.inputGrad, rtol: 1e-9, atol: 1e-11)
                if let value = step.weightGrad { expectClose(layer.weight!.grad!, value, rtol: 1e-9, atol: 1e-11) }
                if let value = step.biasGrad { expectClose(layer.bias!.grad!, value, rtol: 1e-9, atol: 1e-11) }
                #expect((step.runningMean == nil) == (layer.runningMean == nil), "step \(s)")
                if let value = step.runningMean { expectClose(layer.runningMean!, value, rtol: 1e-12, atol: 1e-14) }
                if let value = step.runningVar { expectClose(layer.runningVar!, value, rtol: 1e-12, atol: 1e-14) }
                if let value = step.numBatchesTracked { #expect(Int(layer.numBatchesTracked!.item()) == value) }
            }
            layer.eval()
            let y = withNoGrad { layer(golden(expected.evalInput, shape)) }
            expectClose(y, expected.evalOutput, shape: shape, rtol: 1e-10, atol: 1e-12)
            // Its gradient is composed from tensor ops, so it checks out against finite differences.
            layer.train()
            let w = golden(ramp([c], 0.5, 0.2), [c]), b = golden(ramp([c], 0.3, -1), [c])
            expectGradientsMatch({ batchNorm($0[0], runningMean: nil, runningVar: nil, weight: $0[1], bias: $0[2], training: true) },
                                 inputs: [golden(expected.evalInput, shape), w, b])
        }

        @Test func lazyBatchNormTakesItsChannelsFromTheFirstInput() throws {
            let expected = ModuleGoldens.batchNorm["1d"]!
            let lazy = LazyBatchNorm1d(dtype: .float64)
            #expect(lazy.description == "LazyBatchNorm1d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)")
            #expect(lazy.parameters().isEmpty && lazy.stateDict().keys == ["num_batches_tracked"])
            // Materialised with ones and zeros at the first call, then exactly BatchNorm1d(3).
            let x = golden(expected.steps[0].input, expected.shape)
            let y = lazy(x)
            #expect(lazy.description == expected.description && lazy.numFeatures == 3)
            #expect(lazy.stateDict().keys == expected.keys)
            let eager = BatchNorm1d(3, dtype: .float64)
            #expect(y.equal(eager(x)) && lazy.runningVar!.equal(eager.runningVar!))
            #expect(lazy.weight!.requiresGrad && lazy.weight!.isLeaf && !lazy.runningMean!.requiresGrad)
            // A state dict materialises an uninitialized one with the checkpoint's shapes.
            let loaded = LazyBatchNorm2d()
            try loaded.loadStateDict(BatchNorm2d(5).stateDict())
            #expect(loaded.numFeatures == 5 && loaded.runningMean!.shape == [5])
            #expect(LazyBatchNorm2d(affine: false, trackRunningStats: false).description
                    == "LazyBatchNorm2d(0, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)")
        }

        @Test func batchNormInFloat32AndBadInput() async {
            let expected = ModuleGoldens.batchNorm["2d"]!
            let layer = BatchNorm2d(2)
            withNoGrad {
                layer.weight!.copy(from: golden(ramp([2], 0.5, 0.2), [2]))
                layer.bias!.copy(from: golden(ramp([2], 0.3, -1), [2]))
            }
            let y = layer(golden(expected.steps[0].input, expected.shape, dtype: .float32))
            #expect(y.dtype == .float32)
            expectClose(y, expected.steps[0].output, rtol: 1e-5, atol: 1e-5)
            expectClose(layer.runningVar!, expected.steps[0].runningVar!, rtol: 1e-6, atol: 1e-6)
            let cases: [(String, ExitTest.Result?)] = [
                ("rank1d", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = BatchNorm1d(3)(Tensor.zeros(2, 3, 4, 5))
                }),
                ("rank2d", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = BatchNorm2d(3)(Tensor.zeros(2, 3, 4))
                }),
                ("oneValue", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = BatchNorm1d(3)(Tensor.zeros(1, 3))
                }),
                ("channels", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = BatchNorm1d(3)(Tensor.zeros(4, 5))
                }),
            ]
            for (key, result) in cases { expectStandardError(result, contains: ModuleGoldens.batchNormErrors[key]!) }
        }

        @Test func embeddingMatchesPyTorch() {
            Tensor.manualSeed(0)
            let embed = Embedding(10, 3, paddingIdx: 2)
            let plain = Embedding(5, 2)
            #expect(embed.weight.scalars(as: Double.self) == ModuleGoldens.embeddingWeight)
            #expect(plain.weight.scalars(as: Double.self) == ModuleGoldens.embeddingPlainWeight)
            let indices = Tensor([[1, 2, 0], [4, 2, 9]] as [[Int64]])
            let y = embed(indices)
            #expect(y.shape == [2, 3, 3])
            #expect(y.scalars(as: Double.self) == ModuleGoldens.embeddingOutput)
            (y * upstream([2, 3, 3], dtype: .float32)).sum().backward()
            expectClose(embed.weight.grad!, ModuleGoldens.embeddingGrad, shape: [10, 3], rtol: 1e-6, atol: 1e-6)
            #expect([embed.description, plain.description,
                     Embedding.fromPretrained(Tensor.zeros(4, 2), paddingIdx: -1).description] == ModuleGoldens.embeddingDescriptions)
            #expect(embed.stateDict().keys == ["weight"])

            let table = Tensor([[1.0, 2.0], [3.0, 4.0]])
            let frozen = Embedding.fromPretrained(table)
            #expect(!frozen.weight.requiresGrad && frozen.parameters().count == 1)
            #expect(frozen(Tensor([1, 0] as [Int64])).scalars(as: Double.self) == [3, 4, 1, 2])
            let trainable = Embedding.fromPretrained(table, freeze: false, paddingIdx: 0)
            #expect(trainable.weight.requiresGrad && trainable.weight !== table)
            trainable(Tensor([0, 1, 1] as [Int64])).sum().backward()
            #expect(trainable.weight.grad!.scalars(as: Double.self) == [0, 0, 2, 2])
            let double = Embedding(4, 3, dtype: .float64)
            // Finite differences see the padding row's value, so check without one.
            expectGradientsMatch({ embedding(Tensor([[3, 0], [0, 3]] as [[Int64]]), weight: $0[0]) },
                                 inputs: [double.weight.detached()])
        }

        @Test func badEmbeddingInputStops() async {
            let cases: [(String, ExitTest.Result?)] = [
                ("outOfRange", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = Embedding(4, 2)(Tensor([0, 4] as [Int64]))
                }),
                ("negative", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = Embedding(4, 2)(Tensor([-1] as [Int64]))
                }),
                ("floatIndex", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = Embedding(4, 2)(Tensor([0.0]))
                }),
                ("padding", await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                    _ = Embedding(4, 2, paddingIdx: 4)
                }),
            ]
            for (key, result) in cases { expectStandardError(result, contains: ModuleGoldens.embeddingErrors[key]!) }
        }
    }
}

/// The goldens' input formula: `2 sin(scale · i + shift)` over `count` elements.
func ramp(_ count: [Int], _ scale: Double = 0.37, _ shift: Double = 1.3) -> [Double] {
    (0..<count.reduce(1, *)).map { 2 * sin(Double($0) * scale + shift) }
}
