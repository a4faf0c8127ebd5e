import ArgumentParser
import Cotangent
import Foundation

// `cotangent train rnn` and `cotangent train gru`: D2L 9.6 / 10.2's
// character-level language models (the concise versions on nn.RNN / nn.GRU),
// on the bundled "Alice's Adventures in Wonderland" in place of the book's
// "The Time Machine".

/// The options of the language-model examples (the book's defaults differ per model).
struct LanguageModelOptions: ParsableArguments {
    @OptionGroup var training: TrainingOptions

    @Option(help: "Hidden units of the recurrent layer.")
    var hidden: Int = 32

    @Option(name: .customLong("num-steps"), help: "Characters per training subsequence.")
    var numSteps: Int = 32

    @Option(help: "The prefix the model continues after training.")
    var prefix: String = "it has"

    @Option(help: "Characters to predict after the prefix.")
    var predict: Int = 50

    @Option(name: .customLong("clip"), help: "Clip the gradient norm to this value (D2L's gradient_clip_val).")
    var clip: Double = 1

    func validate() throws {
        if hidden < 1 { throw ValidationError("--hidden must be at least 1") }
        if numSteps < 1 { throw ValidationError("--num-steps must be at least 1") }
        if !(clip > 0) { throw ValidationError("--clip must be positive") }
        if TextData.preprocess(prefix).isEmpty || TextData.preprocess(prefix) == " " {
            throw ValidationError("--prefix must contain a letter")
        }
    }
}

/// D2L's `RNNLM`: one-hot characters, a recurrent layer, and a linear output layer at every step.
final class CharLanguageModel: Module {
    let rnn: RNNBase
    let output: Linear
    let vocabSize: Int

    init(rnn: RNNBase, vocabSize: Int) {
        self.rnn = rnn
        self.vocabSize = vocabSize
        output = Linear(rnn.hiddenSize, vocabSize)
    }

    /// Logits `[T·batch, vocab]` for inputs `[batch, T]`, time-major as the book's `X.T`,
    /// and the final hidden state.
    func logits(_ x: Tensor, state: Tensor?) -> (logits: Tensor, state: Tensor) {
        let embedded = oneHot(x.t(), numClasses: vocabSize).to(.float32)     // [T, batch, vocab]
        let (outputs, hN) = (rnn as! RecurrentLayerCalls).run(embedded, hidden: state)
        return (output(outputs.reshaped(-1, rnn.hiddenSize)), hN)
    }

    func forward(_ input: Tensor) -> Tensor { logits(input, state: nil).logits }

    /// D2L 9.5's `predict`: warm up on `prefix`, then append the most likely next character `count` times.
    func predict(_ prefix: String, count: Int, vocab: Vocab) -> String {
        let tokens = TextData.tokenize(TextData.preprocess(prefix))
        var outputs = [vocab[tokens[0]]]
        var state: Tensor? = nil
        withNoGrad {
            for i in 0..<(tokens.count + count - 1) {
                let x = Tensor(shape: [1, 1], scalars: [Int64(outputs[outputs.count - 1])])
                let (y, next) = logits(x, state: state)
                state = next
                if i < tokens.count - 1 {
                    outputs.append(vocab[tokens[i + 1]])
                } else {
                    outputs.append(Int(y.argmax(dim: 1).item()))
                }
            }
        }
        return vocab.tokens(at: outputs).joined()
    }
}

/// Lets the language model call RNN and GRU alike (both take and return one hidden tensor).
protocol RecurrentLayerCalls {
    func run(_ input: Tensor, hidden: Tensor?) -> (output: Tensor, hidden: Tensor)
}
extension RNN: RecurrentLayerCalls {
    func run(_ input: Tensor, hidden: Tensor?) -> (output: Tensor, hidden: Tensor) { self(input, hidden: hidden) }
}
extension GRU: RecurrentLayerCalls {
    func run(_ input: Tensor, hidden: Tensor?) -> (output: Tensor, hidden: Tensor) { self(input, hidden: hidden) }
}

/// Trains a character-level language model as D2L 9.6 / 10.2 do: windows of
/// `numSteps + 1` characters (10,000 to train, 5,000 to validate), shuffled
/// minibatches, SGD, cross-entropy over every step, gradient clipping; reports
/// perplexity per epoch and a greedy continuation of the prefix.
func trainLanguageModel(title: String, kind: String, options: LanguageModelOptions, defaultEpochs: Int,
                        defaultLearningRate: Double, makeLayer: (_ vocabSize: Int, _ hidden: Int) -> RNNBase) throws {
    let epochs = options.training.epochs ?? defaultEpochs
    let batchSize = options.training.batchSize ?? 1024
    let lr = options.training.learningRate ?? defaultLearningRate
    Tensor.manualSeed(options.training.seed)
    let corpus = TextCorpus(try TextData.aliceInWonderland())
    let (x, y) = corpus.windows(numSteps: options.numSteps)
    let numTrain = min(10_000, x.shape[0]), numVal = min(5_000, x.shape[0] - numTrain)
    let train = TensorDataset(x.slice(dim: 0, start: 0, end: numTrain), y.slice(dim: 0, start: 0, end: numTrain))
    let (valX, valY) = (x.slice(dim: 0, start: numTrain, end: numTrain + numVal),
                        y.slice(dim: 0, start: numTrain, end: numTrain + numVal))
    let model = CharLanguageModel(rnn: makeLayer(corpus.vocab.count, options.hidden), vocabSize: corpus.vocab.count)
    let optimizer = SGD(model.parameters(), learningRate: lr)
    let loss = CrossEntropyLoss()
    let loader = DataLoader(train, batchSize: batchSize, shuffle: true)
    print("\(title): \(corpus.tokens.count) characters, vocabulary of \(corpus.vocab.count); \(model.rnn)")

    var progress = TrainingProgress(epochs: epochs)
    var trainPerplexities: [Double] = [], valPerplexities: [Double] = []
    let start = ContinuousClock.now
    for epoch in 1...epochs {
        progress.startEpoch(epoch, batches: loader.count)
        let epochStart = ContinuousClock.now
        var totals = TrainingProgress.Totals()
        for (i, batch) in loader.enumerated() {
            let (inputs, targets) = (batch[0], batch[1])
            optimizer.zeroGrad()
            let l = loss(model.logits(inputs, state: nil).logits, targets.t().reshaped(-1))
            l.backward()
            clipGradNorm(model.parameters(), maxNorm: options.clip)
            optimizer.step()
            // Totals count characters, so meanLoss is the mean cross-entropy per character.
            totals.loss += l.item() * Double(targets.count)
            totals.seen += targets.count
            progress.batchDone(i + 1, totals, showsAccuracy: false)
        }
        let valLoss = numVal > 0
            ? withNoGrad { loss(model.logits(valX, state: nil).logits, valY.t().reshaped(-1)).item() } : .nan
        trainPerplexities.append(exp(totals.meanLoss))
        valPerplexities.append(exp(valLoss))
        let seconds = secondsSince(epochStart)
        let width = String(epochs).count
        let label = "epoch " + String(repeating: " ", count: width - String(epoch).count) + "\(epoch)/\(epochs)"
        let line = String(format: "%@: train perplexity %.2f, validation perplexity %.2f, %@ chars/s",
                          label, exp(totals.meanLoss), exp(valLoss),
                          TrainingProgress.grouped(Double(totals.seen) / max(seconds, 1e-9)))
        print(progress.isTerminal ? "\r" + line + "\u{1B}[K" : line)
        fflush(nil)
    }
    let seconds = secondsSince(start)
    print(String(format: "%@: train perplexity %.2f, validation perplexity %.2f after %d epochs in %.1f s",
                 kind, trainPerplexities.last ?? .nan, valPerplexities.last ?? .nan, epochs, seconds))
    print("\(options.prefix) -> \(model.predict(options.prefix, count: options.predict, vocab: corpus.vocab))")
    if let path = options.training.plot {
        try SVGPlot(title: title, series: [
            .init(name: "train perplexity", values: trainPerplexities, color: "#1f77b4", onRightAxis: false, dashed: false),
            .init(name: "validation perplexity", values: valPerplexities, color: "#2ca02c", onRightAxis: false, dashed: true),
        ], leftLabel: "perplexity", rightLabel: nil).write(to: path)
        print("wrote \(path)")
    }
}

/// D2L 9.6: an RNN (tanh, 32 hidden units) language model, SGD with lr 1, 100 epochs.
struct RNNLanguageModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rnn",
        abstract: "D2L 9.6: a character-level RNN language model on Alice's Adventures in Wonderland."
    )

    @OptionGroup var options: LanguageModelOptions

    func run() throws {
        try trainLanguageModel(title: "RNN language model (D2L 9.6)", kind: "RNN", options: options,
                               defaultEpochs: 100, defaultLearningRate: 1) { RNN($0, $1) }
    }
}

/// D2L 10.2: a GRU (32 hidden units) language model, SGD with lr 4, 50 epochs.
struct GRULanguageModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gru",
        abstract: "D2L 10.2: a character-level GRU language model on Alice's Adventures in Wonderland."
    )

    @OptionGroup var options: LanguageModelOptions

    func run() throws {
        try trainLanguageModel(title: "GRU language model (D2L 10.2)", kind: "GRU", options: options,
                               defaultEpochs: 50, defaultLearningRate: 4) { GRU($0, $1) }
    }
}
