import Cotangent
import CotangentTestSupport
import Foundation
import Testing

// The graph must not outlive its use: no reference cycles between tensors,
// nodes and saved values, and no growth over many training steps.

extension AutogradTests {
    @Suite("Memory") struct Memory {
        @Test func graphIsFreedWithItsOutput() {
            let x = Tensor.ones([8], requiresGrad: true)
            weak var node: Node?
            weak var intermediate: Tensor?
            weak var output: Tensor?
            do {
                let u = x * 2
                let y = (u * u).sin().sum()
                node = y.gradFn
                intermediate = u
                output = y
                #expect(node != nil && intermediate != nil)
            }
            #expect(output == nil)
            #expect(node == nil, "a node is owned by its output only")
            #expect(intermediate == nil, "saved inputs are owned by the graph only")
        }

        @Test func graphIsFreedAfterBackward() {
            let x = Tensor.ones([8], requiresGrad: true)
            weak var node: Node?
            weak var saved: Tensor?
            do {
                let e = x.exp()
                let y = (e * e).sum()
                node = y.gradFn
                saved = e
                y.backward()
            }
            #expect(node == nil && saved == nil)
            #expect(x.grad != nil)
        }

        @Test func backwardReleasesSavedTensorsWhileTheOutputLives() {
            let x = Tensor.ones([8], requiresGrad: true)
            weak var saved: Tensor?
            let y: Tensor
            do {
                let e = x.exp()
                saved = e
                y = (e * 3).sum()  // MulBackward0 saves e
            }
            #expect(saved != nil, "held for backward")
            y.backward(retainGraph: true)
            #expect(saved != nil, "retainGraph keeps it")
            y.backward()
            #expect(saved == nil, "freed by the backward that does not retain the graph")
        }

        @Test func leavesAndTheirAccumulatorsAreFreed() {
            weak var leaf: Tensor?
            weak var accumulator: Node?
            weak var gradient: Tensor?
            do {
                let x = Tensor.ones([4], requiresGrad: true)
                leaf = x
                let y = (x * x).sum()
                let node = y.gradFn?.nextFunctions.first?.node?.nextFunctions.first?.node
                accumulator = node
                #expect(node?.variable === x)
                y.backward()
                gradient = x.grad
            }
            #expect(leaf == nil && accumulator == nil && gradient == nil)
        }

        @Test func higherOrderGraphsAreFreed() {
            // grad(of:createGraph:) makes no cycle (PyTorch recommends it over backward(createGraph:)).
            weak var leaf: Tensor?
            weak var firstOrder: Tensor?
            weak var secondOrderNode: Node?
            do {
                let x = Tensor.linspace(-1, 1, steps: 5, dtype: .float64)
                x.requiresGrad = true
                leaf = x
                let g = grad(of: (x.tanh() * x).sum(), wrt: [x], createGraph: true)[0]
                firstOrder = g
                secondOrderNode = g.gradFn
                let h = grad(of: g.sum(), wrt: [x])[0]
                #expect(h.count == 5)
            }
            #expect(leaf == nil && firstOrder == nil && secondOrderNode == nil)
        }

        @Test func inPlaceRebasedGraphsAreFreed() {
            weak var node: Node?
            weak var rebased: Tensor?
            do {
                let x = Tensor.ones([4], requiresGrad: true)
                let y = x * 2
                y += 1
                y[0] = Tensor(5.0)
                node = y.gradFn
                rebased = y
                (y * y).sum().backward()
            }
            #expect(node == nil && rebased == nil)
        }

        @Test func residentMemoryStaysFlatOverManySteps() async throws {
            // In a child process, so other tests' allocations don't move the numbers.
            let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
                let w = Tensor.linspace(-1, 1, steps: 8)
                w.requiresGrad = true
                let input = Tensor.linspace(0, 1, steps: 8)
                func step() {
                    // Forward and backward through saved inputs and outputs, then an optimizer update.
                    let loss = ((w * input).tanh().sum() - 1).pow(2)
                    loss.backward()
                    withNoGrad { w -= 0.01 * w.grad! }
                    w.grad = nil
                }
                for _ in 0..<2_000 { step() }
                let before = residentBytes()
                for _ in 0..<10_000 { step() }
                let growth = residentBytes() - before
                FileHandle.standardError.write(Data("resident memory growth: \(growth)\n".utf8))
            }
            let report = result.map { String(decoding: $0.standardErrorContent, as: UTF8.self) } ?? ""
            let growth = report.split(separator: "\n").first { $0.hasPrefix("resident memory growth: ") }
                .flatMap { Int($0.dropFirst("resident memory growth: ".count)) }
            // Allocator noise stays under 1 MiB here; leaking one small tensor or node
            // per step adds 3 MiB or more.
            #expect(try #require(growth) < 2 << 20, "resident memory grew by \(growth ?? -1) bytes over 10,000 steps")
        }
    }
}

/// The resident set size of this process, from /proc/self/statm (0 where unavailable).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
