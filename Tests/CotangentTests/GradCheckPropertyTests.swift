import CotangentTestSupport
import Testing

@testable import Cotangent

/// A property that needs no PyTorch: random graphs of differentiable ops, with
/// broadcasting, views with steps and reductions, have gradients that match
/// central differences in Float64. Inputs stay away from the ops' kinks (no
/// relu/abs/max ties), so finite differences are accurate.
@Suite("Random graphs pass gradCheck")
struct GradCheckPropertyTests {
    /// A small deterministic generator (SplitMix64), so each seed is one fixed graph.
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func double(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * Double(next() >> 11) / Double(1 << 53) }
    }

    /// A random shape of rank 0-3 with sizes 1-3.
    static func shape(_ rng: inout SplitMix) -> [Int] { (0..<rng.int(4)).map { _ in 1 + rng.int(3) } }

    /// Builds one random graph: a list of steps over registers, replayed on any inputs.
    static func graph(seed: UInt64) -> (inputs: [Tensor], f: ([Tensor]) -> Tensor, description: String) {
        var rng = SplitMix(state: seed)
        let first = shape(&rng)
        var inputShapes = [first]
        var steps: [(String, ([Tensor]) -> Tensor)] = []
        var shapes = [first]
        for _ in 0..<(1 + rng.int(6)) {
            let r = rng.int(shapes.count), s = shapes[r]
            switch rng.int(9) {
            case 0:
                let names = ["exp", "tanh", "sigmoid", "sin", "square", "softplus"]
                let which = rng.int(names.count)
                let name = names[which]
                let op: (Tensor) -> Tensor = { x in
                    switch which {
                    case 0: return (x * 0.5).exp()
                    case 1: return x.tanh()
                    case 2: return x.sigmoid()
                    case 3: return x.sin()
                    case 4: return x.square()
                    default: return (x.exp() + 1).log()
                    }
                }
                steps.append(("\(name) r\(r)", { op($0[r]) }))
                shapes.append(s)
            case 1, 2:
                // A partner that broadcasts: some dims 1, maybe fewer leading dims.
                var partner = s.map { rng.int(3) == 0 ? 1 : $0 }
                if !partner.isEmpty && rng.int(3) == 0 { partner.removeFirst() }
                inputShapes.append(partner)
                let b = shapes.count
                shapes.append(partner)
                steps.append(("input \(partner)", { $0[0] }))  // replaced by the next input when run
                let names = ["add", "mul", "sub", "div", "atan2"]
                let which = rng.int(names.count)
                let name = names[which]
                let op: (Tensor, Tensor) -> Tensor = { a, b in
                    switch which {
                    case 0: return a + b
                    case 1: return a * b
                    case 2: return a - b
                    case 3: return a / (b * b + 1)
                    default: return a.atan2(b * b + 0.5)
                    }
                }
                let out = Shape.broadcast(s, partner, op: "test")
                steps.append(("\(name) r\(r) r\(b)", { op($0[r], $0[b]) }))
                shapes.append(out)
            case 3 where !s.isEmpty:
                let d = rng.int(s.count)
                steps.append(("sum r\(r) dim \(d)", { $0[r].sum(dim: d, keepDim: true) }))
                var out = s
                out[d] = 1
                shapes.append(out)
            case 4 where !s.isEmpty:
                let d = rng.int(s.count)
                let names = ["softmax", "logSoftmax", "cumsum"]
                let which = rng.int(names.count)
                let name = names[which]
                let op: (Tensor) -> Tensor = { x in
                    which == 0 ? x.softmax(dim: d) : (which == 1 ? x.logSoftmax(dim: d) : x.cumsum(dim: d))
                }
                steps.append(("\(name) r\(r) dim \(d)", { op($0[r]) }))
                shapes.append(s)
            case 5 where s.count >= 2:
                steps.append(("transpose r\(r)", { $0[r].transposed(0, 1) }))
                var out = s
                out.swapAt(0, 1)
                shapes.append(out)
            case 6 where !s.isEmpty && s[0] >= 2:
                steps.append(("slice r\(r) ::2", { $0[r].slice(dim: 0, start: 0, end: nil, step: 2) }))
                var out = s
                out[0] = (s[0] + 1) / 2
                shapes.append(out)
            case 7:
                steps.append(("mean r\(r)", { $0[r].mean() }))
                shapes.append([])
            default:
                steps.append(("reshape r\(r)", { $0[r].reshaped(-1) }))
                shapes.append([Shape.count(s)])
            }
        }
        let inputs = inputShapes.map { shape -> Tensor in
            Tensor(shape: shape, scalars: (0..<Shape.count(shape)).map { _ in rng.double(-1.5, 1.5) })
        }
        let description = steps.map(\.0).joined(separator: "; ")
        let stepList = steps
        let f: ([Tensor]) -> Tensor = { xs in
            // Registers in the order they were made; each "input" step takes the next input.
            var registers = [xs[0]], nextInput = 1
            for (name, step) in stepList {
                if name.hasPrefix("input") {
                    registers.append(xs[nextInput])
                    nextInput += 1
                } else {
                    registers.append(step(registers))
                }
            }
            return registers.last!.sum()
        }
        return (inputs, f, description)
    }

    @Test(arguments: 0..<200)
    func randomGraphPassesGradCheck(seed: Int) {
        let (inputs, f, description) = Self.graph(seed: UInt64(seed) &* 7919 &+ 1)
        let report = gradCheck(f, inputs: inputs, eps: 1e-6, atol: 1e-6, rtol: 1e-4)
        #expect(report.passed, "seed \(seed): \(description): \(report)")
    }
}
