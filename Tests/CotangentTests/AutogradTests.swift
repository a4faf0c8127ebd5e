import Cotangent
import CotangentTestSupport
import Foundation
import Testing

// Autograd semantics against PyTorch. Each test runs the same program as its
// twin in Tests/Goldens/autograd_goldens.py and compares with the values,
// names, printed text and messages committed in AutogradGoldens.swift.
// Programmer errors stop the process, so they are exit tests that also read
// the message from standard error.

/// The autograd tests, grouped so that `swift test --filter AutogradTests` selects them all.
@Suite struct AutogradTests {}

// MARK: Helpers shared by the Autograd*Tests files

/// A float64 leaf that requires grad, with `values` laid out in `shape` (1-d by default).
func autogradLeaf(_ values: [Double], shape: [Int]? = nil, dtype: DType = .float64) -> Tensor {
    let t = Tensor(shape: shape ?? [values.count], scalars: values).to(dtype)
    t.requiresGrad = true
    return t
}

/// A float64 tensor that does not require grad.
func autogradConstant(_ values: [Double], shape: [Int]? = nil) -> Tensor {
    Tensor(shape: shape ?? [values.count], scalars: values)
}

/// Expects an exit test's standard error to contain PyTorch's message `key`
/// from ``AutogradGoldens/messages``.
func expectMessage(_ result: ExitTest.Result?, _ key: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let expected = AutogradGoldens.messages[key] else {
        Issue.record("no golden message \(key)", sourceLocation: sourceLocation)
        return
    }
    expectStandardError(result, contains: expected, sourceLocation: sourceLocation)
}

/// The names of a node's next functions, `nil` for inputs that need no gradient.
func nextNames(_ node: Node?) -> [String] {
    (node?.nextFunctions ?? []).map { $0.node?.name ?? "nil" }
}

// MARK: The seed notebook

extension AutogradTests {
    /// The seed notebook's cells (shared/seed/autograd-notebook.txt), checked
    /// value by value rather than through printed text.
    @Suite("Seed notebook") struct SeedNotebook {
        @Test func gradientOfTwiceTheDotProduct() {
            let x = Tensor.arange(4.0)
            x.requiresGrad = true
            #expect(x.grad == nil)
            let y = 2 * x.dot(x)
            #expect(y.gradFn?.name == "MulBackward0")
            y.backward()
            expectClose(try! #require(x.grad), [0, 4, 8, 12], shape: [4])
            #expect(x.grad!.equal(4 * x))
        }

        @Test func detachedValueIsAConstant() {
            let x = Tensor.arange(4.0)
            x.requiresGrad = true
            let y = x * x
            let u = y.detached()
            let z = u * x
            z.sum().backward()
            #expect(x.grad!.equal(u))
            x.grad!.zero()
            y.sum().backward()
            expectClose(x.grad!, [0, 2, 4, 6])
        }

        /// The seed's `f2`: a loop and a branch on tensor values.
        static func f2(_ a: Tensor) -> Tensor {
            var b = a * 2
            while b.norm().item() < 1000 {
                b = b * 2
            }
            return b.sum().item() > 0 ? b : 100 * b
        }

        @Test(arguments: AutogradGoldens.controlFlow.map(\.seed))
        func controlFlow(seed: Int) throws {
            let golden = try #require(AutogradGoldens.controlFlow.first { $0.seed == seed })
            let a = Tensor.randn([], requiresGrad: true, generator: Generator(seed: UInt64(seed)))
            let d = Self.f2(a)
            d.backward()
            #expect(a.item() == golden.a)
            #expect(d.item() == golden.d)
            #expect(a.grad?.item() == golden.gradient)
            #expect(a.grad!.equal(d / a) == golden.gradEqualsRatio)
            #expect(d.gradFn?.name == "MulBackward0")
        }

        @Test func mseLossOfTheNotebook() {
            let a = Tensor([[1], [2]], dtype: .float32, requiresGrad: true)
            let b = Tensor([[3], [4]], dtype: .float32)
            let lossFunc = MSELoss()
            var loss = lossFunc(a, b)
            expectClose(loss, [4], shape: [])
            loss.sum().backward()
            expectClose(a.grad!, [-2, -2], shape: [2, 1])
            a.grad!.zero()
            loss = lossFunc(b, a)
            loss.backward()
            expectClose(a.grad!, [-2, -2], shape: [2, 1])
            a.grad!.zero()
            loss = lossFunc(b, a)
            loss.mean().backward()
            expectClose(a.grad!, [-2, -2], shape: [2, 1])
        }

        @Test(arguments: [("mean", Reduction.mean), ("sum", .sum), ("none", .none)])
        func mseLossGradientsOfBothArguments(label: String, reduction: Reduction) throws {
            let golden = try #require(AutogradGoldens.mse[label])
            for useFunction in [false, true] {
                let a = autogradLeaf(AutogradGoldens.mseA, shape: [2, 3])
                let b = autogradLeaf(AutogradGoldens.mseB, shape: [2, 3])
                let loss = useFunction ? mseLoss(a, b, reduction: reduction) : MSELoss(reduction: reduction)(a, b)
                #expect(loss.gradFn?.name == AutogradGoldens.mseName)
                #expect(nextNames(loss.gradFn).joined(separator: ", ") == AutogradGoldens.mseNextFunctions)
                if reduction == .none {
                    loss.backward(gradient: autogradConstant(AutogradGoldens.mseWeights, shape: [2, 3]))
                } else {
                    loss.backward()
                }
                expectClose(loss, golden.loss, rtol: 1e-12)
                expectClose(a.grad!, golden.gradA, shape: [2, 3], rtol: 1e-12, atol: 1e-15)
                expectClose(b.grad!, golden.gradB, shape: [2, 3], rtol: 1e-12, atol: 1e-15)
            }
        }

        @Test func mseLossWithABroadcastTarget() {
            let a = autogradLeaf(AutogradGoldens.mseA, shape: [2, 3])
            let target = autogradLeaf(AutogradGoldens.mseBroadcastTarget)
            let loss = mseLoss(a, target)
            loss.backward()
            let golden = AutogradGoldens.mseBroadcast
            expectClose(loss, [golden.loss], rtol: 1e-12)
            expectClose(a.grad!, golden.gradA, shape: [2, 3], rtol: 1e-12)
            expectClose(target.grad!, golden.gradTarget, shape: [3], rtol: 1e-12)
        }
    }
}

// MARK: The seed tour

extension AutogradTests {
    /// Runs the built `cotangent tour` and compares its output with the contract.
    @Suite("Seed tour") struct SeedTour {
        /// The package root, found from this file's path.
        static let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        /// The read-only contract folder beside the repository (absent in some checkouts).
        static let contract = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/contract")

        /// The `cotangent` executable: beside the test bundle, or in a build folder of the package.
        static func executable() -> URL? {
            let fileManager = FileManager.default
            var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
            if let folders = try? fileManager.contentsOfDirectory(atPath: packageRoot.path) {
                for folder in folders.sorted() where folder.hasPrefix(".build") {
                    let build = packageRoot.appendingPathComponent(folder)
                    candidates.append(build.appendingPathComponent("debug"))
                    let triples = (try? fileManager.contentsOfDirectory(atPath: build.path)) ?? []
                    candidates += triples.sorted().map { build.appendingPathComponent($0).appendingPathComponent("debug") }
                }
            }
            return candidates.map { $0.appendingPathComponent("cotangent") }
                .first { fileManager.isExecutableFile(atPath: $0.path) }
        }

        @Test func tourPrintsTheContract() throws {
            let executable = try #require(Self.executable(), "build the cotangent executable (swift build) first")
            let process = Process()
            process.executableURL = executable
            process.arguments = ["tour"]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let printed = String(decoding: data, as: UTF8.self)
            #expect(printed == tourExpected)
            if printed != tourExpected {
                let lines = (printed.split(separator: "\n", omittingEmptySubsequences: false),
                             tourExpected.split(separator: "\n", omittingEmptySubsequences: false))
                for (i, (got, want)) in zip(lines.0, lines.1).enumerated() where got != want {
                    Issue.record("line \(i + 1): printed \(got.debugDescription), expected \(want.debugDescription)")
                    break
                }
            }
        }

        @Test(.enabled(if: FileManager.default.fileExists(atPath: contract.appendingPathComponent("tour.expected").path)))
        func committedExpectationMatchesTheContract() throws {
            let text = try String(contentsOf: Self.contract.appendingPathComponent("tour.expected"), encoding: .utf8)
            #expect(text == tourExpected)
        }

        @Test(.enabled(if: FileManager.default.fileExists(atPath: contract.appendingPathComponent("Tour.swift").path)))
        func tourSourceIsTheContractVerbatim() throws {
            let contractSource = try Data(contentsOf: Self.contract.appendingPathComponent("Tour.swift"))
            let source = try Data(contentsOf: Self.packageRoot.appendingPathComponent("Sources/cotangent/Tour/Tour.swift"))
            #expect(source == contractSource, "Sources/cotangent/Tour/Tour.swift must be byte-identical to shared/contract/Tour.swift")
        }
    }
}

/// A copy of shared/contract/tour.expected, committed so the check runs where
/// `../shared` is absent; `committedExpectationMatchesTheContract` keeps it in step.
let tourExpected = """
    2.3000000000
    2.0300000000
    2.0030000000
    2.0003000000
    2.0000300000
    2.0000030001
    2.0000002987
    1.9999999878
    2.0000001655
    2.0000001655
    tensor([0., 1., 2., 3.])
    nil
    tensor(28., grad_fn=<MulBackward0>)
    tensor([ 0.,  4.,  8., 12.])
    tensor([True, True, True, True])
    tensor([1., 1., 1., 1.])
    tensor([0., 1., 2., 3.], requires_grad=True)
    tensor([1., 2., 0., 0.])
    tensor([0., 1., 4., 9.], grad_fn=<MulBackward0>)
    tensor(14., grad_fn=<SumBackward0>)
    tensor([0., 2., 4., 6.])
    tensor([0., 2., 4., 6.])
    tensor([True, True, True, True])
    tensor([0., 2., 4., 6.])
    tensor(1.5410, requires_grad=True) tensor(1577.9800, grad_fn=<MulBackward0>)
    tensor(True)
    tensor(4., grad_fn=<MseLossBackward0>)
    a.grad is :{} tensor([[-2.],
            [-2.]])
    a.grad is :{} tensor([[-2.],
            [-2.]])
    a.grad is :{} tensor([[-2.],
            [-2.]])

    """
