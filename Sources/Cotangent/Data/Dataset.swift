/// A collection of samples that a ``DataLoader`` can batch (PyTorch's
/// `torch.utils.data.Dataset`).
///
/// Conform with ``count``, a subscript and, unless samples are `[Tensor]`
/// (whose batches are stacked for you), ``batch(at:)``:
///
/// ```swift
/// struct Squares: Dataset {
///     var count: Int { 100 }
///     subscript(index: Int) -> [Tensor] { [Tensor(Double(index)), Tensor(Double(index * index))] }
/// }
/// ```
public protocol Dataset {
    /// One sample: for ``TensorDataset``, one row of each tensor.
    associatedtype Element
    /// Several samples combined; by default the same type as a sample.
    associatedtype Batch = Element

    /// The number of samples.
    var count: Int { get }

    /// The sample at `index`, in `0..<count`.
    subscript(index: Int) -> Element { get }

    /// The samples at `indices`, combined into one batch (PyTorch's
    /// `__getitems__` followed by `default_collate`).
    func batch(at indices: [Int]) -> Batch
}

extension Dataset where Element == [Tensor], Batch == [Tensor] {
    /// Stacks each field of the samples along a new first dimension, as
    /// PyTorch's `default_collate` does.
    public func batch(at indices: [Int]) -> [Tensor] {
        let samples = indices.map { self[$0] }
        guard let first = samples.first else { return [] }
        return first.indices.map { field in Tensor.stack(samples.map { $0[field] }) }
    }
}

/// A dataset of tensors that share their first dimension: sample `i` is row
/// `i` of each (PyTorch's `TensorDataset`).
///
/// ```swift
/// let data = TensorDataset(features, labels)   // [N, 64] and [N]
/// let (x, y) = (data[0][0], data[0][1])        // [64] and []
/// ```
public struct TensorDataset: Dataset {
    /// The tensors, each with ``count`` rows.
    public let tensors: [Tensor]

    /// Creates the dataset.
    ///
    /// - Parameter tensors: One or more tensors with the same size in dimension 0.
    public init(_ tensors: [Tensor]) {
        check(!tensors.isEmpty, "TensorDataset", "At least one tensor required")
        check(tensors.allSatisfy { $0.rank > 0 && $0.shape[0] == tensors[0].shape[0] }, "TensorDataset",
              "Size mismatch between tensors")
        self.tensors = tensors
    }

    /// Creates the dataset: `TensorDataset(features, labels)`.
    public init(_ tensors: Tensor...) { self.init(tensors) }

    public var count: Int { tensors[0].shape[0] }

    /// Row `index` of each tensor.
    public subscript(index: Int) -> [Tensor] {
        check(index >= 0 && index < count, "TensorDataset", "index \(index) is out of bounds for dimension 0 with size \(count)")
        return tensors.map { $0.select(dim: 0, index: index) }
    }

    /// Rows `indices` of each tensor, gathered in one `indexSelect` per tensor
    /// (the same values as stacking the samples, without a tensor per row).
    public func batch(at indices: [Int]) -> [Tensor] {
        let index = Tensor(shape: [indices.count], scalars: indices.map(Int64.init))
        return tensors.map { $0.indexSelect(dim: 0, index) }
    }
}
