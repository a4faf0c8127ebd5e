import Testing
@testable import Cotangent

// Tests for tensor printing: the 79 goldens of the printing specification
// (../shared/notes/pytorch-printing.md, §8), the PyTorch-generated goldens of
// PrintingGoldens.swift, and the print options. The formatter is called
// directly, so these tests need nothing from the rest of the library.

// MARK: - Test tensors

/// A dtype and an element accessor, standing in for a tensor.
struct PrintTestTensor: Sendable {
    enum Element: Sendable {
        case floating(@Sendable (Int) -> Double)
        case integer(@Sendable (Int) -> Int64)
        case boolean(@Sendable (Int) -> Bool)
    }

    let dtype: DType
    let element: Element

    /// Float32 elements from Double literals, rounded through `Float` as
    /// `torch.tensor([...])` does, then widened back exactly.
    static func f32(_ values: [Double]) -> PrintTestTensor {
        let widened = values.map { Double(Float($0)) }
        return PrintTestTensor(dtype: .float32, element: .floating { widened[$0] })
    }

    /// Float32 elements computed from the flat index in float32 arithmetic
    /// (`Float($0) / 3` is `torch.arange(n.) / 3`).
    static func f32(_ element: @escaping @Sendable (Int) -> Float) -> PrintTestTensor {
        PrintTestTensor(dtype: .float32, element: .floating { Double(element($0)) })
    }

    /// Float32 elements as hexadecimal bit patterns separated by whitespace:
    /// values dumped from PyTorch where Swift cannot easily recompute them.
    static func f32(bits: String) -> PrintTestTensor {
        let values = bits.split(whereSeparator: \.isWhitespace).map { Double(Float(bitPattern: UInt32($0, radix: 16)!)) }
        return PrintTestTensor(dtype: .float32, element: .floating { values[$0] })
    }

    static func f64(_ values: [Double]) -> PrintTestTensor {
        PrintTestTensor(dtype: .float64, element: .floating { values[$0] })
    }

    static func f64(_ element: @escaping @Sendable (Int) -> Double) -> PrintTestTensor {
        PrintTestTensor(dtype: .float64, element: .floating(element))
    }

    static func i64(_ values: [Int64]) -> PrintTestTensor {
        PrintTestTensor(dtype: .int64, element: .integer { values[$0] })
    }

    static func i64(_ element: @escaping @Sendable (Int) -> Int64) -> PrintTestTensor {
        PrintTestTensor(dtype: .int64, element: .integer(element))
    }

    static func i32(_ values: [Int32]) -> PrintTestTensor {
        PrintTestTensor(dtype: .int32, element: .integer { Int64(values[$0]) })
    }

    static func i32(_ element: @escaping @Sendable (Int) -> Int32) -> PrintTestTensor {
        PrintTestTensor(dtype: .int32, element: .integer { Int64(element($0)) })
    }

    static func bool(_ values: [Bool]) -> PrintTestTensor {
        PrintTestTensor(dtype: .bool, element: .boolean { values[$0] })
    }

    static func bool(_ element: @escaping @Sendable (Int) -> Bool) -> PrintTestTensor {
        PrintTestTensor(dtype: .bool, element: .boolean(element))
    }
}

/// The flat indices the formatter read, in order.
private final class ReadLog {
    var indices: [Int] = []
}

/// Runs the formatter on `tensor`, logging each element it reads.
private func format(_ tensor: PrintTestTensor, shape: [Int], options: PrintOptions, autograd: String?, log: ReadLog) -> String {
    let elements: TensorFormatter.Elements
    switch tensor.element {
    case .floating(let element): elements = .floating { log.indices.append($0); return element($0) }
    case .integer(let element): elements = .integer { log.indices.append($0); return element($0) }
    case .boolean(let element): elements = .boolean { log.indices.append($0); return element($0) }
    }
    return TensorFormatter.format(shape: shape, dtype: tensor.dtype, elements: elements, autogradSuffix: autograd, options: options)
}

/// The most elements a tensor may display (§5): everything, or at most
/// 2 × edgeItems entries per axis when summarised.
private func displayLimit(shape: [Int], options: PrintOptions) -> Int {
    let count = shape.reduce(1, *)
    guard !shape.isEmpty, count > options.threshold else { return count }
    return shape.reduce(1) { $0 * min($1, 2 * options.edgeItems) }
}

// MARK: - Specification goldens

/// One golden of the specification: the PyTorch code, the tensor it makes,
/// the options and the exact text.
struct PrintSpecGolden: Sendable, CustomTestStringConvertible {
    let id: String
    let source: String
    let shape: [Int]
    let tensor: PrintTestTensor
    let options: PrintOptions
    let autograd: String?
    let expected: String

    init(_ id: String, _ source: String, shape: [Int], _ tensor: PrintTestTensor, options: PrintOptions = .default, autograd: String? = nil, expected: String) {
        self.id = id
        self.source = source
        self.shape = shape
        self.tensor = tensor
        self.options = options
        self.autograd = autograd
        self.expected = expected
    }

    var testDescription: String { "\(id) \(source)" }
}

private let requiresGrad = "requires_grad=True"

extension PrintSpecGolden {
    static let goldens: [PrintSpecGolden] = [
        PrintSpecGolden(
            "G01", "torch.tensor([1, 2, 3])",
            shape: [3], .i64([1, 2, 3]),
            expected: """
                tensor([1, 2, 3])
                """
        ),
        PrintSpecGolden(
            "G02", "torch.tensor([1, -20, 300])",
            shape: [3], .i64([1, -20, 300]),
            expected: """
                tensor([  1, -20, 300])
                """
        ),
        PrintSpecGolden(
            "G03", "torch.tensor([1., -2., 30.])",
            shape: [3], .f32([1, -2, 30]),
            expected: """
                tensor([ 1., -2., 30.])
                """
        ),
        PrintSpecGolden(
            "G04", "torch.tensor([0.1, -2.5, 10.75])",
            shape: [3], .f32([0.1, -2.5, 10.75]),
            expected: """
                tensor([ 0.1000, -2.5000, 10.7500])
                """
        ),
        PrintSpecGolden(
            "G05", "torch.tensor(3.5)",
            shape: [], .f32([3.5]),
            expected: """
                tensor(3.5000)
                """
        ),
        PrintSpecGolden(
            "G06", "torch.tensor(-0.)",
            shape: [], .f32([-0.0]),
            expected: """
                tensor(-0.)
                """
        ),
        PrintSpecGolden(
            "G07", "torch.tensor(True)",
            shape: [], .bool([true]),
            expected: """
                tensor(True)
                """
        ),
        PrintSpecGolden(
            "G08", "torch.tensor([True, False, True])",
            shape: [3], .bool([true, false, true]),
            expected: """
                tensor([ True, False,  True])
                """
        ),
        PrintSpecGolden(
            "G09", "torch.tensor([1, 2, 3], dtype=torch.int32)",
            shape: [3], .i32([1, 2, 3]),
            expected: """
                tensor([1, 2, 3], dtype=int32)
                """
        ),
        PrintSpecGolden(
            "G10", "torch.tensor([1.5, 2.0], dtype=torch.float64)",
            shape: [2], .f64([1.5, 2.0]),
            expected: """
                tensor([1.5000, 2.0000], dtype=float64)
                """
        ),
        PrintSpecGolden(
            "G11", "torch.tensor([1e-5, 1.0])",
            shape: [2], .f32([1e-5, 1.0]),
            expected: """
                tensor([1.0000e-05, 1.0000e+00])
                """
        ),
        PrintSpecGolden(
            "G12", "torch.tensor([1e8])",
            shape: [1], .f32([1e8]),
            expected: """
                tensor([100000000.])
                """
        ),
        PrintSpecGolden(
            "G13", "torch.tensor([1e9])",
            shape: [1], .f32([1e9]),
            expected: """
                tensor([1.0000e+09])
                """
        ),
        PrintSpecGolden(
            "G14", "torch.tensor([123456.])",
            shape: [1], .f32([123456]),
            expected: """
                tensor([123456.])
                """
        ),
        PrintSpecGolden(
            "G15", "torch.tensor([123456.5, 1000.25])",
            shape: [2], .f32([123456.5, 1000.25]),
            expected: """
                tensor([123456.5000,   1000.2500])
                """
        ),
        PrintSpecGolden(
            "G16", "torch.tensor([1., 1000.])",
            shape: [2], .f32([1, 1000]),
            expected: """
                tensor([   1., 1000.])
                """
        ),
        PrintSpecGolden(
            "G17", "torch.tensor([1., 1001.])",
            shape: [2], .f32([1, 1001]),
            expected: """
                tensor([1.0000e+00, 1.0010e+03])
                """
        ),
        PrintSpecGolden(
            "G18", "torch.tensor([1e-4])",
            shape: [1], .f32([1e-4]),
            expected: """
                tensor([1.0000e-04])
                """
        ),
        PrintSpecGolden(
            "G19", "torch.tensor([1e-4], dtype=torch.float64)",
            shape: [1], .f64([1e-4]),
            expected: """
                tensor([0.0001], dtype=float64)
                """
        ),
        PrintSpecGolden(
            "G20", "torch.tensor([1e-5, -1e8, 3.0])",
            shape: [3], .f32([1e-5, -1e8, 3.0]),
            expected: """
                tensor([ 1.0000e-05, -1.0000e+08,  3.0000e+00])
                """
        ),
        PrintSpecGolden(
            "G21", "torch.tensor([1e300, 1.0], dtype=torch.float64)",
            shape: [2], .f64([1e300, 1.0]),
            expected: """
                tensor([1.0000e+300,  1.0000e+00], dtype=float64)
                """
        ),
        PrintSpecGolden(
            "G22", "torch.tensor([-0., 1.])",
            shape: [2], .f32([-0.0, 1]),
            expected: """
                tensor([-0., 1.])
                """
        ),
        PrintSpecGolden(
            "G23", "torch.tensor([-0., 1.5])",
            shape: [2], .f32([-0.0, 1.5]),
            expected: """
                tensor([-0.0000, 1.5000])
                """
        ),
        PrintSpecGolden(
            "G24", "torch.tensor([0., 0.])",
            shape: [2], .f32([0, 0]),
            expected: """
                tensor([0., 0.])
                """
        ),
        PrintSpecGolden(
            "G25", "torch.tensor([nan, 1., -inf])",
            shape: [3], .f32([.nan, 1, -.infinity]),
            expected: """
                tensor([nan, 1., -inf])
                """
        ),
        PrintSpecGolden(
            "G26", "torch.tensor([nan, 1.5, inf])",
            shape: [3], .f32([.nan, 1.5, .infinity]),
            expected: """
                tensor([   nan, 1.5000,    inf])
                """
        ),
        PrintSpecGolden(
            "G27", "torch.tensor([nan, 0.])",
            shape: [2], .f32([.nan, 0]),
            expected: """
                tensor([nan, 0.])
                """
        ),
        PrintSpecGolden(
            "G28", "torch.tensor([nan, 1e-6, 3.0])",
            shape: [3], .f32([.nan, 1e-6, 3.0]),
            expected: """
                tensor([       nan, 1.0000e-06, 3.0000e+00])
                """
        ),
        PrintSpecGolden(
            "G29", "torch.arange(6).reshape(2, 3)",
            shape: [2, 3], .i64 { Int64($0) },
            expected: """
                tensor([[0, 1, 2],
                        [3, 4, 5]])
                """
        ),
        PrintSpecGolden(
            "G30", "torch.tensor([[1., -2.], [3.5, 4.]])",
            shape: [2, 2], .f32([1, -2, 3.5, 4]),
            expected: """
                tensor([[ 1.0000, -2.0000],
                        [ 3.5000,  4.0000]])
                """
        ),
        PrintSpecGolden(
            "G31", "torch.arange(12.).reshape(2, 3, 2)",
            shape: [2, 3, 2], .f32 { Float($0) },
            expected: """
                tensor([[[ 0.,  1.],
                         [ 2.,  3.],
                         [ 4.,  5.]],

                        [[ 6.,  7.],
                         [ 8.,  9.],
                         [10., 11.]]])
                """
        ),
        PrintSpecGolden(
            "G32", "torch.arange(16).reshape(2, 2, 2, 2)",
            shape: [2, 2, 2, 2], .i64 { Int64($0) },
            expected: """
                tensor([[[[ 0,  1],
                          [ 2,  3]],

                         [[ 4,  5],
                          [ 6,  7]]],


                        [[[ 8,  9],
                          [10, 11]],

                         [[12, 13],
                          [14, 15]]]])
                """
        ),
        PrintSpecGolden(
            "G33", "torch.zeros(0)",
            shape: [0], .f32([]),
            expected: """
                tensor([])
                """
        ),
        PrintSpecGolden(
            "G34", "torch.zeros(0, 3)",
            shape: [0, 3], .f32([]),
            expected: """
                tensor([], size=(0, 3))
                """
        ),
        PrintSpecGolden(
            "G35", "torch.zeros(2, 0, dtype=torch.int32)",
            shape: [2, 0], .i32([]),
            expected: """
                tensor([], size=(2, 0), dtype=int32)
                """
        ),
        PrintSpecGolden(
            "G36", "torch.tensor([], dtype=torch.int64)",
            shape: [0], .i64([]),
            expected: """
                tensor([], dtype=int64)
                """
        ),
        PrintSpecGolden(
            "G37", "torch.zeros(0, 2, requires_grad=True)",
            shape: [0, 2], .f32([]), autograd: requiresGrad,
            expected: """
                tensor([], size=(0, 2), requires_grad=True)
                """
        ),
        PrintSpecGolden(
            "G38", "torch.arange(1001)",
            shape: [1001], .i64 { Int64($0) },
            expected: """
                tensor([   0,    1,    2,  ...,  998,  999, 1000])
                """
        ),
        PrintSpecGolden(
            "G39", "torch.arange(2000.) / 3",
            shape: [2000], .f32 { Float($0) / 3 },
            expected: """
                tensor([0.0000e+00, 3.3333e-01, 6.6667e-01,  ..., 6.6567e+02, 6.6600e+02,
                        6.6633e+02])
                """
        ),
        PrintSpecGolden(
            "G40", "torch.arange(1200).reshape(2, 600)",
            shape: [2, 600], .i64 { Int64($0) },
            expected: """
                tensor([[   0,    1,    2,  ...,  597,  598,  599],
                        [ 600,  601,  602,  ..., 1197, 1198, 1199]])
                """
        ),
        PrintSpecGolden(
            "G41", "torch.arange(2000.).reshape(40, 50)",
            shape: [40, 50], .f32 { Float($0) },
            expected: """
                tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,
                         4.9000e+01],
                        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,
                         9.9000e+01],
                        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,
                         1.4900e+02],
                        ...,
                        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,
                         1.8990e+03],
                        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,
                         1.9490e+03],
                        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,
                         1.9990e+03]])
                """
        ),
        PrintSpecGolden(
            "G42", "torch.arange(64).reshape(4, 4, 4)",
            shape: [4, 4, 4], .i64 { Int64($0) }, options: .init(threshold: 10, edgeItems: 1),
            expected: """
                tensor([[[ 0,  ...,  3],
                         ...,
                         [12,  ..., 15]],

                        ...,

                        [[48,  ..., 51],
                         ...,
                         [60,  ..., 63]]])
                """
        ),
        PrintSpecGolden(
            "G43", "torch.arange(10)",
            shape: [10], .i64 { Int64($0) }, options: .init(threshold: 5),
            expected: """
                tensor([0, 1, 2,  ..., 7, 8, 9])
                """
        ),
        PrintSpecGolden(
            "G44", "t = torch.ones(2000); t[1000] = 1e-8; t",
            shape: [2000], .f32 { $0 == 1000 ? 1e-8 : 1 },
            expected: """
                tensor([1., 1., 1.,  ..., 1., 1., 1.])
                """
        ),
        PrintSpecGolden(
            "G45", "t = torch.ones(2000); t[0] = 1e-8; t",
            shape: [2000], .f32 { $0 == 0 ? 1e-8 : 1 },
            expected: """
                tensor([1.0000e-08, 1.0000e+00, 1.0000e+00,  ..., 1.0000e+00, 1.0000e+00,
                        1.0000e+00])
                """
        ),
        PrintSpecGolden(
            "G46", "torch.linspace(-1, 1, 30)",
            shape: [30], .f32(bits: """
                bf800000 bf6e5847 bf5cb08d bf4b08d4 bf39611a bf27b961 bf1611a8 bf0469ee
                bee5846a bec234f7 be9ee584 be772c24 be308d3e bdd3dcb1 bd0d3dcc 3d0d3dcc
                3dd3dcb1 3e308d3e 3e772c24 3e9ee584 3ec234f7 3ee5846a 3f0469ee 3f1611a8
                3f27b961 3f39611a 3f4b08d4 3f5cb08d 3f6e5847 3f800000
                """),
            expected: """
                tensor([-1.0000, -0.9310, -0.8621, -0.7931, -0.7241, -0.6552, -0.5862, -0.5172,
                        -0.4483, -0.3793, -0.3103, -0.2414, -0.1724, -0.1034, -0.0345,  0.0345,
                         0.1034,  0.1724,  0.2414,  0.3103,  0.3793,  0.4483,  0.5172,  0.5862,
                         0.6552,  0.7241,  0.7931,  0.8621,  0.9310,  1.0000])
                """
        ),
        PrintSpecGolden(
            "G47", "torch.arange(40) * 1000 - 20000",
            shape: [40], .i64 { Int64($0) * 1000 - 20000 },
            expected: """
                tensor([-20000, -19000, -18000, -17000, -16000, -15000, -14000, -13000, -12000,
                        -11000, -10000,  -9000,  -8000,  -7000,  -6000,  -5000,  -4000,  -3000,
                         -2000,  -1000,      0,   1000,   2000,   3000,   4000,   5000,   6000,
                          7000,   8000,   9000,  10000,  11000,  12000,  13000,  14000,  15000,
                         16000,  17000,  18000,  19000])
                """
        ),
        PrintSpecGolden(
            "G48", "torch.linspace(0, 1, 26).reshape(2, 13)",
            shape: [2, 13], .f32(bits: """
                00000000 3d23d70a 3da3d70a 3df5c28f 3e23d70a 3e4ccccc 3e75c28f 3e8f5c29
                3ea3d70a 3eb851eb 3ecccccc 3ee147ae 3ef5c28f 3f051eb8 3f0f5c29 3f19999a
                3f23d70a 3f2e147b 3f3851ec 3f428f5c 3f4ccccd 3f570a3e 3f6147ae 3f6b851f
                3f75c28f 3f800000
                """),
            expected: """
                tensor([[0.0000, 0.0400, 0.0800, 0.1200, 0.1600, 0.2000, 0.2400, 0.2800, 0.3200,
                         0.3600, 0.4000, 0.4400, 0.4800],
                        [0.5200, 0.5600, 0.6000, 0.6400, 0.6800, 0.7200, 0.7600, 0.8000, 0.8400,
                         0.8800, 0.9200, 0.9600, 1.0000]])
                """
        ),
        PrintSpecGolden(
            "G49", "torch.tensor([True, False] * 20)",
            shape: [40], .bool { $0.isMultiple(of: 2) },
            expected: """
                tensor([ True, False,  True, False,  True, False,  True, False,  True, False,
                         True, False,  True, False,  True, False,  True, False,  True, False,
                         True, False,  True, False,  True, False,  True, False,  True, False,
                         True, False,  True, False,  True, False,  True, False,  True, False])
                """
        ),
        PrintSpecGolden(
            "G50", "torch.tensor([1.12345, -2.5])",
            shape: [2], .f32([1.12345, -2.5]), options: .init(precision: 2),
            expected: """
                tensor([ 1.12, -2.50])
                """
        ),
        PrintSpecGolden(
            "G51", "torch.tensor([0.125, 0.375], dtype=torch.float64)",
            shape: [2], .f64([0.125, 0.375]), options: .init(precision: 2),
            expected: """
                tensor([0.12, 0.38], dtype=float64)
                """
        ),
        PrintSpecGolden(
            "G52", "torch.tensor([0.1])",
            shape: [1], .f32([0.1]), options: .init(precision: 10),
            expected: """
                tensor([0.1000000015])
                """
        ),
        PrintSpecGolden(
            "G53", "torch.tensor([1e-5, 1.0])",
            shape: [2], .f32([1e-5, 1.0]), options: .init(sciMode: false),
            expected: """
                tensor([0.0000, 1.0000])
                """
        ),
        PrintSpecGolden(
            "G54", "torch.tensor([1., 2.5])",
            shape: [2], .f32([1, 2.5]), options: .init(sciMode: true),
            expected: """
                tensor([1.0000e+00, 2.5000e+00])
                """
        ),
        PrintSpecGolden(
            "G55", "torch.tensor([1., 200.])",
            shape: [2], .f32([1, 200]), options: .init(sciMode: true),
            expected: """
                tensor([1.0000e+00, 2.0000e+02])
                """
        ),
        PrintSpecGolden(
            "G56", "torch.tensor([0., 0.])",
            shape: [2], .f32([0, 0]), options: .init(sciMode: true),
            expected: """
                tensor([0., 0.])
                """
        ),
        PrintSpecGolden(
            "G57", "torch.tensor([1, 2])",
            shape: [2], .i64([1, 2]), options: .init(sciMode: true),
            expected: """
                tensor([1, 2])
                """
        ),
        PrintSpecGolden(
            "G58", "torch.tensor([1.5, nan, 2.5])",
            shape: [3], .f32([1.5, .nan, 2.5]), options: .init(precision: 0),
            expected: """
                tensor([2, nan, 2])
                """
        ),
        PrintSpecGolden(
            "G59", "torch.tensor([1., 2., 3.], requires_grad=True)",
            shape: [3], .f32([1, 2, 3]), autograd: requiresGrad,
            expected: """
                tensor([1., 2., 3.], requires_grad=True)
                """
        ),
        PrintSpecGolden(
            "G60", "torch.tensor([1., 2., 3.], requires_grad=True) * 2",
            shape: [3], .f32([2, 4, 6]), autograd: "grad_fn=<MulBackward0>",
            expected: """
                tensor([2., 4., 6.], grad_fn=<MulBackward0>)
                """
        ),
        PrintSpecGolden(
            "G61", "torch.tensor([1., 2., 3.], requires_grad=True).sum()",
            shape: [], .f32([6]), autograd: "grad_fn=<SumBackward0>",
            expected: """
                tensor(6., grad_fn=<SumBackward0>)
                """
        ),
        PrintSpecGolden(
            "G62", "torch.tensor([1.5, 2.0], dtype=torch.float64, requires_grad=True) + 1",
            shape: [2], .f64([2.5, 3.0]), autograd: "grad_fn=<AddBackward0>",
            expected: """
                tensor([2.5000, 3.0000], dtype=float64, grad_fn=<AddBackward0>)
                """
        ),
        PrintSpecGolden(
            "G63", "torch.tensor(2., requires_grad=True)",
            shape: [], .f32([2]), autograd: requiresGrad,
            expected: """
                tensor(2., requires_grad=True)
                """
        ),
        PrintSpecGolden(
            "G64", "torch.arange(7, dtype=torch.float64) / 3",
            shape: [7], .f64 { Double($0) / 3 },
            expected: """
                tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667, 2.0000],
                       dtype=float64)
                """
        ),
        PrintSpecGolden(
            "G65", "torch.arange(6, dtype=torch.float64) / 3",
            shape: [6], .f64 { Double($0) / 3 },
            expected: """
                tensor([0.0000, 0.3333, 0.6667, 1.0000, 1.3333, 1.6667], dtype=float64)
                """
        ),
        PrintSpecGolden(
            "G66", "torch.arange(60, dtype=torch.float64)",
            shape: [60], .f64 { Double($0) },
            expected: """
                tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,
                        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,
                        28., 29., 30., 31., 32., 33., 34., 35., 36., 37., 38., 39., 40., 41.,
                        42., 43., 44., 45., 46., 47., 48., 49., 50., 51., 52., 53., 54., 55.,
                        56., 57., 58., 59.], dtype=float64)
                """
        ),
        PrintSpecGolden(
            "G67", "torch.arange(20, dtype=torch.float64, requires_grad=True) * 1.5",
            shape: [20], .f64 { Double($0) * 1.5 }, autograd: "grad_fn=<MulBackward0>",
            expected: """
                tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,
                        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,
                        24.0000, 25.5000, 27.0000, 28.5000], dtype=float64,
                       grad_fn=<MulBackward0>)
                """
        ),
        PrintSpecGolden(
            "G68", "torch.tensor([1.5, 2.5], dtype=torch.float64, requires_grad=True) * 2",
            shape: [2], .f64([3, 5]), options: .init(lineWidth: 40), autograd: "grad_fn=<MulBackward0>",
            expected: """
                tensor([3., 5.], dtype=float64,
                       grad_fn=<MulBackward0>)
                """
        ),
        PrintSpecGolden(
            "G69", "torch.arange(2000)",
            shape: [2000], .i64 { Int64($0) }, options: .init(edgeItems: 0),
            expected: """
                tensor([...], size=(2000,))
                """
        ),
        PrintSpecGolden(
            "G70", "torch.zeros(18, dtype=torch.int32)",
            shape: [18], .i32 { _ in 0 },
            expected: """
                tensor([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
                       dtype=int32)
                """
        ),
        PrintSpecGolden(
            "G71", "torch.zeros(17, dtype=torch.int32)",
            shape: [17], .i32 { _ in 0 },
            expected: """
                tensor([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=int32)
                """
        ),
        PrintSpecGolden(
            "G72", "torch.tensor([1e20, 1.])",
            shape: [2], .f32([1e20, 1]), options: .init(sciMode: false),
            expected: """
                tensor([100000002004087734272.,                     1.])
                """
        ),
        PrintSpecGolden(
            "G73", "torch.tensor(5)",
            shape: [], .i64([5]), options: .init(edgeItems: 0),
            expected: """
                tensor(5, size=())
                """
        ),
        PrintSpecGolden(
            "G74", "t = torch.ones(2000, dtype=torch.bool); t[1000] = False; t",
            shape: [2000], .bool { $0 != 1000 },
            expected: """
                tensor([True, True, True,  ..., True, True, True])
                """
        ),
        PrintSpecGolden(
            "G75", "t = torch.zeros(2000, dtype=torch.int64); t[1000] = 123456; t",
            shape: [2000], .i64 { $0 == 1000 ? 123456 : 0 },
            expected: """
                tensor([0, 0, 0,  ..., 0, 0, 0])
                """
        ),
        PrintSpecGolden(
            "G76", "t = torch.ones(40, 40); t[20, 20] = 0.5; t",
            shape: [40, 40], .f32 { $0 == 20 * 40 + 20 ? 0.5 : 1 },
            expected: """
                tensor([[1., 1., 1.,  ..., 1., 1., 1.],
                        [1., 1., 1.,  ..., 1., 1., 1.],
                        [1., 1., 1.,  ..., 1., 1., 1.],
                        ...,
                        [1., 1., 1.,  ..., 1., 1., 1.],
                        [1., 1., 1.,  ..., 1., 1., 1.],
                        [1., 1., 1.,  ..., 1., 1., 1.]])
                """
        ),
        PrintSpecGolden(
            "G77", "t = torch.ones(40, 40); t[0, 39] = 0.5; t",
            shape: [40, 40], .f32 { $0 == 39 ? 0.5 : 1 },
            expected: """
                tensor([[1.0000, 1.0000, 1.0000,  ..., 1.0000, 1.0000, 0.5000],
                        [1.0000, 1.0000, 1.0000,  ..., 1.0000, 1.0000, 1.0000],
                        [1.0000, 1.0000, 1.0000,  ..., 1.0000, 1.0000, 1.0000],
                        ...,
                        [1.0000, 1.0000, 1.0000,  ..., 1.0000, 1.0000, 1.0000],
                        [1.0000, 1.0000, 1.0000,  ..., 1.0000, 1.0000, 1.0000],
                        [1.0000, 1.0000, 1.0000,  ..., 1.0000, 1.0000, 1.0000]])
                """
        ),
        PrintSpecGolden(
            "G78", "torch.zeros(13, requires_grad=True)",
            shape: [13], .f32 { _ in 0 }, autograd: requiresGrad,
            expected: """
                tensor([0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.],
                       requires_grad=True)
                """
        ),
        PrintSpecGolden(
            "G79", "torch.zeros(12, requires_grad=True)",
            shape: [12], .f32 { _ in 0 }, autograd: requiresGrad,
            expected: """
                tensor([0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0., 0.], requires_grad=True)
                """
        ),
    ]
}

/// The generated goldens' shape: see PrintingGoldens.swift and Tests/Goldens/print_goldens.py.
struct GeneratedPrintGolden: Sendable, CustomTestStringConvertible {
    let id: String
    let source: String
    let shape: [Int]
    let dtype: DType
    let options: PrintOptions
    let autograd: String?
    /// `flatIndex:value` for each displayed element; floats as bit patterns.
    let elements: String
    let expected: String

    var testDescription: String { "\(id) \(source)" }

    /// The stored elements by flat index: a float bit pattern, an integer or
    /// 0/1 for bools, as text.
    var storedElements: [Int: Substring] {
        var result: [Int: Substring] = [:]
        for entry in elements.split(separator: " ") {
            let parts = entry.split(separator: ":")
            result[Int(parts[0])!] = parts[1]
        }
        return result
    }
}

// MARK: - Tests

@Suite("Printing")
struct PrintingTests {
    @Test("Specification goldens", arguments: PrintSpecGolden.goldens)
    func specificationGolden(_ golden: PrintSpecGolden) {
        let log = ReadLog()
        let text = format(golden.tensor, shape: golden.shape, options: golden.options, autograd: golden.autograd, log: log)
        #expect(text == golden.expected)
        // Each displayed element is read once, and hidden ones never.
        #expect(Set(log.indices).count == log.indices.count)
        #expect(log.indices.count <= displayLimit(shape: golden.shape, options: golden.options))
    }

    @Test("Goldens generated with PyTorch", arguments: GeneratedPrintGolden.all)
    func generatedGolden(_ golden: GeneratedPrintGolden) throws {
        let stored = golden.storedElements
        let log = ReadLog()
        // Only displayed elements are stored; reading any other is a failure.
        func value(_ index: Int) -> Substring {
            log.indices.append(index)
            guard let value = stored[index] else {
                Issue.record("\(golden.id): read hidden element \(index)")
                return "0"
            }
            return value
        }
        let elements: TensorFormatter.Elements = switch golden.dtype {
        case .float32: .floating { Double(Float(bitPattern: UInt32(value($0), radix: 16)!)) }
        case .float64: .floating { Double(bitPattern: UInt64(value($0), radix: 16)!) }
        case .int32, .int64: .integer { Int64(value($0))! }
        case .bool: .boolean { value($0) == "1" }
        default: .integer { _ in Issue.record("\(golden.id): no printing golden has dtype \(golden.dtype)"); return 0 }
        }
        let text = TensorFormatter.format(shape: golden.shape, dtype: golden.dtype, elements: elements, autogradSuffix: golden.autograd, options: golden.options)
        #expect(text == golden.expected)
        #expect(log.indices.count == stored.count)
        #expect(Set(log.indices) == Set(stored.keys))
    }

    @Test("A 16M-element tensor reads only its 36 displayed elements")
    func largeMatrixReadsOnlyDisplayedElements() {
        let log = ReadLog()
        let text = format(.f32 { Float($0) }, shape: [4096, 4096], options: .default, autograd: nil, log: log)
        // torch.arange(4096 * 4096.).reshape(4096, 4096)
        #expect(text == """
            tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.0930e+03, 4.0940e+03,
                     4.0950e+03],
                    [4.0960e+03, 4.0970e+03, 4.0980e+03,  ..., 8.1890e+03, 8.1900e+03,
                     8.1910e+03],
                    [8.1920e+03, 8.1930e+03, 8.1940e+03,  ..., 1.2285e+04, 1.2286e+04,
                     1.2287e+04],
                    ...,
                    [1.6765e+07, 1.6765e+07, 1.6765e+07,  ..., 1.6769e+07, 1.6769e+07,
                     1.6769e+07],
                    [1.6769e+07, 1.6769e+07, 1.6769e+07,  ..., 1.6773e+07, 1.6773e+07,
                     1.6773e+07],
                    [1.6773e+07, 1.6773e+07, 1.6773e+07,  ..., 1.6777e+07, 1.6777e+07,
                     1.6777e+07]])
            """)
        #expect(log.indices.count == 36)
        #expect(Set(log.indices).count == 36)
    }

    @Test("A 16M-element rank-4 tensor reads only its 6⁴ displayed elements")
    func largeRank4TensorReadsOnlyDisplayedElements() {
        let log = ReadLog()
        let text = format(.i64 { Int64($0) }, shape: [16, 16, 256, 256], options: .default, autograd: nil, log: log)
        // torch.arange(16777216).reshape(16, 16, 256, 256)
        #expect(text.hasPrefix("tensor([[[[       0,        1,        2,  ...,      253,      254,      255],\n"))
        #expect(text.hasSuffix("[16776960, 16776961, 16776962,  ..., 16777213, 16777214, 16777215]]]])"))
        // Each 3-D block: 6 matrices of 7 lines, a "..." line and 6 empty lines;
        // the top level adds a "..." line and 2 empty lines per separator.
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 6 * (6 * 7 + 1 + 6) + 1 + 6 * 2)
        #expect(text.utf8.count == 17575)
        #expect(log.indices.count == 1296)
        #expect(Set(log.indices).count == 1296)
    }

    @Test("Edge items larger than any axis do not overflow")
    func hugeEdgeItems() {
        let log = ReadLog()
        let text = format(.i64 { Int64($0) }, shape: [3], options: PrintOptions(threshold: 0, edgeItems: .max), autograd: nil, log: log)
        #expect(text == "tensor([0, 1, 2])")
    }

    @Test("Profiles match torch.set_printoptions(profile=...)")
    func profiles() {
        #expect(PrintOptions() == .default)
        #expect(PrintOptions.default == PrintOptions(precision: 4, threshold: 1000, edgeItems: 3, lineWidth: 80, sciMode: nil))
        #expect(PrintOptions.short == PrintOptions(precision: 2, threshold: 1000, edgeItems: 2, lineWidth: 80, sciMode: nil))
        #expect(PrintOptions.full == PrintOptions(precision: 4, threshold: .max, edgeItems: 3, lineWidth: 80, sciMode: nil))
    }
}

/// Tests of the process-wide options. Other suites may print tensors in
/// parallel, so the temporary options differ from the defaults only in a
/// threshold of 1001, which changes nothing but a tensor of exactly 1001
/// elements.
@Suite("Printing options", .serialized)
struct PrintOptionsGlobalTests {
    static let temporary = PrintOptions(threshold: 1001)

    @Test("withPrintOptions applies options, then restores them")
    func withPrintOptionsRestores() {
        let before = Tensor.printOptions
        let seen = Tensor.withPrintOptions(Self.temporary) { Tensor.printOptions }
        #expect(seen == Self.temporary)
        #expect(Tensor.printOptions == before)
    }

    @Test("withPrintOptions restores the options when its body throws")
    func withPrintOptionsRestoresOnThrow() {
        struct Failure: Error {}
        let before = Tensor.printOptions
        #expect(throws: Failure.self) {
            try Tensor.withPrintOptions(Self.temporary) { throw Failure() }
        }
        #expect(Tensor.printOptions == before)
    }

    @Test("printOptions can be set and read back")
    func setAndRead() {
        let before = Tensor.printOptions
        defer { Tensor.printOptions = before }
        Tensor.printOptions = Self.temporary
        #expect(Tensor.printOptions == Self.temporary)
    }
}
