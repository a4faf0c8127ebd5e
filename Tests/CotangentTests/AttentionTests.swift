import Cotangent
import CotangentTestSupport
import Foundation
import Testing

// Scaled dot-product attention, MultiheadAttention and the Transformer layers,
// against Tests/Goldens/attention_goldens.py.

private extension Tensor {
    /// The tensor itself, made a leaf that requires grad.
    func requiringGrad() -> Tensor { requiresGrad = true; return self }
}

/// The goldens' (scale, shift) pairs for the ramp inputs, by position.
private let shifts: [(Double, Double)] = [(0.37, 1.3), (0.23, -0.4), (0.41, 0.7), (0.29, 0.1)]

/// `ramp(shape, shifts[i])` in `dtype`.
private func input(_ shape: [Int], _ i: Int, dtype: DType = .float32) -> Tensor {
    golden(ramp(shape, shifts[i % 4].0, shifts[i % 4].1), shape, dtype: dtype)
}

/// The goldens' upstream gradient: `(0.5 + 0.1 i) / count`.
private func attentionUpstream(_ shape: [Int], dtype: DType) -> Tensor {
    let n = shape.reduce(1, *)
    return golden((0..<n).map { (0.5 + 0.1 * Double($0)) / Double(Swift.max(n, 1)) }, shape, dtype: dtype)
}

/// A Boolean tensor from golden values.
private func boolTensor(_ values: [Bool], _ shape: [Int]) -> Tensor {
    golden(values.map { $0 ? 1 : 0 }, shape).to(.bool)
}

/// `sum(output · upstream)` over the outputs a module returned.
private func weightedSum(_ outputs: [Tensor]) -> Tensor {
    outputs.map { ($0 * attentionUpstream($0.shape, dtype: $0.dtype)).sum() }.reduce(Tensor.zeros([]), +)
}

@Suite("Scaled dot-product attention") struct ScaledDotProductAttentionTests {
    private static func run(_ g: SDPAGolden, dtype: DType? = nil) -> (output: Tensor, inputs: [Tensor]) {
        let dtype = dtype ?? (g.float32 ? .float32 : .float64)
        let qkv = g.shapes.prefix(3).enumerated().map { input($0.element, $0.offset, dtype: dtype).requiringGrad() }
        var mask: Tensor?
        if let b = g.boolMask { mask = boolTensor(b, g.maskShape) }
        if let f = g.floatMask {
            mask = golden(f, g.maskShape, dtype: dtype)
            if g.maskRequiresGrad { mask = mask!.requiringGrad() }
        }
        let out = scaledDotProductAttention(query: qkv[0], key: qkv[1], value: qkv[2], attnMask: mask,
                                            isCausal: g.isCausal, scale: g.scale)
        return (out, qkv + (g.maskRequiresGrad ? [mask!] : []))
    }

    @Test("Values, gradients and node names match PyTorch", arguments: AttentionGoldens.sdpa.map(\.name))
    func matchesPyTorch(_ name: String) throws {
        let g = try #require(AttentionGoldens.sdpa.first { $0.name == name })
        let (rtol, atol) = g.float32 ? (1e-5, 1e-6) : (1e-10, 1e-12)
        let (out, inputs) = Self.run(g)
        expectClose(out, g.output, shape: g.outputShape, rtol: rtol, atol: atol)
        #expect(out.gradFn?.name == g.gradFn)
        let grads = grad(of: out, wrt: inputs, gradient: attentionUpstream(out.shape, dtype: out.dtype))
        for (i, expected) in g.grads.enumerated() {
            expectClose(grads[i], expected, shape: inputs[i].shape, rtol: rtol * 10, atol: atol * 10)
        }
    }

    @Test("Gradients match finite differences in Float64", arguments: ["negative scale", "2-d, bool mask", "3-d", "broadcast batch", "float mask that requires grad"])
    func gradCheckFloat64(_ name: String) throws {
        let g = try #require(AttentionGoldens.sdpa.first { $0.name == name })
        let (_, inputs) = Self.run(g, dtype: .float64)
        let mask: Tensor? = g.boolMask.map { boolTensor($0, g.maskShape) }
        expectGradientsMatch({ x in
            scaledDotProductAttention(query: x[0], key: x[1], value: x[2], attnMask: x.count > 3 ? x[3] : mask,
                                      isCausal: g.isCausal, scale: g.scale)
        }, inputs: inputs)
    }

    @Test("The fused node's backward is differentiable (second derivatives against finite differences)")
    func secondOrder() {
        let mask = boolTensor([true, true, false, true, false, true, true, true, true], [3, 3])
        let w = input([1, 2, 3, 4], 3, dtype: .float64)
        /// A scalar of the first derivatives, recorded (createGraph) so it can be differentiated again.
        func firstOrder(_ x: [Tensor]) -> Tensor {
            let out = scaledDotProductAttention(query: x[0], key: x[1], value: x[2], attnMask: mask)
            #expect(out.gradFn?.name == "ScaledDotProductFlashAttentionForCpuBackward0")
            let g = grad(of: out, wrt: x, gradient: w, createGraph: true)
            return (g[0] * g[0]).sum() + (g[1] * w).sum() + (g[2] * g[2] * w).sum()
        }
        let base = (0..<3).map { input([1, 2, 3, 4], $0, dtype: .float64) }
        let leaves = base.map { $0.cloned().requiringGrad() }
        let analytic = grad(of: firstOrder(leaves), wrt: leaves)
        let eps = 1e-6
        for which in 0..<3 {
            for element in [0, 5, 11, 23] {
                func value(_ delta: Double) -> Double {
                    let x = base.map { $0.cloned() }
                    let flat = x[which].reshaped(-1)
                    flat[element] = Tensor(flat[element].item() + delta, dtype: .float64)
                    return firstOrder(x.map { $0.requiringGrad() }).item()
                }
                let numeric = (value(eps) - value(-eps)) / (2 * eps)
                let exact = analytic[which].reshaped(-1)[element].item()
                #expect(Swift.abs(numeric - exact) <= 1e-5 + 1e-4 * Swift.abs(exact), "input \(which), element \(element)")
            }
        }
    }

    @Test("Without a mask the C kernel gives the masked path's values and gradients (a zero mask), bit for bit",
          arguments: [DType.float32, .float64], [(2, 3, 17), (1, 1, 4100)])
    func unmaskedKernelMatchesTheMaskedPath(_ dtype: DType, _ sizes: (Int, Int, Int)) {
        // One head: fewer heads than threads, so its products and row passes use the pool.
        let (b, h, l) = sizes
        let q = input([b, h, l, 8], 0, dtype: dtype).requiringGrad(), k = input([h, b, 19, 8], 1, dtype: dtype).requiringGrad()
        let v = input([b, h, 19, 8], 2, dtype: dtype).requiringGrad()
        // Non-contiguous operands too: the key's batch and head dims swapped.
        let kt = k.transposed(0, 1)
        let g = attentionUpstream([b, h, l, 8], dtype: dtype)
        let out = scaledDotProductAttention(query: q, key: kt, value: v)
        let ref = scaledDotProductAttention(query: q, key: kt, value: v, attnMask: Tensor.zeros([l, 19], dtype: dtype))
        #expect(out.gradFn?.name == "ScaledDotProductFlashAttentionForCpuBackward0")
        #expect(out.equal(ref))
        for (a, b) in zip(grad(of: out, wrt: [q, k, v], gradient: g), grad(of: ref, wrt: [q, k, v], gradient: g)) {
            #expect(a.equal(b))
        }
    }

    @Test("A fully masked row is zero, its gradient zero")
    func fullyMaskedRow() throws {
        let g = try #require(AttentionGoldens.sdpa.first { $0.name == "bool mask with a fully masked row" })
        let (out, inputs) = Self.run(g)
        #expect(out[0, 0, 1].abs().sum().item() == 0)
        let grads = grad(of: out.sum(), wrt: inputs)
        #expect(grads[0][0, 0, 1].abs().sum().item() == 0)
        #expect(grads[0].isNaN().any().item() == 0)
    }

    @Test("Dropout: a scaled mask from the generator, reproducible; p = 1 gives zeros")
    func dropoutIsSeeded() {
        let q = input([2, 2, 4, 8], 0), k = input([2, 2, 5, 8], 1), v = input([2, 2, 5, 8], 2)
        let a = scaledDotProductAttention(query: q, key: k, value: v, dropoutP: 0.5, generator: Generator(seed: 3))
        let b = scaledDotProductAttention(query: q, key: k, value: v, dropoutP: 0.5, generator: Generator(seed: 3))
        #expect(a.equal(b))
        let plain = scaledDotProductAttention(query: q, key: k, value: v)
        #expect(!a.equal(plain))
        let none = scaledDotProductAttention(query: q, key: k, value: v, dropoutP: 1)
        #expect(none.abs().sum().item() == 0)
        let tracked = scaledDotProductAttention(query: q.requiringGrad(), key: k, value: v, dropoutP: 0.2)
        #expect(tracked.gradFn?.name == "UnsafeViewBackward0", "dropout takes PyTorch's math path")
    }

    @Test func errorsAreWordedAsPyTorchs() async {
        var r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let q = Tensor.zeros([2, 3, 4, 8])
            _ = scaledDotProductAttention(query: q, key: q.to(.float64), value: q)
        }
        expectStandardError(r, contains: AttentionGoldens.sdpaDTypeError)
        r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let q = Tensor.zeros([8])
            _ = scaledDotProductAttention(query: q, key: q, value: q)
        }
        expectStandardError(r, contains: AttentionGoldens.sdpaRankError)
        r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let q = Tensor.zeros([2, 3, 4, 8])
            _ = scaledDotProductAttention(query: q, key: q, value: q, attnMask: Tensor.ones([4, 4], dtype: .int64))
        }
        expectStandardError(r, contains: AttentionGoldens.sdpaMaskDTypeError)
        r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let q = Tensor.zeros([2, 3, 4, 8])
            _ = scaledDotProductAttention(query: q, key: q, value: q, attnMask: Tensor.ones([4, 4], dtype: .bool), isCausal: true)
        }
        expectStandardError(r, contains: AttentionGoldens.sdpaCausalMaskError)
        r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let q = Tensor.zeros([2, 3, 4, 8])
            _ = scaledDotProductAttention(query: q, key: q, value: q, attnMask: Tensor.ones([3, 4], dtype: .bool))
        }
        expectStandardError(r, contains: AttentionGoldens.sdpaMaskShapeError)
        r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let q = Tensor.zeros([2, 3, 4, 8])
            _ = scaledDotProductAttention(query: q, key: q[0..., 0..., 0..., 0..<7], value: q)
        }
        expectStandardError(r, contains: AttentionGoldens.sdpaHeadDimError)
    }
}

/// A module golden's parts, read from AttentionGoldens by label.
private struct ModuleGolden {
    let names: [String], keys: [String], shapes: [[Int]], initial: [[Double]], text: String
    let outputs: [(values: [Double], shape: [Int], gradFn: String)]
    let grads: [[Double]]
}

/// Compares a module with its golden: names, keys, shapes, initial values,
/// printed text; then outputs, node names and gradients of `sum(output · upstream)`.
private func expectMatches(_ module: any Module, _ g: ModuleGolden, run: () -> [Tensor?],
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(module.namedParameters().map(\.name) == g.names, sourceLocation: sourceLocation)
    #expect(module.stateDict().keys == g.keys, sourceLocation: sourceLocation)
    #expect(module.parameters().map(\.shape) == g.shapes, sourceLocation: sourceLocation)
    for (p, expected) in zip(module.parameters(), g.initial) {
        // Bit-identical initialisation: the same draws in the same order.
        #expect(p.scalars(as: Double.self) == expected, "initial values", sourceLocation: sourceLocation)
    }
    #expect(module.description == g.text, sourceLocation: sourceLocation)
    let outputs = run()
    for (o, expected) in zip(outputs, g.outputs) {
        guard let o else { continue }
        expectClose(o, expected.values, shape: expected.shape, rtol: 1e-4, atol: 2e-6, sourceLocation: sourceLocation)
        #expect(o.gradFn?.name == expected.gradFn, sourceLocation: sourceLocation)
    }
    module.zeroGrad()
    weightedSum(outputs.compactMap { $0 }).backward()
    for ((name, p), expected) in zip(module.namedParameters(), g.grads) {
        if expected.isEmpty {
            #expect(p.grad == nil, "\(name) gets no gradient", sourceLocation: sourceLocation)
        } else if let gradient = p.grad {
            expectClose(gradient, expected, shape: p.shape, rtol: 1e-3, atol: 1e-6, sourceLocation: sourceLocation)
        } else {
            Issue.record("\(name) has no gradient", sourceLocation: sourceLocation)
        }
    }
}

extension LearningTests {
    @Suite("MultiheadAttention and Transformer layers") struct TransformerModuleTests {
        typealias G = AttentionGoldens

        @Test func multiheadSelfAttention() {
            Tensor.manualSeed(0)
            let mha = MultiheadAttention(embedDim: 8, numHeads: 2)
            let x = input([4, 2, 8], 0).requiringGrad()
            let g = ModuleGolden(names: G.mhaNames, keys: G.mhaKeys, shapes: G.mhaShapes, initial: G.mhaInit, text: G.mhaText,
                                 outputs: [(G.mhaOutput0, G.mhaOutputShape0, G.mhaGradFn0), (G.mhaOutput1, G.mhaOutputShape1, G.mhaGradFn1),
                                           (G.mhaOutput2, G.mhaOutputShape2, G.mhaGradFn2)], grads: G.mhaGrads)
            expectMatches(mha, g) {
                let (o, w) = mha(x, key: x, value: x)
                let (o2, w2) = mha(x, key: x, value: x, needWeights: false)
                #expect(w2 == nil)
                return [o, w, o2]
            }
            expectClose(x.grad!, G.mhaInputGrad, shape: [4, 2, 8], rtol: 1e-3, atol: 1e-6)
        }

        @Test func multiheadCrossAttentionWithMasks() {
            Tensor.manualSeed(1)
            let mha = MultiheadAttention(embedDim: 8, numHeads: 2, addBiasKV: true, kdim: 6, vdim: 5, batchFirst: true)
            let q = input([2, 3, 8], 0), k = input([2, 4, 6], 1), v = input([2, 4, 5], 2)
            let padding = boolTensor([false, false, true, false, false, true, false, false], [2, 4])
            let mask = boolTensor([false, true, false, false, false, false, false, true, true, false, false, false], [3, 4])
            let g = ModuleGolden(names: G.mhaCrossNames, keys: G.mhaCrossKeys, shapes: G.mhaCrossShapes, initial: G.mhaCrossInit,
                                 text: G.mhaCrossText,
                                 outputs: [(G.mhaCrossOutput0, G.mhaCrossOutputShape0, G.mhaCrossGradFn0),
                                           (G.mhaCrossOutput1, G.mhaCrossOutputShape1, G.mhaCrossGradFn1),
                                           (G.mhaCrossOutput2, G.mhaCrossOutputShape2, G.mhaCrossGradFn2)], grads: G.mhaCrossGrads)
            expectMatches(mha, g) {
                let (o, w) = mha(q, key: k, value: v, keyPaddingMask: padding, attnMask: mask, averageAttnWeights: false)
                let (o2, _) = mha(q, key: k, value: v, keyPaddingMask: padding, needWeights: false, attnMask: mask)
                return [o, w, o2]
            }
        }

        @Test func multiheadUnbatchedCausal() {
            Tensor.manualSeed(2)
            let mha = MultiheadAttention(embedDim: 8, numHeads: 4, bias: false, addZeroAttn: true)
            let x = input([3, 8], 1)
            let causal = Transformer.generateSquareSubsequentMask(3)
            let g = ModuleGolden(names: G.mhaUnbatchedNames, keys: G.mhaUnbatchedKeys, shapes: G.mhaUnbatchedShapes,
                                 initial: G.mhaUnbatchedInit, text: G.mhaUnbatchedText,
                                 outputs: [(G.mhaUnbatchedOutput0, G.mhaUnbatchedOutputShape0, G.mhaUnbatchedGradFn0),
                                           (G.mhaUnbatchedOutput1, G.mhaUnbatchedOutputShape1, G.mhaUnbatchedGradFn1),
                                           (G.mhaUnbatchedOutput2, G.mhaUnbatchedOutputShape2, G.mhaUnbatchedGradFn2)],
                                 grads: G.mhaUnbatchedGrads)
            expectMatches(mha, g) {
                let (o, w) = mha(x, key: x, value: x, attnMask: causal)
                let (o2, _) = mha(x, key: x, value: x, needWeights: false, attnMask: causal, isCausal: true)
                return [o, w, o2]
            }
        }

        @Test func encoderLayerPostNorm() {
            Tensor.manualSeed(3)
            let layer = TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0)
            let src = input([5, 2, 8], 0)
            let padding = boolTensor([false, false, false, false, false, false, false, false, true, true], [2, 5])
            let g = ModuleGolden(names: G.encoderLayerNames, keys: G.encoderLayerKeys, shapes: G.encoderLayerShapes,
                                 initial: G.encoderLayerInit, text: G.encoderLayerText,
                                 outputs: [(G.encoderLayerOutput0, G.encoderLayerOutputShape0, G.encoderLayerGradFn0)],
                                 grads: G.encoderLayerGrads)
            expectMatches(layer, g) { [layer(src, srcKeyPaddingMask: padding)] }
        }

        @Test func encoderLayerPreNormGELUEval() {
            Tensor.manualSeed(4)
            let layer = TransformerEncoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0.1, activation: .gelu,
                                                batchFirst: true, normFirst: true)
            layer.eval()
            let src = input([2, 5, 8], 1)
            let g = ModuleGolden(names: G.encoderLayerPreNormNames, keys: G.encoderLayerPreNormKeys,
                                 shapes: G.encoderLayerPreNormShapes, initial: G.encoderLayerPreNormInit,
                                 text: G.encoderLayerPreNormText,
                                 outputs: [(G.encoderLayerPreNormOutput0, G.encoderLayerPreNormOutputShape0, G.encoderLayerPreNormGradFn0)],
                                 grads: G.encoderLayerPreNormGrads)
            expectMatches(layer, g) {
                [layer(src, srcMask: Transformer.generateSquareSubsequentMask(5), isCausal: true)]
            }
        }

        @Test func decoderLayerPostNorm() {
            Tensor.manualSeed(5)
            let layer = TransformerDecoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0)
            let tgt = input([4, 2, 8], 2), memory = input([5, 2, 8], 3)
            let padding = boolTensor([false, false, false, false, false, false, false, false, true, true], [2, 5])
            let g = ModuleGolden(names: G.decoderLayerNames, keys: G.decoderLayerKeys, shapes: G.decoderLayerShapes,
                                 initial: G.decoderLayerInit, text: G.decoderLayerText,
                                 outputs: [(G.decoderLayerOutput0, G.decoderLayerOutputShape0, G.decoderLayerGradFn0)],
                                 grads: G.decoderLayerGrads)
            expectMatches(layer, g) {
                [layer(tgt, memory: memory, tgtMask: Transformer.generateSquareSubsequentMask(4), memoryKeyPaddingMask: padding)]
            }
        }

        @Test func decoderLayerPreNorm() {
            Tensor.manualSeed(6)
            let layer = TransformerDecoderLayer(dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, activation: .gelu,
                                                batchFirst: true, normFirst: true)
            let tgt = input([2, 4, 8], 2), memory = input([2, 5, 8], 3)
            let g = ModuleGolden(names: G.decoderLayerPreNormNames, keys: G.decoderLayerPreNormKeys,
                                 shapes: G.decoderLayerPreNormShapes, initial: G.decoderLayerPreNormInit,
                                 text: G.decoderLayerPreNormText,
                                 outputs: [(G.decoderLayerPreNormOutput0, G.decoderLayerPreNormOutputShape0, G.decoderLayerPreNormGradFn0)],
                                 grads: G.decoderLayerPreNormGrads)
            expectMatches(layer, g) { [layer(tgt, memory: memory)] }
        }

        @Test func encoderStackClonesTheLayer() {
            Tensor.manualSeed(7)
            let encoder = TransformerEncoder(TransformerEncoderLayer(dModel: 4, nhead: 2, dimFeedforward: 8, dropout: 0),
                                             numLayers: 2, norm: LayerNorm(4))
            let src = input([5, 2, 4], 0)
            let g = ModuleGolden(names: G.encoderNames, keys: G.encoderKeys, shapes: G.encoderShapes, initial: G.encoderInit,
                                 text: G.encoderText, outputs: [(G.encoderOutput0, G.encoderOutputShape0, G.encoderGradFn0)],
                                 grads: G.encoderGrads)
            expectMatches(encoder, g) { [encoder(src, mask: Transformer.generateSquareSubsequentMask(5))] }
            let layers = encoder.layers
            #expect(layers[0] !== layers[1])
            #expect(layers[0].selfAttn.inProjWeight!.equal(layers[1].selfAttn.inProjWeight!))
        }

        @Test func decoderStack() {
            Tensor.manualSeed(8)
            let decoder = TransformerDecoder(TransformerDecoderLayer(dModel: 4, nhead: 2, dimFeedforward: 8, dropout: 0), numLayers: 2)
            let tgt = input([4, 2, 4], 2), memory = input([5, 2, 4], 3)
            let g = ModuleGolden(names: G.decoderNames, keys: G.decoderKeys, shapes: G.decoderShapes, initial: G.decoderInit,
                                 text: G.decoderText, outputs: [(G.decoderOutput0, G.decoderOutputShape0, G.decoderGradFn0)],
                                 grads: G.decoderGrads)
            expectMatches(decoder, g) { [decoder(tgt, memory: memory, tgtMask: Transformer.generateSquareSubsequentMask(4))] }
        }

        @Test func transformer() {
            #expect(Transformer.generateSquareSubsequentMask(3).scalars(as: Double.self) == G.squareSubsequentMask)
            Tensor.manualSeed(9)
            let model = Transformer(dModel: 4, nhead: 2, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 8, dropout: 0)
            let src = input([5, 2, 4], 0), tgt = input([4, 2, 4], 2)
            let padding = boolTensor([false, false, false, false, false, false, false, false, true, true], [2, 5])
            let g = ModuleGolden(names: G.transformerNames, keys: G.transformerKeys, shapes: G.transformerShapes,
                                 initial: G.transformerInit, text: G.transformerText,
                                 outputs: [(G.transformerOutput0, G.transformerOutputShape0, G.transformerGradFn0)],
                                 grads: G.transformerGrads)
            expectMatches(model, g) {
                [model(src, tgt, tgtMask: Transformer.generateSquareSubsequentMask(4), srcKeyPaddingMask: padding)]
            }
        }

        @Test func transformerDefaults() {
            let model = Transformer(generator: Generator(seed: 1))
            #expect(model.stateDict().keys.count == G.transformerDefaultKeyCount)
            #expect(model.encoder.layers.count == 6 && model.decoder.layers.count == 6)
            #expect(model.encoder.layers[0].linear1.outFeatures == 2048)
            #expect(model.encoder.layers[0].dropout.p == 0.1)
        }

        @Test func safetensorsFixtureReproducesPyTorch() throws {
            let data = try #require(Data(base64Encoded: G.fixture.filter { !$0.isWhitespace }))
            let state = try Safetensors.decode(data).tensors
            let model = Transformer(dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16,
                                    dropout: 0.1, batchFirst: true, normFirst: true, generator: Generator(seed: 99))
            try model.loadStateDict(state)
            model.eval()
            let out = withNoGrad {
                model(input([2, 5, 8], 0), input([2, 4, 8], 2), tgtMask: Transformer.generateSquareSubsequentMask(4))
            }
            expectClose(out, G.fixtureOutput, shape: [2, 4, 8], rtol: 1e-4, atol: 1e-5)
        }

        @Test func gradCheckMultiheadAttentionFloat64() {
            let mha = MultiheadAttention(embedDim: 4, numHeads: 2, addBiasKV: true, dtype: .float64, generator: Generator(seed: 4))
            let x = input([3, 2, 4], 0, dtype: .float64).requiringGrad()
            let padding = boolTensor([false, false, true, false, false, false], [2, 3])
            expectGradientsMatch({ i in mha(i[0], key: i[0], value: i[0], keyPaddingMask: padding, needWeights: false).output }, inputs: [x])
            expectGradientsMatch({ i in mha(i[0], key: i[0], value: i[0], keyPaddingMask: padding).weights! }, inputs: [x])
        }

        @Test func moduleErrorsAreWordedAsPyTorchs() async {
            var r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = MultiheadAttention(embedDim: 6, numHeads: 4)
            }
            expectStandardError(r, contains: G.mhaDivisibleError)
            r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = MultiheadAttention(embedDim: 0, numHeads: 4)
            }
            expectStandardError(r, contains: G.mhaPositiveError)
            r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let m = MultiheadAttention(embedDim: 8, numHeads: 2)
                let x = Tensor.zeros([4, 2, 8]), kv = Tensor.zeros([5, 2, 8])
                _ = m(x, key: kv, value: kv, attnMask: Tensor.ones([3, 4], dtype: .bool))
            }
            expectStandardError(r, contains: G.mha2DMaskError)
            r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let m = MultiheadAttention(embedDim: 8, numHeads: 2)
                let x = Tensor.zeros([4, 2, 8]), kv = Tensor.zeros([5, 2, 8])
                _ = m(x, key: kv, value: kv, attnMask: Tensor.ones([2, 4, 5], dtype: .bool))
            }
            expectStandardError(r, contains: G.mha3DMaskError)
            r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let m = MultiheadAttention(embedDim: 8, numHeads: 2)
                let x = Tensor.zeros([4, 2, 8]), kv = Tensor.zeros([5, 2, 8])
                _ = m(x, key: kv, value: kv, keyPaddingMask: Tensor.ones([2, 4], dtype: .bool))
            }
            expectStandardError(r, contains: G.mhaPaddingMaskError)
            r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let m = MultiheadAttention(embedDim: 8, numHeads: 2)
                _ = m(Tensor.zeros([4, 2, 6]), key: Tensor.zeros([5, 2, 8]), value: Tensor.zeros([5, 2, 8]))
            }
            expectStandardError(r, contains: G.mhaEmbedError)
            r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let m = MultiheadAttention(embedDim: 8, numHeads: 2)
                _ = m(Tensor.zeros([1, 4, 2, 8]), key: Tensor.zeros([5, 2, 8]), value: Tensor.zeros([5, 2, 8]))
            }
            expectStandardError(r, contains: G.mhaRankError)
            r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let m = MultiheadAttention(embedDim: 8, numHeads: 2)
                let x = Tensor.zeros([4, 2, 8])
                _ = m(x, key: x, value: x, isCausal: true)
            }
            expectStandardError(r, contains: G.mhaCausalError)
            r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let t = Transformer(dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16)
                _ = t(Tensor.zeros([3, 2, 8]), Tensor.zeros([3, 4, 8]))
            }
            expectStandardError(r, contains: G.transformerBatchError)
            r = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                let t = Transformer(dModel: 8, nhead: 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 16)
                _ = t(Tensor.zeros([3, 2, 8]), Tensor.zeros([3, 2, 6]))
            }
            expectStandardError(r, contains: G.transformerFeatureError)
        }
    }
}
