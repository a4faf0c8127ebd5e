import CotangentTestSupport
import Foundation
import Testing

@testable import Cotangent

/// The differential tester: random programs (`Tests/Differential/generate.py`)
/// that PyTorch ran, interpreted here with Cotangent and compared with
/// PyTorch's results, committed in `Tests/Differential/corpus.jsonl`.
///
/// Programs PyTorch accepts run in batches in child processes, so a program
/// where Cotangent stops ends only its batch (the batch prints the id of the
/// program it runs before running it). Programs where PyTorch raises run one by
/// one as exit tests and must stop.
///
/// ``DifferentialCorpus/knownDisagreements`` lists the programs that disagree
/// today, each with the reason; a listed program that starts agreeing fails the
/// test too, so the list only shrinks.
@Suite("Differential programs agree with PyTorch")
struct DifferentialTests {
    static let batches = 16

    @Test(arguments: 0..<batches)
    func acceptedProgramsAgree(batch: Int) async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent, \.standardErrorContent]) { [batch] in
            for index in DifferentialCorpus.lines.indices where index % DifferentialTests.batches == batch {
                let program = DifferentialCorpus.program(at: index)
                guard !program.raises, DifferentialCorpus.knownStops[program.seed] == nil else { continue }
                print("running \(program.seed)")
                for problem in program.runAndCompare() { print("disagrees \(program.seed): \(problem)") }
            }
        }
        guard let result else { return }
        let lines = String(decoding: result.standardOutputContent, as: UTF8.self).split(separator: "\n")
        if result.exitStatus != .exitCode(0) {
            // Cotangent stopped on a program PyTorch accepts: the last one the batch started.
            let last = lines.last { $0.hasPrefix("running ") }.map { String($0.dropFirst("running ".count)) } ?? "?"
            let stderr = String(decoding: result.standardErrorContent, as: UTF8.self)
            let message = stderr.split(separator: "\n").first { $0.contains("Fatal error") } ?? ""
            Issue.record("program \(last) stops in Cotangent but not in PyTorch: \(message)")
        }
        var disagreeing: [Int: [String]] = [:]
        for line in lines where line.hasPrefix("disagrees ") {
            let rest = line.dropFirst("disagrees ".count)
            guard let colon = rest.firstIndex(of: ":"), let seed = Int(rest[..<colon]) else { continue }
            disagreeing[seed, default: []].append(String(rest[rest.index(after: colon)...]))
        }
        let expected = DifferentialCorpus.summaries.enumerated()
            .filter { $0.offset % DifferentialTests.batches == batch && !$0.element.raises }
            .map(\.element.seed).filter { DifferentialCorpus.knownDisagreements[$0] != nil }
        for (seed, problems) in disagreeing.sorted(by: { $0.key < $1.key }) where DifferentialCorpus.knownDisagreements[seed] == nil {
            Issue.record("program \(seed) disagrees with PyTorch: \(problems.joined(separator: "; "))")
        }
        for seed in expected where disagreeing[seed] == nil {
            Issue.record("program \(seed) now agrees with PyTorch: remove it from knownDisagreements")
        }
    }

    /// Runs every accepted program in this process when `COTANGENT_DIFFERENTIAL_IN_PROCESS`
    /// is set (or only the program whose seed it holds): a stop then shows its message
    /// and the last "running" line names the program (for triage; the batches above
    /// cannot report more than the stop).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["COTANGENT_DIFFERENTIAL_IN_PROCESS"] != nil))
    func acceptedProgramsInProcess() {
        let only = ProcessInfo.processInfo.environment["COTANGENT_DIFFERENTIAL_IN_PROCESS"].flatMap { Int($0) }
        for index in DifferentialCorpus.lines.indices {
            let program = DifferentialCorpus.program(at: index)
            if let only, program.seed != only { continue }
            guard only != nil || (!program.raises && DifferentialCorpus.knownStops[program.seed] == nil) else { continue }
            print("running \(program.seed)")
            for problem in program.runAndCompare() { print("disagrees \(program.seed): \(problem)") }
        }
    }

    /// With `COTANGENT_DIFFERENTIAL_TRIAGE` set, runs each accepted program in a
    /// child of its own: a failure with exit code 3 is a disagreement, a signal a stop.
    static let acceptedIndices: [Int] = DifferentialCorpus.summaries.indices.filter { !DifferentialCorpus.summaries[$0].raises }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["COTANGENT_DIFFERENTIAL_TRIAGE"] != nil), arguments: acceptedIndices)
    func triage(index: Int) async {
        await #expect(processExitsWith: .success, "program \(DifferentialCorpus.summaries[index].seed)") { [index] in
            if !DifferentialCorpus.program(at: index).runAndCompare().isEmpty { exit(3) }
        }
    }

    /// Every program PyTorch refuses, by seed.
    static let refusedIndices: [Int] = DifferentialCorpus.summaries.indices.filter { DifferentialCorpus.summaries[$0].raises }

    @Test(arguments: refusedIndices)
    func refusedProgramsStop(index: Int) async {
        let program = DifferentialCorpus.program(at: index)
        guard DifferentialCorpus.knownDisagreements[program.seed] == nil else { return }
        await #expect(processExitsWith: .failure, "program \(program.seed): PyTorch raises \(program.message ?? "")") { [index] in
            _ = DifferentialCorpus.program(at: index).runAndCompare()
        }
    }
}

/// The committed corpus of differential programs and their PyTorch results.
struct DifferentialCorpus {
    /// Programs that disagree with PyTorch today, by seed, with why (see the suite's documentation).
    static let knownDisagreements: [Int: String] = [
        7475: "createGraph through an in-place multiply of an empty expanded view: PyTorch's first gradient does not require grad (so nothing is accumulated); ours does",
    ]

    /// Programs that stop in Cotangent though PyTorch accepts them, by seed, with why;
    /// they are skipped in the batches (a stop would end the batch).
    static let knownStops: [Int: String] = [:]


    /// The lines of `Tests/Differential/corpus.jsonl`, one program each (parsed on demand:
    /// an exit test's child parses only its own).
    static let lines: [Substring] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Differential/corpus.jsonl")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n")
    }()

    /// The program on line `index`.
    static func program(at index: Int) -> DifferentialProgram {
        DifferentialProgram(try! JSONSerialization.jsonObject(with: Data(lines[index].utf8)) as! [String: Any])
    }

    /// Each program's seed and whether PyTorch raised, in corpus order.
    static let summaries: [(seed: Int, raises: Bool)] = lines.indices.map { index in
        let program = program(at: index)
        return (program.seed, program.raises)
    }
}

/// One program: inputs, ops over registers, how backward runs, and PyTorch's results.
struct DifferentialProgram {
    let seed: Int
    let inputs: [[String: Any]]
    let ops: [[Any]]
    let mode: String
    let expect: [String: Any]

    init(_ json: [String: Any]) {
        seed = json["seed"] as! Int
        inputs = json["inputs"] as! [[String: Any]]
        ops = json["ops"] as! [[Any]]
        mode = json["mode"] as! String
        expect = json["expect"] as! [String: Any]
    }

    var raises: Bool { expect["raises"] as? Bool ?? false }
    var message: String? { expect["message"] as? String }

    private static func dtype(_ name: String) -> DType {
        switch name {
        case "float64": .float64
        case "float32": .float32
        case "int64": .int64
        default: .bool
        }
    }

    private static func double(_ value: Any) -> Double {
        if let n = value as? NSNumber { return n.doubleValue }
        if let s = value as? String { return s == "nan" ? .nan : (s == "inf" ? .infinity : -.infinity) }
        fatalError("not a number: \(value)")
    }

    private func input(_ spec: [String: Any]) -> Tensor {
        let shape = spec["shape"] as! [Int]
        let values = spec["values"] as! [Any]
        let t: Tensor
        switch Self.dtype(spec["dtype"] as! String) {
        case .float64: t = Tensor(shape: shape, scalars: values.map(Self.double))
        case .float32: t = Tensor(shape: shape, scalars: values.map { Float(Self.double($0)) })
        case .int64: t = Tensor(shape: shape, scalars: values.map { Int64(Self.double($0)) })
        default: t = Tensor(shape: shape, scalars: values.map { ($0 as! NSNumber).boolValue })
        }
        if spec["grad"] as? Bool == true { t.requiresGrad = true }
        return t
    }

    /// Applies one op (the same names as `OPS` in generate.py).
    private func apply(_ op: [Any], _ r: [Tensor]) -> Tensor {
        let name = op[0] as! String
        if name == "input" { return input(inputs[op[1] as! Int]) }
        func reg(_ i: Int) -> Tensor { r[op[i] as! Int] }
        func int(_ i: Int) -> Int { op[i] as! Int }
        func typed(_ i: Int) -> (Int?, Double) {
            let text = op[i] as! String
            let value = Double(text.dropFirst(2))!
            return (text.hasPrefix("i:") ? Int(value) : nil, value)
        }
        let a = reg(1)
        switch name {
        case "neg": return -a
        case "exp": return a.exp()
        case "tanh": return a.tanh()
        case "sigmoid": return a.sigmoid()
        case "relu": return a.relu()
        case "abs": return a.abs()
        case "sin": return a.sin()
        case "square": return a.square()
        case "sign": return a.sign()
        case "floor": return a.floor()
        case "clamp": return a.clamped(min: Self.double(op[2]), max: Self.double(op[3]))
        case "clone": return a.cloned()
        case "add": return a + reg(2)
        case "sub": return a - reg(2)
        case "mul": return a * reg(2)
        case "div": return a / reg(2)
        case "maximum": return Tensor.maximum(a, reg(2))
        case "where": return Tensor.where(a .> reg(2), a, reg(2))
        case "matmul": return a.matmul(reg(2))
        case "addNumber":
            let (i, d) = typed(2)
            return i.map { a + $0 } ?? a + d
        case "mulNumber":
            let (i, d) = typed(2)
            return i.map { a * $0 } ?? a * d
        case "powNumber":
            let (i, d) = typed(2)
            return i.map { a.pow($0) } ?? a.pow(d)
        case "sum": return a.sum()
        case "sumDim": return a.sum(dim: int(2), keepDim: int(3) != 0)
        case "mean": return a.mean()
        case "amax": return a.amax(dim: [int(2)], keepDim: int(3) != 0)
        case "maxDim": return a.max(dim: int(2), keepDim: int(3) != 0).values
        case "logsumexp": return a.logsumexp(dim: int(2))
        case "softmax": return a.softmax(dim: int(2))
        case "cumsum": return a.cumsum(dim: int(2))
        case "var": return a.variance(dim: [int(2)])
        case "norm": return a.norm()
        case "transpose": return a.transposed(int(2), int(3))
        case "unsqueeze": return a.unsqueezed(int(2))
        case "squeeze": return a.squeezed()
        case "flatten": return a.flattened()
        case "reshapeRev": return a.reshaped(Array(a.shape.reversed()))
        case "slice": return a.slice(dim: int(2), start: int(3), end: int(4), step: int(5))
        case "select": return a.select(dim: int(2), index: int(3))
        case "expand": return a.expanded(to: [int(2)] + a.shape)
        case "iadd":
            a += reg(2)
            return a
        case "imul":
            a *= reg(2)
            return a
        default: fatalError("unknown op \(name)")
        }
    }

    /// Runs the program and returns how it differs from PyTorch's results (empty: it agrees).
    func runAndCompare() -> [String] {
        var registers: [Tensor] = []
        for op in ops { registers.append(apply(op, registers)) }
        let out = registers.last!
        var problems: [String] = []
        compare(out, expect["out"], "output", into: &problems)
        if out.requiresGrad != (expect["outRequiresGrad"] as? Bool ?? false) {
            problems.append("output requiresGrad \(out.requiresGrad)")
        }
        let made = ops.indices.filter { ops[$0][0] as? String == "input" }.map { registers[$0] }
        let leaves = zip(made, inputs).filter { $0.1["grad"] as? Bool == true }.map(\.0)
        guard out.requiresGrad, !leaves.isEmpty else { return problems }
        if mode == "createGraph" {
            let grads = grad(of: out.sum(), wrt: leaves, createGraph: true, allowUnused: true)
            var total: Tensor?
            for g in grads where g.requiresGrad { total = total.map { $0 + (g * g).sum() } ?? (g * g).sum() }
            total?.backward()
            let firsts = expect["firstGrads"] as? [Any] ?? []
            for (i, g) in grads.enumerated() where i < firsts.count {
                // grad(of:wrt:allowUnused:) gives zeros for an unused input (PyTorch's
                // materialize_grads=True); the corpus records PyTorch's default, None.
                let unused = !(firsts[i] is [String: Any]) && !g.requiresGrad && withNoGrad { (g .== 0.0).all().item() != 0 }
                compare(unused ? nil : g, firsts[i], "first grad \(i)", into: &problems)
            }
        } else {
            let seed = mode == "gradient"
                ? Tensor.linspace(-1, 1, steps: out.count, dtype: out.dtype).reshaped(out.shape) : Tensor.ones(like: out)
            out.backward(gradient: seed, retainGraph: mode == "retain")
            if mode == "retain" { out.backward(gradient: seed) }
        }
        let grads = expect["grads"] as? [Any] ?? []
        for (i, leaf) in leaves.enumerated() where i < grads.count { compare(leaf.grad, grads[i], "grad \(i)", into: &problems) }
        return problems
    }

    /// Compares a tensor (or its absence) with PyTorch's description of one.
    private func compare(_ actual: Tensor?, _ expected: Any?, _ what: String, into problems: inout [String]) {
        guard let spec = expected as? [String: Any] else {
            if actual != nil { problems.append("\(what): PyTorch has none") }
            return
        }
        guard let actual else { problems.append("\(what): missing"); return }
        let shape = spec["shape"] as! [Int]
        let dtype = Self.dtype(spec["dtype"] as! String)
        if actual.shape != shape { problems.append("\(what): shape \(actual.shape), PyTorch \(shape)"); return }
        if actual.dtype != dtype { problems.append("\(what): dtype \(actual.dtype), PyTorch \(dtype)"); return }
        let values = (spec["values"] as! [Any]).map(Self.double)
        let got = actual.scalars(as: Double.self)
        // A float32 anywhere in the program can carry float32 rounding (PyTorch's kernels
        // themselves differ by an ulp across CPUs) into a float64 result.
        let usesFloat32 = inputs.contains { $0["dtype"] as? String == "float32" }
        let (rtol, atol) = dtype == .float64 && !usesFloat32 ? (1e-9, 1e-12)
            : (dtype.isFloatingPoint ? (1e-4, 1e-5) : (0.0, 0.0))
        for (i, (a, e)) in zip(got, values).enumerated() {
            let ok = (a.isNaN && e.isNaN) || a == e || Swift.abs(a - e) <= atol + rtol * Swift.abs(e)
            if !ok { problems.append("\(what)[\(i)]: \(a), PyTorch \(e)"); return }
        }
    }
}
