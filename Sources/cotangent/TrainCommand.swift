import ArgumentParser
import Cotangent
import Foundation

/// `cotangent train ...`: the training examples of D2L chapters 3 and 4.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the D2L chapter 3-4 examples: linear regression from scratch, softmax regression and an MLP on the digits.",
        subcommands: [LinearRegressionCommand.self, SoftmaxCommand.self, MLPCommand.self, LeNetCommand.self, ResNetCommand.self,
                      RNNLanguageModelCommand.self, GRULanguageModelCommand.self, TransformerCommand.self]  // vision: TrainVisionCommand.swift; recurrent: TrainRNNCommand.swift; TrainTransformerCommand.swift
    )
}

/// Options every training example takes; each example has its own defaults.
struct TrainingOptions: ParsableArguments {
    @Option(help: "Passes over the training data.")
    var epochs: Int?

    @Option(name: .customLong("batch-size"), help: "Examples per minibatch.")
    var batchSize: Int?

    @Option(name: [.customLong("lr"), .customLong("learning-rate")], help: "The learning rate.")
    var learningRate: Double?

    @Option(help: "The seed of the random number generator (as torch.manual_seed).")
    var seed: Int = 0

    @Option(help: ArgumentHelp("Write the training loss and accuracy by epoch to an SVG file.", valueName: "file.svg"))
    var plot: String?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let learningRate, !(learningRate > 0) { throw ValidationError("--lr must be positive") }
    }
}

/// Seconds since `start`.
func secondsSince(_ start: ContinuousClock.Instant) -> Double {
    let d = start.duration(to: .now)
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

// MARK: Linear regression from scratch (D2L 3.2)

/// D2L 3.2: linear regression with everything written by hand: the model, the
/// squared loss and minibatch SGD on each parameter's `.grad`.
struct LinearRegressionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linear-regression",
        abstract: "D2L 3.2: linear regression from scratch on synthetic data (recovers w = [2, -3.4], b = 4.2)."
    )

    @OptionGroup var options: TrainingOptions

    func run() throws {
        let epochs = options.epochs ?? 3, batchSize = options.batchSize ?? 10, lr = options.learningRate ?? 0.03
        Tensor.manualSeed(options.seed)
        let trueW = Tensor([2, -3.4]), trueB = 4.2
        let (features, labels) = syntheticData(w: trueW, b: trueB, count: 1000)

        // The model's parameters, initialised as D2L does.
        let w = Tensor.normal(mean: 0, std: 0.01, shape: [2, 1], requiresGrad: true)
        let b = Tensor.zeros(1, requiresGrad: true)
        func linreg(_ x: Tensor) -> Tensor { x.matmul(w) + b }
        func squaredLoss(_ yHat: Tensor, _ y: Tensor) -> Tensor { (yHat - y.reshaped(yHat.shape)).pow(2) / 2 }
        /// Minibatch stochastic gradient descent, updating in place without recording.
        func sgd(_ parameters: [Tensor], learningRate: Double, batchSize: Int) {
            withNoGrad {
                for p in parameters {
                    p -= learningRate * p.grad! / Double(batchSize)
                    p.grad!.zero()
                }
            }
        }

        let loader = DataLoader(TensorDataset(features, labels), batchSize: batchSize, shuffle: true)
        var progress = TrainingProgress(epochs: epochs)
        var losses: [Double] = []
        let start = ContinuousClock.now
        for epoch in 1...epochs {
            progress.startEpoch(epoch, batches: loader.count)
            var totals = TrainingProgress.Totals()
            for (i, batch) in loader.enumerated() {
                let (x, y) = (batch[0], batch[1])
                let l = squaredLoss(linreg(x), y)
                l.sum().backward()
                sgd([w, b], learningRate: lr, batchSize: batchSize)
                totals.loss += withNoGrad { l.sum().item() }
                totals.seen += x.shape[0]
                progress.batchDone(i + 1, totals, showsAccuracy: false)
            }
            // D2L reports the loss on the whole training set after each epoch.
            let trainLoss = withNoGrad { squaredLoss(linreg(features), labels).mean().item() }
            losses.append(trainLoss)
            totals.loss = trainLoss * Double(totals.seen)
            progress.finishEpoch(totals, testAccuracy: nil)
        }
        let seconds = secondsSince(start)

        let wError = withNoGrad { trueW - w.reshaped(trueW.shape) }
        let bError = withNoGrad { trueB - b }
        print("error in estimating w: \(wError)")
        print("error in estimating b: \(bError)")
        let learned = w.scalars(as: Double.self)
        print(String(format: "learned w = [%.4f, %.4f], b = %.4f in %.2f s", learned[0], learned[1], b.item(), seconds))
        if let path = options.plot {
            try SVGPlot(title: "Linear regression from scratch (D2L 3.2)",
                        series: [.init(name: "train loss", values: losses, color: "#1f77b4", onRightAxis: false, dashed: false)],
                        leftLabel: "squared loss", rightLabel: nil).write(to: path)
            print("wrote \(path)")
        }
        let worst = max(wError.abs().max().item(), bError.abs().max().item())
        if worst >= 0.01 {
            print("the estimate is off by \(worst), more than 0.01")
            throw ExitCode.failure
        }
    }
}

// MARK: Classifiers on the digits (D2L 3.7 and 4.3)

/// What a classifier run produced.
struct ClassifierResult {
    let testAccuracy: Double
    let seconds: Double
}

/// Trains a classifier on the bundled digits with minibatch SGD and cross-entropy,
/// reporting each epoch, and returns the final test accuracy.
func trainDigitsClassifier(title: String, model: any Module, epochs: Int, batchSize: Int, learningRate: Double,
                           momentum: Double, plot: String?) throws -> ClassifierResult {
    let train = try Digits.load(.train), test = try Digits.load(.test)
    let data = ImageClassificationData(name: "digits", trainImages: train.tensors[0], trainLabels: train.tensors[1],
                                       testImages: test.tensors[0], testLabels: test.tensors[1],
                                       classes: (0..<10).map(String.init), attribution: Digits.attribution)
    let optimizer = SGD(model.parameters(), learningRate: learningRate, momentum: momentum)
    return try trainImageClassifier(title: title, model: model, data: data, optimizer: optimizer,
                                    epochs: epochs, batchSize: batchSize, plot: plot)
}

/// Prints the line that ends a classifier run.
func report(_ name: String, _ result: ClassifierResult, epochs: Int) {
    print(String(format: "%@: test accuracy %.1f%% (%d test images) after %d epochs in %.2f s",
                 name, result.testAccuracy * 100, Digits.sampleCount - Digits.trainCount, epochs, result.seconds))
}

/// D2L 3.7: softmax regression, one linear layer and cross-entropy, on the digits.
struct SoftmaxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "softmax",
        abstract: "D2L 3.7: softmax regression on the bundled 8x8 digits."
    )

    @OptionGroup var options: TrainingOptions

    func run() throws {
        let epochs = options.epochs ?? 20
        Tensor.manualSeed(options.seed)
        let layer = Linear(64, 10)
        // D2L initialises the weights with N(0, 0.01²).
        Init.normal(layer.weight, std: 0.01)
        let model = Sequential {
            Flatten()
            layer
        }
        let result = try trainDigitsClassifier(
            title: "Softmax regression on the digits (D2L 3.7)", model: model, epochs: epochs,
            batchSize: options.batchSize ?? 64, learningRate: options.learningRate ?? 0.1, momentum: 0.9, plot: options.plot)
        report("softmax regression", result, epochs: epochs)
        print(Digits.attribution)
    }
}

/// D2L 4.3: a multilayer perceptron with one hidden layer of 256 ReLUs, on the digits.
struct MLPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlp",
        abstract: "D2L 4.3: an MLP (64-256-10, ReLU) on the bundled 8x8 digits."
    )

    @OptionGroup var options: TrainingOptions

    func run() throws {
        let result = try Self.train(options: options)
        report("MLP", result, epochs: options.epochs ?? Self.defaultEpochs)
        print(Digits.attribution)
    }

    static let defaultEpochs = 20

    /// Trains the MLP with PyTorch's default initialisation and SGD with momentum.
    static func train(options: TrainingOptions) throws -> ClassifierResult {
        Tensor.manualSeed(options.seed)
        let model = Sequential {
            Flatten()
            Linear(64, 256)
            ReLU()
            Linear(256, 10)
        }
        return try trainDigitsClassifier(
            title: "MLP on the digits (D2L 4.3)", model: model, epochs: options.epochs ?? defaultEpochs,
            batchSize: options.batchSize ?? 64, learningRate: options.learningRate ?? 0.1, momentum: 0.9,
            plot: options.plot)
    }
}
