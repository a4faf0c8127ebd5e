import Cotangent
import CotangentTestSupport
import Foundation
import Testing

// Datasets, the loader's batch order against PyTorch's (Tests/Goldens/data_goldens.py),
// the bundled digits and D2L's synthetic data.

/// The first field of each batch as integers.
private func firstFields(_ loader: DataLoader<TensorDataset>) -> [[Int]] {
    loader.map { $0[0].scalars(as: Int.self) }
}

/// A dataset written against the protocol alone: stacking comes for free.
private struct Squares: Dataset {
    var count: Int { 5 }
    subscript(index: Int) -> [Tensor] { [Tensor(Double(index)), Tensor([Double(index * index), 1])] }
}

extension LearningTests {
    @Suite("Data") struct DataTests {
        private let numbers = TensorDataset(Tensor.arange(10))

        @Test func tensorDatasetIndexesRows() {
            let x = Tensor.arange(12.0).reshaped(6, 2), y = Tensor.arange(6)
            let data = TensorDataset(x, y)
            #expect(data.count == 6)
            #expect(data[2][0].scalars(as: Double.self) == [4, 5] && data[2][1].item() == 2)
            let batch = data.batch(at: [4, 0])
            #expect(batch[0].shape == [2, 2] && batch[0].scalars(as: Double.self) == [8, 9, 0, 1])
            #expect(batch[1].scalars(as: Int.self) == [4, 0])
            // The protocol's default batching stacks samples.
            let squares = Squares().batch(at: [1, 3])
            #expect(squares[0].shape == [2] && squares[1].shape == [2, 2])
            #expect(squares[1].scalars(as: Double.self) == [1, 1, 9, 1])
        }

        @Test func shuffledOrderMatchesPyTorch() {
            Tensor.manualSeed(0)
            let loader = DataLoader(numbers, batchSize: 4, shuffle: true)
            #expect(loader.count == 3)
            #expect(firstFields(loader) == DataGoldens.shuffledPasses[0])
            #expect(firstFields(loader) == DataGoldens.shuffledPasses[1])
            // The loader consumed exactly what PyTorch's consumes.
            #expect(Tensor.rand(1).item() == DataGoldens.randAfterShuffled)

            Tensor.manualSeed(0)
            #expect(firstFields(DataLoader(numbers, batchSize: 4)) == DataGoldens.sequentialPass)
            #expect(Tensor.rand(1).item() == DataGoldens.randAfterSequential)

            Tensor.manualSeed(0)
            let dropping = DataLoader(numbers, batchSize: 4, shuffle: true, dropLast: true)
            #expect(dropping.count == 2)
            #expect(firstFields(dropping) == DataGoldens.dropLastPass)

            let seeded = DataLoader(numbers, batchSize: 3, shuffle: true, generator: Generator(seed: 5))
            #expect(firstFields(seeded) == DataGoldens.generatorPasses[0])
            #expect(firstFields(seeded) == DataGoldens.generatorPasses[1])
        }

        @Test func everySampleOnceAndBatchesAligned() {
            let x = Tensor.arange(7.0), y = Tensor.arange(7) * 10
            var seen: [Int] = []
            for batch in DataLoader(TensorDataset(x, y), batchSize: 3, shuffle: true) {
                #expect(batch[1].scalars(as: Int.self) == batch[0].scalars(as: Int.self).map { $0 * 10 })
                seen += batch[0].scalars(as: Int.self)
            }
            #expect(seen.sorted() == Array(0..<7))
            // An empty dataset, read in order, yields no batches, as in PyTorch.
            let empty = DataLoader(TensorDataset(Tensor.zeros(0, 2)), batchSize: 2)
            #expect(empty.count == 0 && Array(empty).isEmpty)
        }

        @Test func badLoadersStopWithPyTorchsMessages() async {
            let emptyShuffled = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = DataLoader(TensorDataset(Tensor.zeros(0, 2)), batchSize: 2, shuffle: true)
            }
            expectStandardError(emptyShuffled, contains: "num_samples should be a positive integer value, but got num_samples=0")
            let zeroBatch = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = DataLoader(TensorDataset(Tensor.zeros(3, 2)), batchSize: 0)
            }
            expectStandardError(zeroBatch, contains: "batch_size should be a positive integer value, but got batch_size=0")
            let mismatch = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
                _ = TensorDataset(Tensor.zeros(3, 2), Tensor.zeros(4))
            }
            expectStandardError(mismatch, contains: "Size mismatch between tensors")
        }

        @Test func digitsLoadWithTheDocumentedSplit() throws {
            let all = try Digits.load(.all), train = try Digits.load(.train), test = try Digits.load(.test)
            #expect(all.count == 1797 && train.count == 1437 && test.count == 360)
            let (x, y) = (all.tensors[0], all.tensors[1])
            #expect(x.shape == [1797, 64] && x.dtype == .float32 && y.dtype == .int64)
            #expect(x.min().item() == 0 && x.max().item() == 1)
            #expect(Set(y.scalars(as: Int.self)) == Set(0..<10))
            // The first sample of the file is a zero.
            #expect(y[0].item() == 0 && x[0].reshaped(8, 8)[0].scalars(as: Double.self) == [0, 0, 5, 13, 9, 1, 0, 0].map { $0 / 16 })
            // Train is the permutation's head, test its tail.
            for (k, i) in DataGoldens.splitHead.enumerated() {
                #expect(train[k][0].equal(x[i]) && train[k][1].item() == y[i].item())
            }
            for (k, i) in DataGoldens.splitTail.enumerated() {
                #expect(test[355 + k][0].equal(x[i]))
            }
            // Every class appears in both parts.
            #expect(Set(test.tensors[1].scalars(as: Int.self)).count == 10)
        }

        @Test func malformedCSVThrows() throws {
            let cases: [(String, DataError)] = [
                ("1,2,3\n", .malformedCSV(line: 1, reason: "expected 65 fields, found 3")),
                (Array(repeating: "0", count: 64).joined(separator: ",") + ",12\n", .malformedCSV(line: 1, reason: "label 12 is not a digit")),
                ("0,x\n", .malformedCSV(line: 1, reason: "unexpected character x")),
                ("", .malformedCSV(line: 1, reason: "no samples")),
            ]
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("cotangent-bad-\(UUID().uuidString).csv")
            defer { try? FileManager.default.removeItem(at: url) }
            for (text, expected) in cases {
                try Data(text.utf8).write(to: url)
                #expect(throws: expected) { try Digits.load(.all, from: url) }
            }
            #expect(throws: (any Error).self) { try Digits.load(.all, from: url.appendingPathExtension("missing")) }
        }

        @Test func syntheticDataMatchesD2L() {
            Tensor.manualSeed(0)
            let (features, labels) = syntheticData(w: Tensor([2, -3.4]), b: 4.2, count: 1000)
            #expect(features.shape == [1000, 2] && labels.shape == [1000, 1])
            expectClose(features.reshaped(-1)[0..<4], DataGoldens.syntheticFeatureHead, rtol: 0, atol: 0)
            expectClose(labels.reshaped(-1)[0..<3], DataGoldens.syntheticLabelHead, rtol: 1e-6, atol: 1e-6)
            #expect(Swift.abs(labels[999, 0].item() - DataGoldens.syntheticLabelLast) < 1e-5)
        }
    }
}
