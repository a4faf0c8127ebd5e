/// Generates a linear-regression data set, `y = Xw + b + noise` (D2L 3.3's
/// `synthetic_data`).
///
/// Draws in PyTorch's order from the default generator, so after the same
/// seed the data equal D2L's: `X ~ N(0, 1)` of shape `[count, w.count]`, then
/// noise `~ N(0, 0.01²)`.
///
/// ```swift
/// let (features, labels) = syntheticData(w: Tensor([2, -3.4]), b: 4.2, count: 1000)
/// ```
///
/// - Parameters:
///   - w: The true weights, a vector.
///   - b: The true bias.
///   - count: The number of examples.
///   - generator: The generator to draw from.
/// - Returns: Features `[count, w.count]` and labels `[count, 1]`.
public func syntheticData(w: Tensor, b: Double, count: Int, generator: Generator = .default)
    -> (features: Tensor, labels: Tensor) {
    check(w.rank == 1, "syntheticData", "w must be a vector, got shape \(shapeText(w.shape))")
    let features = Tensor.normal(mean: 0, std: 1, shape: [count, w.count], dtype: w.dtype, generator: generator)
    let y = features.matmul(w) + b
    y += Tensor.normal(mean: 0, std: 0.01, shape: y.shape, dtype: w.dtype, generator: generator)
    return (features, y.reshaped(-1, 1))
}
