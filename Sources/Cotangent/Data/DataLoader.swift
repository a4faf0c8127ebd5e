/// Iterates over a dataset in batches, optionally shuffled (PyTorch's
/// `torch.utils.data.DataLoader`, single process).
///
/// Shuffling follows PyTorch's `RandomSampler` draw for draw, so after
/// `Tensor.manualSeed(s)` the batches come in PyTorch's order: each pass
/// draws a base seed (as every PyTorch loader iterator does), then, without
/// an explicit generator, a seed for a fresh generator, and takes `randperm`
/// of the dataset's size from it.
///
/// ```swift
/// let loader = DataLoader(TensorDataset(x, y), batchSize: 64, shuffle: true)
/// for epoch in 0..<10 {
///     for batch in loader {               // a new order every pass
///         let (inputs, labels) = (batch[0], batch[1])
///         ...
///     }
/// }
/// ```
public struct DataLoader<Source: Dataset>: Sequence {
    /// The dataset batches are drawn from.
    public let dataset: Source
    /// The number of samples per batch (the last may be smaller unless ``dropLast``).
    public let batchSize: Int
    /// Whether each pass visits the samples in a new random order.
    public let shuffle: Bool
    /// Whether to drop a final batch smaller than ``batchSize``.
    public let dropLast: Bool
    /// The generator shuffling draws from; nil for the default generator, as in PyTorch.
    /// (Spelled `Cotangent.Generator` here: inside a `Sequence`, `Generator` names the iterator.)
    public let generator: Cotangent.Generator?

    /// Creates the loader.
    ///
    /// - Parameters:
    ///   - dataset: The samples.
    ///   - batchSize: Samples per batch (positive; default 1).
    ///   - shuffle: Reshuffles on every pass (default `false`).
    ///   - dropLast: Drops the last, incomplete batch (default `false`).
    ///   - generator: The generator for shuffling; nil (the default) uses the
    ///     default generator as PyTorch does, seeding a fresh one per pass.
    public init(_ dataset: Source, batchSize: Int = 1, shuffle: Bool = false, dropLast: Bool = false,
                generator: Cotangent.Generator? = nil) {
        check(batchSize > 0, "DataLoader", "batch_size should be a positive integer value, but got batch_size=\(batchSize)")
        // PyTorch's RandomSampler refuses an empty dataset; a sequential loader just yields nothing.
        check(!shuffle || dataset.count > 0, "DataLoader",
              "num_samples should be a positive integer value, but got num_samples=\(dataset.count)")
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.generator = generator
    }

    /// The number of batches in one pass (PyTorch's `len(loader)`).
    public var count: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    public var underestimatedCount: Int { count }

    /// Starts a pass; with shuffling, the order is drawn when the first batch is requested.
    public func makeIterator() -> Iterator {
        // Every PyTorch loader iterator draws a base seed for its workers, shuffled or not.
        _ = Self.drawSeed(generator ?? .default)
        return Iterator(loader: self)
    }

    /// A seed as PyTorch draws one: `torch.empty((), dtype=torch.int64).random_()`.
    static func drawSeed(_ generator: Cotangent.Generator) -> UInt64 {
        generator.nextUInt64() % (UInt64(Int64.max) + 1)
    }

    /// One pass over the dataset.
    public struct Iterator: IteratorProtocol {
        let loader: DataLoader
        private var order: [Int]?
        private var sampler: Cotangent.Generator?
        private var position = 0

        init(loader: DataLoader) { self.loader = loader }

        public mutating func next() -> Source.Batch? {
            let n = loader.dataset.count
            if order == nil {
                if loader.shuffle {
                    let source = loader.generator ?? Cotangent.Generator(seed: DataLoader.drawSeed(.default))
                    order = source.randperm(n).map { Int($0) }
                    sampler = source
                } else {
                    order = Array(0..<n)
                }
            }
            let end = Swift.min(position + loader.batchSize, n)
            if end - position < loader.batchSize, let source = sampler {
                // PyTorch's RandomSampler draws a second permutation (and keeps none of it)
                // when asked for an index past the end; with a shared generator that draw counts.
                _ = source.randperm(n)
                sampler = nil
            }
            guard end > position, !(loader.dropLast && end - position < loader.batchSize) else { return nil }
            defer { position = end }
            return loader.dataset.batch(at: Array(order![position..<end]))
        }
    }
}
