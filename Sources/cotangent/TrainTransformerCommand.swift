import ArgumentParser
import Cotangent
import Foundation

/// `cotangent train transformer`: a Transformer encoder learns to reverse digit
/// sequences (D2L chapter 11's attention machinery on a task that needs no
/// download), reporting loss and whole-sequence accuracy each epoch.
struct TransformerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transformer",
        abstract: "D2L 11: a Transformer encoder that reverses random digit sequences (sequence accuracy on held-out sequences)."
    )

    @OptionGroup var options: TrainingOptions

    @Option(help: "Digits per sequence.")
    var length: Int = 8

    @Option(name: .customLong("train-size"), help: "Training sequences.")
    var trainSize: Int = 8192

    @Option(name: .customLong("test-size"), help: "Held-out sequences, none of them in the training set.")
    var testSize: Int = 1024

    func validate() throws {
        if length < 2 { throw ValidationError("--length must be at least 2") }
        if trainSize < 1 || testSize < 1 { throw ValidationError("--train-size and --test-size must be positive") }
    }

    func run() throws {
        let epochs = options.epochs ?? 4
        Tensor.manualSeed(options.seed)
        let (train, test) = ReversalData.make(length: length, trainCount: trainSize, testCount: testSize)
        let model = DigitReverser(length: length)
        print("model: \(model.parameterCount) parameters; \(trainSize) training and \(testSize) held-out sequences of \(length) digits")
        let result = try fit(model, train: train, test: test, epochs: epochs,
                             batchSize: options.batchSize ?? 64, learningRate: options.learningRate ?? 0.003)
        print(String(format: "transformer: held-out sequence accuracy %.1f%% (%d sequences of %d digits, reversed) after %d epochs in %.2f s",
                     result.testAccuracy * 100, testSize, length, epochs, result.seconds))
    }

    private func fit(_ model: DigitReverser, train: (Tensor, Tensor), test: (Tensor, Tensor), epochs: Int,
                       batchSize: Int, learningRate: Double) throws -> ClassifierResult {
        let optimizer = AdamW(model.parameters(), learningRate: learningRate, weightDecay: 0.01)
        let lossFunction = CrossEntropyLoss()
        let (x, y) = train
        let n = x.shape[0], batches = (n + batchSize - 1) / batchSize
        let steps = epochs * batches
        var step = 0

        /// Sequences whose every digit is right.
        func sequencesCorrect(_ logits: Tensor, _ target: Tensor) -> Int {
            Int((logits.argmax(dim: -1) .== target).all(dim: 1).sum().item())
        }

        var progress = TrainingProgress(epochs: epochs)
        var losses: [Double] = [], trainAccuracies: [Double] = [], testAccuracies: [Double] = []
        let start = ContinuousClock.now
        for epoch in 1...epochs {
            model.train()
            progress.startEpoch(epoch, batches: batches)
            var totals = TrainingProgress.Totals()
            let order = Tensor.randperm(n)
            for b in 0..<batches {
                let index = order[(b * batchSize)..<Swift.min(n, (b + 1) * batchSize)]
                let (xb, yb) = (x.indexSelect(dim: 0, index), y.indexSelect(dim: 0, index))
                // A linear warm-up over the first 10% of steps, then a linear decay.
                step += 1
                let warmup = Swift.max(1, steps / 10)
                let scale = step <= warmup ? Double(step) / Double(warmup)
                    : Swift.max(0.05, Double(steps - step) / Double(Swift.max(1, steps - warmup)))
                optimizer.learningRate = learningRate * scale
                optimizer.zeroGrad()
                let logits = model(xb)                                   // [batch, length, 10]
                let loss = lossFunction(logits.reshaped(-1, 10), yb.reshaped(-1))
                loss.backward()
                optimizer.step()
                totals.loss += loss.item() * Double(xb.shape[0])
                totals.correct += withNoGrad { sequencesCorrect(logits, yb) }
                totals.seen += xb.shape[0]
                progress.batchDone(b + 1, totals, showsAccuracy: true)
            }
            model.eval()
            let testAccuracy = withNoGrad { Double(sequencesCorrect(model(test.0), test.1)) / Double(test.0.shape[0]) }
            losses.append(totals.meanLoss)
            trainAccuracies.append(totals.accuracy)
            testAccuracies.append(testAccuracy)
            progress.finishEpoch(totals, testAccuracy: testAccuracy)
        }
        let seconds = secondsSince(start)
        if let plot = options.plot {
            try SVGPlot(title: "A Transformer encoder reversing digit sequences", series: [
                .init(name: "train loss", values: losses, color: "#1f77b4", onRightAxis: false, dashed: false),
                .init(name: "train sequence accuracy", values: trainAccuracies, color: "#d62728", onRightAxis: true, dashed: true),
                .init(name: "held-out sequence accuracy", values: testAccuracies, color: "#2ca02c", onRightAxis: true, dashed: false),
            ], leftLabel: "cross-entropy loss", rightLabel: "sequence accuracy").write(to: plot)
            print("wrote \(plot)")
        }
        return ClassifierResult(testAccuracy: testAccuracies.last ?? .nan, seconds: seconds)
    }
}

/// Random digit sequences and their reversals: a training set and a held-out
/// set with no sequence in common.
enum ReversalData {
    static func make(length: Int, trainCount: Int, testCount: Int) -> (train: (Tensor, Tensor), test: (Tensor, Tensor)) {
        let all = Tensor.randint(0, 10, shape: [trainCount + testCount, length])
        let rows = all.scalars(as: Int64.self)
        // Keep the held-out sequences out of the training set (rare at 10^length, but checked).
        var seen = Set<ArraySlice<Int64>>()
        var train: [Int64] = [], test: [Int64] = []
        for r in 0..<(trainCount + testCount) {
            let row = rows[(r * length)..<((r + 1) * length)]
            if r < trainCount {
                seen.insert(row)
                train += row
            } else if !seen.contains(row) {
                test += row
            }
        }
        func pair(_ values: [Int64]) -> (Tensor, Tensor) {
            let x = Tensor(shape: [values.count / length, length], scalars: values)
            return (x, x.flipped(1).contiguous())
        }
        return (pair(train), pair(test))
    }
}

/// Token and learned position embeddings, a two-layer pre-norm Transformer
/// encoder and a linear read-out of the digit at each position.
final class DigitReverser: Module {
    let tokens: Embedding
    let positions: Embedding
    let encoder: TransformerEncoder
    let head: Linear
    let length: Int
    var isTraining = true

    init(length: Int, dModel: Int = 64, heads: Int = 4, layers: Int = 2) {
        self.length = length
        tokens = Embedding(10, dModel)
        positions = Embedding(length, dModel)
        let layer = TransformerEncoderLayer(dModel: dModel, nhead: heads, dimFeedforward: 2 * dModel, dropout: 0,
                                            batchFirst: true, normFirst: true)
        encoder = TransformerEncoder(layer, numLayers: layers, norm: LayerNorm(dModel))
        head = Linear(dModel, 10)
    }

    /// `[batch, length]` digits → `[batch, length, 10]` logits of the reversed sequence.
    func forward(_ input: Tensor) -> Tensor {
        let position = Tensor.arange(length)
        return head(encoder(tokens(input) + positions(position)))
    }
}
