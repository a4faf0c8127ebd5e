import Cotangent
import Foundation

// The `d2l` package's training scaffolding (Dive into Deep Learning, 3.2), spelled
// in Swift: `d2l.Module` → `D2L.Module`, `training_step` → `trainingStep(_:)`,
// `d2l.Trainer(max_epochs=3)` → `Trainer(maxEpochs: 3)`. Hyperparameters are
// ordinary stored properties (Swift needs no `save_hyperparameters()`).

/// The base class of the book's models (`d2l.Module`): a Cotangent module with
/// a loss, training and validation steps that plot to a ``ProgressBoard``, and
/// the optimizer it trains with.
///
/// ```swift
/// final class LinearRegression: D2L.Module {
///     let net = Linear(2, 1)
///     let lr: Double
///     init(lr: Double) { self.lr = lr; super.init() }
///     override func forward(_ x: Tensor) -> Tensor { net(x) }
///     override func loss(_ yHat: Tensor, _ y: Tensor) -> Tensor { MSELoss()(yHat, y) }
///     override func configureOptimizers() -> any Optimizer { SGD(parameters(), learningRate: lr) }
/// }
/// ```
open class Module: Cotangent.Module {
    /// Plotted training points per epoch (`plot_train_per_epoch`).
    public var plotTrainPerEpoch: Int
    /// Plotted validation points per epoch (`plot_valid_per_epoch`).
    public var plotValidPerEpoch: Int
    /// Where ``plot(_:_:train:)`` draws.
    public let board = ProgressBoard()
    /// The trainer fitting this model, set by ``Trainer/fit(model:data:)``.
    public internal(set) weak var trainer: Trainer?
    public var isTraining = true

    /// Creates the model's scaffolding.
    public init(plotTrainPerEpoch: Int = 2, plotValidPerEpoch: Int = 1) {
        self.plotTrainPerEpoch = plotTrainPerEpoch
        self.plotValidPerEpoch = plotValidPerEpoch
    }

    /// The loss of predictions `yHat` against `y`; override it.
    open func loss(_ yHat: Tensor, _ y: Tensor) -> Tensor {
        fatalError("\(type(of: self)).loss(_:_:) is not implemented")
    }

    /// The model's output; override it (d2l's default calls `self.net`).
    open func forward(_ input: Tensor) -> Tensor {
        fatalError("\(type(of: self)).forward(_:) is not implemented")
    }

    /// Plots `value` under `"train_" + key` or `"val_" + key`, by epoch (`plot`).
    ///
    /// Training points are averaged over `numTrainBatches / plotTrainPerEpoch`
    /// batches and placed at the fraction of epochs done; validation points at
    /// the end of their epoch.
    public func plot(_ key: String, _ value: Tensor, train: Bool) {
        guard let trainer else { fatalError("Trainer is not inited") }
        board.xlabel = "epoch"
        let x: Double, n: Double
        if train {
            x = Double(trainer.trainBatchIdx) / Double(trainer.numTrainBatches)
            n = Double(trainer.numTrainBatches) / Double(plotTrainPerEpoch)
        } else {
            x = Double(trainer.epoch + 1)
            n = Double(trainer.numValBatches) / Double(plotValidPerEpoch)
        }
        board.draw(x, withNoGrad { value.detached().item() }, label: (train ? "train_" : "val_") + key, everyN: Int(n))
    }

    /// The loss of one batch `[inputs..., labels]`, plotted (`training_step`).
    open func trainingStep(_ batch: [Tensor]) -> Tensor {
        let l = loss(self(batch[0]), batch[batch.count - 1])
        plot("loss", l, train: true)
        return l
    }

    /// Plots the loss of one validation batch (`validation_step`).
    open func validationStep(_ batch: [Tensor]) {
        let l = loss(self(batch[0]), batch[batch.count - 1])
        plot("loss", l, train: false)
    }

    /// The optimizer to train with; override it (`configure_optimizers`).
    open func configureOptimizers() -> any Optimizer {
        fatalError("\(type(of: self)).configureOptimizers() is not implemented")
    }
}

/// A classification model (`d2l.Classifier`): cross-entropy loss, accuracy
/// plotted on validation, and minibatch SGD with ``lr``.
open class Classifier: Module {
    /// The learning rate of the default optimizer.
    public var lr: Double

    /// Creates the classifier's scaffolding.
    public init(lr: Double = 0.1, plotTrainPerEpoch: Int = 2, plotValidPerEpoch: Int = 1) {
        self.lr = lr
        super.init(plotTrainPerEpoch: plotTrainPerEpoch, plotValidPerEpoch: plotValidPerEpoch)
    }

    /// Plots the loss and the accuracy of one validation batch.
    open override func validationStep(_ batch: [Tensor]) {
        let yHat = self(batch[0])
        plot("loss", loss(yHat, batch[batch.count - 1]), train: false)
        plot("acc", accuracy(yHat, batch[batch.count - 1]), train: false)
    }

    /// The fraction of rows of `yHat` whose largest score is at the label `y`
    /// (or the 0/1 hits when `averaged` is false).
    open func accuracy(_ yHat: Tensor, _ y: Tensor, averaged: Bool = true) -> Tensor {
        let scores = yHat.reshaped(-1, yHat.shape[yHat.rank - 1])
        let predictions = scores.argmax(dim: 1).to(y.dtype)
        let compare = (predictions .== y.reshaped(-1)).to(.float32)
        return averaged ? compare.mean() : compare
    }

    /// Cross-entropy of logits `yHat` against class indices `y`.
    open override func loss(_ yHat: Tensor, _ y: Tensor) -> Tensor {
        crossEntropyLoss(yHat.reshaped(-1, yHat.shape[yHat.rank - 1]), y.reshaped(-1))
    }

    /// Minibatch SGD over the parameters with ``lr``.
    open override func configureOptimizers() -> any Optimizer {
        SGD(parameters(), learningRate: lr)
    }
}

/// The book's data scaffolding (`d2l.DataModule`): training and validation loaders.
open class DataModule {
    /// The batch size of ``tensorLoader(_:train:indices:)``.
    public var batchSize: Int

    /// Creates the data module.
    public init(batchSize: Int = 32) { self.batchSize = batchSize }

    /// The loader of one split; override it (`get_dataloader`). Nil for no validation data.
    open func dataloader(train: Bool) -> DataLoader<TensorDataset>? {
        fatalError("\(type(of: self)).dataloader(train:) is not implemented")
    }

    /// The training loader (`train_dataloader`).
    public func trainDataloader() -> DataLoader<TensorDataset> {
        guard let loader = dataloader(train: true) else { fatalError("\(type(of: self)) has no training data") }
        return loader
    }

    /// The validation loader, or nil (`val_dataloader`).
    public func valDataloader() -> DataLoader<TensorDataset>? { dataloader(train: false) }

    /// A loader over rows `indices` of `tensors`, shuffled for training (`get_tensorloader`).
    public func tensorLoader(_ tensors: [Tensor], train: Bool, indices: Range<Int>? = nil) -> DataLoader<TensorDataset> {
        let sliced = tensors.map { t in indices.map { t.slice(dim: 0, start: $0.lowerBound, end: $0.upperBound) } ?? t }
        return DataLoader(TensorDataset(sliced), batchSize: batchSize, shuffle: train)
    }
}

/// Trains a ``Module`` on a ``DataModule`` (`d2l.Trainer`): per epoch, a pass of
/// training steps (zero the gradients, backward, clip, step), then a pass of
/// validation steps without recording.
///
/// ```swift
/// let model = LinearRegression(lr: 0.03)
/// let data = SyntheticRegressionData(w: Tensor([2, -3.4]), b: 4.2)
/// let trainer = Trainer(maxEpochs: 3)
/// trainer.fit(model: model, data: data)
/// try model.board.write(to: "loss.svg")
/// ```
public final class Trainer {
    /// The number of passes over the training data.
    public let maxEpochs: Int
    /// The gradient-norm limit, or 0 for none (`gradient_clip_val`).
    public let gradientClipVal: Double
    /// The epoch being run (0-based).
    public private(set) var epoch = 0
    /// Training batches seen so far, over all epochs.
    public private(set) var trainBatchIdx = 0
    /// Validation batches seen so far, over all epochs.
    public private(set) var valBatchIdx = 0
    /// Batches per training pass.
    public private(set) var numTrainBatches = 0
    /// Batches per validation pass (0 without validation data).
    public private(set) var numValBatches = 0
    /// The optimizer of the model being fitted.
    public private(set) var optim: (any Optimizer)?

    private var trainLoader: DataLoader<TensorDataset>?
    private var valLoader: DataLoader<TensorDataset>?
    private var model: Module?

    /// Creates the trainer.
    ///
    /// - Parameters:
    ///   - maxEpochs: Passes over the training data.
    ///   - gradientClipVal: Rescales the gradients when their joint norm exceeds this (0: never).
    public init(maxEpochs: Int, gradientClipVal: Double = 0) {
        self.maxEpochs = maxEpochs
        self.gradientClipVal = gradientClipVal
    }

    /// Reads the loaders of `data` (`prepare_data`).
    public func prepareData(_ data: DataModule) {
        trainLoader = data.trainDataloader()
        valLoader = data.valDataloader()
        numTrainBatches = trainLoader!.count
        numValBatches = valLoader?.count ?? 0
    }

    /// Attaches `model` to this trainer and sets its board's x range (`prepare_model`).
    public func prepareModel(_ model: Module) {
        model.trainer = self
        model.board.xlim = 0...Double(maxEpochs)
        self.model = model
    }

    /// Trains `model` on `data` for ``maxEpochs`` epochs (`fit`).
    public func fit(model: Module, data: DataModule) {
        prepareData(data)
        prepareModel(model)
        optim = model.configureOptimizers()
        epoch = 0
        trainBatchIdx = 0
        valBatchIdx = 0
        for e in 0..<maxEpochs {
            epoch = e
            fitEpoch()
        }
    }

    /// A batch as the model takes it (`prepare_batch`; no device to move to).
    public func prepareBatch(_ batch: [Tensor]) -> [Tensor] { batch }

    /// One training pass and one validation pass (`fit_epoch`).
    public func fitEpoch() {
        guard let model, let optim, let trainLoader else { return }
        _ = model.train()
        for batch in trainLoader {
            let loss = model.trainingStep(prepareBatch(batch))
            optim.zeroGrad()
            loss.backward()
            if gradientClipVal > 0 { clipGradients(gradientClipVal, model) }
            optim.step()
            trainBatchIdx += 1
        }
        guard let valLoader else { return }
        _ = model.eval()
        for batch in valLoader {
            withNoGrad { model.validationStep(prepareBatch(batch)) }
            valBatchIdx += 1
        }
    }

    /// Scales every gradient by `gradClipVal / norm` when their joint L2 norm exceeds it (`clip_gradients`).
    public func clipGradients(_ gradClipVal: Double, _ model: Module) {
        withNoGrad {
            let params = model.parameters().filter { $0.requiresGrad && $0.grad != nil }
            guard !params.isEmpty else { return }
            let norm = params.map { ($0.grad! * $0.grad!).sum().to(.float64) }.reduce(Tensor(0.0, dtype: .float64), +).sqrt().item()
            if norm > gradClipVal {
                for p in params { p.grad! *= gradClipVal / norm }
            }
        }
    }
}

/// D2L 3.3's synthetic regression data: `y = X w + b + noise`, `X ~ N(0, 1)`
/// (`d2l.SyntheticRegressionData`), drawn from the default generator in the
/// book's order (features, then noise), so a seed gives PyTorch's values.
public final class SyntheticRegressionData: DataModule {
    /// The features, `[numTrain + numVal, w.count]`.
    public let X: Tensor
    /// The targets, `[numTrain + numVal, 1]`.
    public let y: Tensor
    /// The number of training rows (the first ones).
    public let numTrain: Int
    /// The number of validation rows.
    public let numVal: Int

    /// Draws the data set.
    ///
    /// - Parameters:
    ///   - w: The true weights, `[d]`.
    ///   - b: The true bias.
    ///   - noise: The noise's standard deviation (default 0.01).
    ///   - numTrain: Training rows (default 1000).
    ///   - numVal: Validation rows (default 1000).
    ///   - batchSize: Rows per batch (default 32).
    public init(w: Tensor, b: Double, noise: Double = 0.01, numTrain: Int = 1000, numVal: Int = 1000, batchSize: Int = 32) {
        let n = numTrain + numVal
        self.numTrain = numTrain
        self.numVal = numVal
        X = Tensor.randn(n, w.count)
        let noiseTerm = Tensor.randn(n, 1) * noise
        y = X.matmul(w.reshaped(-1, 1)) + b + noiseTerm
        super.init(batchSize: batchSize)
    }

    public override func dataloader(train: Bool) -> DataLoader<TensorDataset>? {
        tensorLoader([X, y], train: train, indices: train ? 0..<numTrain : numTrain..<(numTrain + numVal))
    }
}

/// The bundled handwritten digits (8×8, 10 classes) as a data module: the
/// stand-in for the book's Fashion-MNIST where nothing can be downloaded.
public final class DigitsData: DataModule {
    /// The training split: features `[1437, 64]` in [0, 1], labels `[1437]`.
    public let train: TensorDataset
    /// The test split, used for validation: `[360, 64]`, `[360]`.
    public let val: TensorDataset

    /// Loads both splits.
    ///
    /// - Parameters:
    ///   - batchSize: Samples per batch (default 64).
    ///   - file: A CSV in the bundled format to read instead of the bundled one, or nil.
    /// - Throws: ``DataError`` when the file is missing or malformed.
    public init(batchSize: Int = 64, file: URL? = nil) throws {
        train = try file.map { try Digits.load(.train, from: $0) } ?? Digits.load(.train)
        val = try file.map { try Digits.load(.test, from: $0) } ?? Digits.load(.test)
        super.init(batchSize: batchSize)
    }

    public override func dataloader(train: Bool) -> DataLoader<TensorDataset>? {
        DataLoader(train ? self.train : val, batchSize: batchSize, shuffle: train)
    }
}

/// Sums several quantities over minibatches (`d2l.Accumulator`).
public struct Accumulator: Sendable {
    /// The running sums.
    public private(set) var data: [Double]

    /// Creates `n` sums at zero.
    public init(_ n: Int) { data = Array(repeating: 0, count: n) }

    /// Adds one value to each sum.
    public mutating func add(_ values: Double...) {
        precondition(values.count == data.count, "Accumulator.add: expected \(data.count) values, got \(values.count)")
        for i in data.indices { data[i] += values[i] }
    }

    /// Sets every sum to zero.
    public mutating func reset() { data = Array(repeating: 0, count: data.count) }

    /// The sum at `index`.
    public subscript(index: Int) -> Double { data[index] }
}

/// Records running times (`d2l.Timer`).
public final class Timer {
    /// The recorded intervals, in seconds.
    public private(set) var times: [Double] = []
    private var tik = DispatchTime.now()

    /// Creates the timer and starts it.
    public init() { start() }

    /// Starts (or restarts) the timer.
    public func start() { tik = DispatchTime.now() }

    /// Stops the timer, records the interval and returns it, in seconds.
    @discardableResult
    public func stop() -> Double {
        times.append(Double(DispatchTime.now().uptimeNanoseconds - tik.uptimeNanoseconds) / 1e9)
        return times[times.count - 1]
    }

    /// The mean recorded time.
    public func avg() -> Double { times.isEmpty ? 0 : sum() / Double(times.count) }

    /// The total recorded time.
    public func sum() -> Double { times.reduce(0, +) }

    /// The running totals.
    public func cumsum() -> [Double] {
        var total = 0.0
        return times.map { total += $0; return total }
    }
}
