extension Tensor: CustomStringConvertible {
    /// PyTorch's repr, character for character (`tensor([ 0.,  4.,  8., 12.])`),
    /// with `dtype=float64` where PyTorch writes `dtype=torch.float64`.
    ///
    /// Formatting follows ``Tensor/printOptions``; large tensors are summarised
    /// and only the displayed elements are read.
    public var description: String {
        let elements: TensorFormatter.Elements
        switch dtype {
        case .float16, .bfloat16, .float32, .float64: elements = .floating { self.elementAsDouble($0) }
        case .uint8, .int8, .int16, .int32, .int64: elements = .integer { self.elementAsInt64($0) }
        case .bool: elements = .boolean { self.elementAsInt64($0) != 0 }
        }
        let suffix = gradNode.map { "grad_fn=<\($0.name)>" } ?? (leafRequiresGrad ? "requires_grad=True" : nil)
        return TensorFormatter.format(shape: shape, dtype: dtype, elements: elements,
                                      autogradSuffix: suffix, options: Tensor.printOptions)
    }
}
