import Cotangent
import D2L
import Foundation
import Testing

// The D2L companion: the book's 3.4/3.5 linear regression and 4.5 softmax
// regression written as the book writes them, trained through Trainer.fit
// (inside LearningTests: they seed and draw from the shared default generator).

/// D2L 3.5's concise linear regression.
private final class LinearRegression: D2L.Module {
    let net = Linear(2, 1)
    let lr: Double

    init(lr: Double) {
        self.lr = lr
        super.init()
        withNoGrad {
            Init.normal(net.weight, mean: 0, std: 0.01)
            net.bias!.fill(0)
        }
    }

    override func forward(_ x: Tensor) -> Tensor { net(x) }
    override func loss(_ yHat: Tensor, _ y: Tensor) -> Tensor { MSELoss()(yHat, y) }
    override func configureOptimizers() -> any Optimizer { SGD(parameters(), learningRate: lr) }
}

/// D2L 3.4's linear regression from scratch: its own parameters and loss.
private final class LinearRegressionScratch: D2L.Module {
    @Parameter var w: Tensor
    @Parameter var b: Tensor
    let lr: Double

    init(numInputs: Int, lr: Double, sigma: Double = 0.01) {
        self.lr = lr
        w = Tensor.normal(mean: 0, std: sigma, shape: [numInputs, 1], requiresGrad: true)
        b = Tensor.zeros([1], requiresGrad: true)
        super.init()
    }

    override func forward(_ x: Tensor) -> Tensor { x.matmul(w) + b }
    override func loss(_ yHat: Tensor, _ y: Tensor) -> Tensor { ((yHat - y).pow(2) / 2).mean() }
    override func configureOptimizers() -> any Optimizer { SGD([w, b], learningRate: lr) }
}

/// D2L 4.5's concise softmax regression, on the bundled digits.
private final class SoftmaxRegression: D2L.Classifier {
    let net: Sequential

    init(numInputs: Int, numOutputs: Int, lr: Double) {
        net = Sequential([Flatten(), Linear(numInputs, numOutputs)])
        super.init(lr: lr)
    }

    override func forward(_ x: Tensor) -> Tensor { net(x) }
}

private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("d2l-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
}

extension LearningTests {
@Suite("D2L companion") struct D2LTests {
    @Test func linearRegressionLearnsTheWeights() throws {
        Tensor.manualSeed(0)
        let model = LinearRegression(lr: 0.03)
        let data = SyntheticRegressionData(w: Tensor([2, -3.4]), b: 4.2)
        let path = temporaryPath("linear.svg")
        model.board.outputPath = path
        let trainer = Trainer(maxEpochs: 3)
        trainer.fit(model: model, data: data)

        let w = model.net.weight.detached().reshaped(-1).scalars(as: Double.self)
        let b = model.net.bias!.item()
        // The data, the shuffles, the initial weights and every SGD step follow PyTorch's bit for bit.
        #expect(w == D2LGoldens.weight && b == D2LGoldens.bias, "w \(w), b \(b)")
        #expect(abs(w[0] - 2) < 0.01 && abs(w[1] + 3.4) < 0.01 && abs(b - 4.2) < 0.02)
        // 32 batches per epoch, 2 training points per epoch, one validation point.
        #expect(trainer.numTrainBatches == 32 && trainer.numValBatches == 32 && trainer.trainBatchIdx == 96)
        let train = try #require(model.board.data["train_loss"]), val = try #require(model.board.data["val_loss"])
        #expect(train.count == 6 && val.count == 3)
        #expect(val.map(\.x) == [1, 2, 3] && train.map(\.x) == D2LGoldens.trainX)
        for (point, golden) in zip(train, D2LGoldens.trainLoss) { #expect(abs(point.y - golden) <= 1e-5 * golden) }
        for (point, golden) in zip(val, D2LGoldens.valLoss) { #expect(abs(point.y - golden) <= 1e-5 * golden) }
        #expect(train.first!.y > 10 * train.last!.y && val.last!.y < 1e-3)
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(svg.hasPrefix("<?xml") && svg.contains("<polyline") && svg.contains("train_loss") && svg.contains("val_loss"))
        #expect(svg.contains(">epoch<"))
    }

    @Test func scratchRegressionTrainsWithClipping() {
        Tensor.manualSeed(1)
        let model = LinearRegressionScratch(numInputs: 2, lr: 0.03)
        #expect(model.parameters().count == 2)
        let data = SyntheticRegressionData(w: Tensor([2, -3.4]), b: 4.2)
        let trainer = Trainer(maxEpochs: 3, gradientClipVal: 1)
        trainer.fit(model: model, data: data)
        let val = model.board.data["val_loss"]!.map(\.y)
        #expect(val.count == 3 && val[2] < val[0])
        // Clipping bounds each step: with limit 1 and lr 0.03, 96 steps move w by at most 2.88.
        #expect(model.w.detached().abs().max().item() <= 2.88 + 1e-6)
    }

    @Test func clippingRescalesToTheLimit() {
        let model = LinearRegressionScratch(numInputs: 2, lr: 0.1)
        model.w.grad = Tensor([[3.0], [0.0]], dtype: .float32)
        model.b.grad = Tensor([4.0], dtype: .float32)
        Trainer(maxEpochs: 1).clipGradients(1, model)
        #expect(model.w.grad!.scalars(as: Double.self) == [0.6000000238418579, 0])
        #expect(abs(model.b.grad!.item() - 0.8) < 1e-7)
    }

    @Test func softmaxRegressionOnDigits() throws {
        Tensor.manualSeed(0)
        let data = try DigitsData(batchSize: 64)
        let model = SoftmaxRegression(numInputs: 64, numOutputs: 10, lr: 0.5)
        let trainer = Trainer(maxEpochs: 5)
        trainer.fit(model: model, data: data)
        let loss = model.board.data["val_loss"]!.map(\.y), acc = model.board.data["val_acc"]!.map(\.y)
        #expect(loss.count == 5 && acc.count == 5)
        #expect(loss.last! < loss.first!, "validation loss \(loss)")
        #expect(acc.last! > 0.9, "validation accuracy \(acc)")
        #expect(model.board.labels == ["train_loss", "val_loss", "val_acc"])
        let path = temporaryPath("softmax.svg")
        try model.board.write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "<polyline").count == 4)
    }

    @Test func accuracyCountsArgmaxHits() {
        let model = SoftmaxRegression(numInputs: 2, numOutputs: 3, lr: 0.1)
        let yHat = Tensor([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]])
        let y = Tensor([2, 0, 0, 1] as [Int64])
        #expect(model.accuracy(yHat, y).item() == 0.5)
        #expect(model.accuracy(yHat, y, averaged: false).scalars(as: Double.self) == [1, 1, 0, 0])
    }

    @Test func plotWritesTheBooksFigure() throws {
        // D2L 2.4's tangent-line figure.
        let x = Array(stride(from: 0.0, to: 3, by: 0.1))
        let figure = plot(x, [x.map { 3 * $0 * $0 - 4 * $0 }, x.map { 2 * $0 - 3 }], xlabel: "x", ylabel: "f(x)",
                          legend: ["f(x)", "Tangent line (x=1)"])
        let svg = figure.render()
        #expect(svg.components(separatedBy: "<polyline").count == 3)
        #expect(svg.contains("Tangent line (x=1)") && svg.contains("stroke-dasharray"))
        let log = plot(x, [x.map { exp($0) }], yscale: "log").render()
        #expect(log.contains(">1e0<") && log.contains(">1e1<"))
    }

    @Test func progressBoardAveragesEveryN() {
        let board = ProgressBoard(display: false)
        for i in 0..<6 { board.draw(Double(i), Double(i * i), label: "train_loss", everyN: 3) }
        let points = board.data["train_loss"]!
        #expect(points.map(\.x) == [1, 4] && points.map(\.y) == [5.0 / 3, 50.0 / 3])
    }

    @Test func accumulatorAndTimer() {
        var metric = Accumulator(2)
        metric.add(1.5, 2)
        metric.add(0.5, 3)
        #expect(metric[0] == 2 && metric[1] == 5)
        metric.reset()
        #expect(metric.data == [0, 0])
        let timer = D2L.Timer()
        timer.stop()
        timer.start()
        timer.stop()
        #expect(timer.times.count == 2 && timer.sum() >= 0 && timer.cumsum().last == timer.sum())
        #expect(abs(timer.avg() - timer.sum() / 2) < 1e-12)
    }
}
}
