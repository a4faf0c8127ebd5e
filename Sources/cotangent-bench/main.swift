// cotangent-bench: the workloads of the kernels issue, each timed after a
// warm-up; prints one median per workload (or JSON lines with --json).
//
//   swift run -c release cotangent-bench [--json] [--filter NAME] [--min-time SECONDS]
//   swift run -c release cotangent-bench --checkpoint-memory
//
// --checkpoint-memory prints instead how far the peak resident memory rises in
// one training step of a 32-layer MLP, with and without activation
// checkpointing (in 4 segments), each in a fresh child process.
//
// Benchmarks/compare.py runs the same workloads in PyTorch and NumPy in the
// same invocation and prints ratios.
import Cotangent
import Foundation

struct Options {
    var json = false
    var filter: String?
    var minTime = 1.0

    init(_ arguments: [String]) {
        var it = arguments.dropFirst().makeIterator()
        while let argument = it.next() {
            switch argument {
            case "--json": json = true
            case "--filter": filter = it.next()
            case "--min-time": minTime = Double(it.next() ?? "") ?? minTime
            case "--threads": Cotangent.numThreads = Int(it.next() ?? "") ?? Cotangent.numThreads
            case "-h", "--help":
                print("usage: cotangent-bench [--json] [--filter SUBSTRING] [--min-time SECONDS] [--threads N]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("cotangent-bench: unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }
}

/// One workload: `prepare` builds the inputs once, the returned closure is timed.
struct Workload {
    let name: String
    var flops: Double? = nil
    /// Builds the inputs and returns the timed closure, which returns its results
    /// so they are alive when the harness runs any pending work.
    let prepare: () -> () -> Any
}

/// COTANGENT_BENCH_CPU_TIME=1 times with the process's CPU time (all threads) instead of the
/// wall clock: on a loaded machine that counts only the time the work itself ran.
let benchClock = ProcessInfo.processInfo.environment["COTANGENT_BENCH_CPU_TIME"] == "1"
    ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC

func now() -> Double {
    var ts = timespec()
    clock_gettime(benchClock, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Times `body`: batches of calls sized to ~10 ms, repeated for `minTime`; the median per call.
func measure(_ body: () -> Void, minTime: Double) -> (median: Double, runs: Int) {
    var batch = 1
    while true {
        let start = now()
        for _ in 0..<batch { body() }
        let elapsed = now() - start
        if elapsed > 0.01 || batch >= 1 << 20 { break }
        batch *= 2
    }
    var samples: [Double] = []
    let deadline = now() + minTime
    repeat {
        let start = now()
        for _ in 0..<batch { body() }
        samples.append((now() - start) / Double(batch))
    } while now() < deadline || samples.count < 5
    samples.sort()
    return (samples[samples.count / 2], samples.count * batch)
}

/// The MLP step on raw tensors: Linear-ReLU-Linear, cross-entropy, backward, SGD.
func mlpStep(inputs: Int, hidden: Int, batch: Int) -> () -> Any {
    Tensor.manualSeed(0)
    let w1 = (Tensor.randn(hidden, inputs) * (1 / Double(inputs).squareRoot())).detached()
    let b1 = Tensor.zeros(hidden)
    let w2 = (Tensor.randn(10, hidden) * (1 / Double(hidden).squareRoot())).detached()
    let b2 = Tensor.zeros(10)
    let parameters = [w1, b1, w2, b2]
    for p in parameters { p.requiresGrad = true }
    let x = Tensor.randn(batch, inputs)
    let labels = Tensor.randint(0, 10, shape: [batch])
    let oneHot = (Tensor.arange(10).unsqueezed(0) .== labels.unsqueezed(1)).to(.float32)
    return steps {
        let h = (x.matmul(w1.t()) + b1).relu()
        let logits = h.matmul(w2.t()) + b2
        let loss = -(logits.logSoftmax(dim: 1) * oneHot).sum() / Double(batch)
        loss.backward()
        withNoGrad {
            for p in parameters {
                p -= p.grad! * 0.1
                p.grad = nil
            }
        }
    }
}

/// One epoch of the bundled MLP example (`cotangent train mlp`): Sequential
/// 64-256-10 with ReLU, cross-entropy, SGD (lr 0.1, momentum 0.9), shuffled
/// batches of 64 over the 1,437 training digits, the loss and the number right
/// read out per batch, then the 360 test digits evaluated without recording.
/// Benchmarks/compare.py runs the same loop in PyTorch.
func mlpDigitsEpoch() -> () -> Any {
    guard let train = try? Digits.load(.train), let test = try? Digits.load(.test) else {
        fatalError("cotangent-bench: the bundled digits could not be read")
    }
    Tensor.manualSeed(0)
    let model = Sequential {
        Flatten()
        Linear(64, 256)
        ReLU()
        Linear(256, 10)
    }
    let optimizer = SGD(model.parameters(), learningRate: 0.1, momentum: 0.9)
    let loader = DataLoader(TensorDataset([train.tensors[0], train.tensors[1]]), batchSize: 64, shuffle: true)
    let lossFunction = CrossEntropyLoss()
    let (testImages, testLabels) = (test.tensors[0], test.tensors[1])
    return steps {
        var lossSum = 0.0, right = 0
        model.train()
        for batch in loader {
            let (x, y) = (batch[0], batch[1])
            optimizer.zeroGrad()
            let logits = model(x)
            let loss = lossFunction(logits, y)
            loss.backward()
            optimizer.step()
            lossSum += loss.item() * Double(x.shape[0])
            right += withNoGrad { Int((logits.argmax(dim: 1) .== y).sum().item()) }
        }
        model.eval()
        right += withNoGrad { Int((model(testImages).argmax(dim: 1) .== testLabels).sum().item()) }
        precondition(lossSum.isFinite && right >= 0)
    }
}

let workloads: [Workload] = [
    Workload(name: "seed_step") {
        let x = Tensor.arange(4.0)
        x.requiresGrad = true
        return steps {
            let y = 2 * x.dot(x)
            y.backward()
            x.grad!.zero()
        }
    },
    Workload(name: "chain100_small") {
        let v = Tensor.randn(1000)
        v.requiresGrad = true
        return steps {
            var y = v
            for _ in 0..<50 { y = (y * 1.01 + 0.1).tanh() }
            y.sum().backward()
            Tensor.realizeAll()  // the gradients, before they are dropped
            v.grad = nil
        }
    },
    Workload(name: "fma_16M") {
        let (a, b, c) = (Tensor.randn(1 << 24), Tensor.randn(1 << 24), Tensor.randn(1 << 24))
        return { a * b + c }
    },
    Workload(name: "sum_16M") {
        let a = Tensor.randn(1 << 24)
        return { a.sum() }
    },
    Workload(name: "exp_16M") {
        let a = Tensor.randn(1 << 24)
        return { a.exp() }
    },
    // Elementwise math with vector variants (issue 8), 1M float32 elements each.
    Workload(name: "sinh_1M") { let a = Tensor.randn(1 << 20); return { a.sinh() } },
    Workload(name: "cosh_1M") { let a = Tensor.randn(1 << 20); return { a.cosh() } },
    Workload(name: "exp2_1M") { let a = Tensor.randn(1 << 20); return { a.exp2() } },
    Workload(name: "log2_1M") { let a = Tensor.rand(1 << 20) + 0.5; return { a.log2() } },
    Workload(name: "log10_1M") { let a = Tensor.rand(1 << 20) + 0.5; return { a.log10() } },
    Workload(name: "gelu_tanh_1M") { let a = Tensor.randn(1 << 20); return { gelu(a, approximate: .tanh) } },
    Workload(name: "mish_1M") { let a = Tensor.randn(1 << 20); return { mish(a) } },
    Workload(name: "elu_1M") { let a = Tensor.randn(1 << 20); return { elu(a) } },
    Workload(name: "softplus_1M") { let a = Tensor.randn(1 << 20); return { softplus(a) } },
    // The 16-bit floats: converted to float32 in blocks for the vector kernels.
    Workload(name: "add_f16_4M") {
        let (a, b) = (Tensor.randn(1 << 22).to(.float16), Tensor.randn(1 << 22).to(.float16))
        return { a + b }
    },
    Workload(name: "mul_bf16_4M") {
        let (a, b) = (Tensor.randn(1 << 22).to(.bfloat16), Tensor.randn(1 << 22).to(.bfloat16))
        return { a * b }
    },
    Workload(name: "relu_f16_4M") { let a = Tensor.randn(1 << 22).to(.float16); return { a.relu() } },
    Workload(name: "exp_bf16_1M") { let a = Tensor.randn(1 << 20).to(.bfloat16); return { a.exp() } },
    Workload(name: "softmax_4096x1024") {
        let a = Tensor.randn(4096, 1024)
        return { a.softmax(dim: 1) }
    },
    // Attention scores through einsum: the route (permute, reshape, bmm) and the GEMM.
    Workload(name: "einsum_bmm", flops: 2 * 8 * 8 * 128 * 128 * 64) {
        let (q, k) = (Tensor.randn(8, 8, 128, 64), Tensor.randn(8, 8, 128, 64))
        return { Tensor.einsum("bhqd,bhkd->bhqk", [q, k]) }
    },
] + [64, 256, 1024, 2048].map { n in
    Workload(name: "gemm_\(n)", flops: 2 * pow(Double(n), 3)) {
        let (a, b) = (Tensor.randn(n, n), Tensor.randn(n, n))
        return { a.mm(b) }
    }
} + [
    Workload(name: "mlp784_step") { mlpStep(inputs: 784, hidden: 256, batch: 256) },
    Workload(name: "mlp64_step") { mlpStep(inputs: 64, hidden: 128, batch: 64) },
    Workload(name: "train_mlp_digits_epoch") { mlpDigitsEpoch() },
    // Indexing and sorting (the op-surface issue): 4M-element gathers and scatters
    // along rows of a 2048 x 2048 matrix, 4096 picked rows of 1024, a 1M sort.
    Workload(name: "gather_4M") {
        let (x, index) = (Tensor.randn(2048, 2048), Tensor.randint(0, 2048, shape: [2048, 2048]))
        return { x.gather(dim: 1, index: index) }
    },
    Workload(name: "scatter_add_4M") {
        let (x, src) = (Tensor.zeros(2048, 2048), Tensor.randn(2048, 2048))
        let index = Tensor.randint(0, 2048, shape: [2048, 2048])
        return { x.scatterAdd(dim: 1, index: index, src: src) }
    },
    Workload(name: "index_select_4M") {
        let (x, index) = (Tensor.randn(4096, 1024), Tensor.randint(0, 4096, shape: [4096]))
        return { x.indexSelect(dim: 0, index) }
    },
    Workload(name: "sort_1M") {
        let x = Tensor.randn(1 << 20)
        return { x.sorted() }
    },
    Workload(name: "interpolate_bilinear_64x3x224x224") {
        let x = Tensor.randn(64, 3, 112, 112)
        return { interpolate(x, size: [224, 224], mode: .bilinear) }
    },
    Workload(name: "topk_1M_k100") {
        let x = Tensor.randn(1 << 20)
        return { x.topk(100) }
    },
    // MARK: convolution
    // LeNet's two convolutions (batch 256): 1x28x28 -> 6, 5x5, padding 2 (the
    // image needs no gradient), and 6x14x14 -> 16, 5x5; forward and backward.
    Workload(name: "conv2d_lenet", flops: 2 * 256 * (6 * 784 * 25 * 2 + 16 * 100 * 150 * 3)) {
        let x = Tensor.randn(256, 1, 28, 28), x2 = Tensor.randn(256, 6, 14, 14, requiresGrad: true)
        let (w1, b1) = (Tensor.randn(6, 1, 5, 5, requiresGrad: true), Tensor.randn(6, requiresGrad: true))
        let (w2, b2) = (Tensor.randn(16, 6, 5, 5, requiresGrad: true), Tensor.randn(16, requiresGrad: true))
        return steps {
            let loss = conv2d(x, weight: w1, bias: b1, padding: 2).sum() + conv2d(x2, weight: w2, bias: b2).sum()
            loss.backward()
            Tensor.realizeAll()  // the gradients, before they are dropped
            for p in [x2, w1, b1, w2, b2] { p.grad = nil }
        }
    },
    // A ResNet block's convolution (batch 32): 64x56x56 -> 64, 3x3, padding 1; forward and backward.
    Workload(name: "conv2d_resnet", flops: 3 * 2 * 32 * 64 * 3136 * 576) {
        let x = Tensor.randn(32, 64, 56, 56, requiresGrad: true)
        let (w, b) = (Tensor.randn(64, 64, 3, 3, requiresGrad: true), Tensor.randn(64, requiresGrad: true))
        return steps {
            conv2d(x, weight: w, bias: b, padding: 1).sum().backward()
            Tensor.realizeAll()  // the gradients, before they are dropped
            for p in [x, w, b] { p.grad = nil }
        }
    },
    // MARK: recurrent layers
    // One LSTMCell(128, 256) step on a batch of 64 from a given (h, c): forward,
    // backward of h.sum() + c.sum() into the input and the four parameters, grads cleared.
    // GEMM flops: forward x·W_ihᵀ and h·W_hhᵀ; backward dx, dW_ih, dW_hh (h0 needs no grad).
    Workload(name: "lstm_step", flops: 2 * 64 * 1024 * (128 + 256 + 128 + 128 + 256)) {
        Tensor.manualSeed(0)
        let cell = LSTMCell(128, 256)
        let x = Tensor.randn(64, 128)
        x.requiresGrad = true
        let (h0, c0) = (Tensor.randn(64, 256), Tensor.randn(64, 256))
        let parameters = cell.parameters()
        return steps {
            let (h, c) = cell(x, state: (h0, c0))
            (h.sum() + c.sum()).backward()
            Tensor.realizeAll()  // the gradients, before they are dropped
            x.grad = nil
            for p in parameters { p.grad = nil }
        }
    },
    // MARK: attention
    // scaledDotProductAttention forward and backward: batch 8, 8 heads, 256 tokens, 64 dims
    // (six products of 2·8·8·256·256·64 flops: two forward, four backward).
    Workload(name: "sdpa", flops: 6 * 2 * 8 * 8 * 256 * 256 * 64) {
        let (q, k, v) = (Tensor.randn(8, 8, 256, 64), Tensor.randn(8, 8, 256, 64), Tensor.randn(8, 8, 256, 64))
        for t in [q, k, v] { t.requiresGrad = true }
        let upstream = Tensor.randn(8, 8, 256, 64)
        return steps {
            scaledDotProductAttention(query: q, key: k, value: v).backward(gradient: upstream)
            Tensor.realizeAll()  // the gradients, before they are dropped
            for t in [q, k, v] { t.grad = nil }
        }
    },
    // MARK: Pooling and normalisation (issue 11): forward and backward at a ResNet stem's shapes.
    Workload(name: "maxpool2d") {
        let x = Tensor.randn(32, 64, 112, 112)
        x.requiresGrad = true
        let g = Tensor.randn(32, 64, 56, 56)
        return steps {
            maxPool2d(x, kernelSize: 3, stride: 2, padding: 1).backward(gradient: g)
            Tensor.realizeAll()  // the gradients, before they are dropped
            x.grad = nil
        }
    },
    Workload(name: "batchnorm2d") {
        let bn = BatchNorm2d(64)
        let x = Tensor.randn(32, 64, 56, 56)
        x.requiresGrad = true
        let g = Tensor.randn(32, 64, 56, 56)
        return steps {
            bn(x).backward(gradient: g)
            Tensor.realizeAll()  // the gradients, before they are dropped
            x.grad = nil
            bn.weight!.grad = nil
            bn.bias!.grad = nil
        }
    },
] + [64, 256, 1024].map { n in
    // Float64 GEMM (PyTorch: MKL's dgemm).
    Workload(name: "dgemm_\(n)", flops: 2 * pow(Double(n), 3)) {
        let (a, b) = (Tensor.randn(n, n, dtype: .float64), Tensor.randn(n, n, dtype: .float64))
        return { a.mm(b) }
    }
}

/// A workload whose closure runs statements and returns nothing to keep.
func steps(_ body: @escaping () -> Void) -> () -> Any { { body(); return () } }

/// Writes a line unbuffered, so a long run shows progress.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

// MARK: Peak memory with and without checkpointing

/// This process's peak resident memory so far, in MiB.
func peakRSS() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
}

/// One step of a 32-layer MLP (width 256, batch 1024), forward and backward;
/// returns how far the peak resident memory rose above what the model and
/// its input took, in MiB. Checkpointed, the layers run in 4 segments of 8
/// (as `checkpoint_sequential` splits them): only each segment's input is
/// kept, and one segment is recomputed at a time. The parent runs this with a
/// fixed malloc mmap threshold, so freed buffers leave the resident set.
func checkpointMemoryStep(checkpointed: Bool) -> Double {
    let generator = Cotangent.Generator(seed: 0)
    let layers = (0..<32).map { _ in Linear(256, 256, generator: generator) }
    var h = Tensor.randn([1024, 256], generator: generator)
    let start = peakRSS()
    for first in stride(from: 0, to: layers.count, by: 8) {
        let segment = layers[first..<first + 8]
        let run: () -> Tensor = { [h] in segment.reduce(h) { x, layer in layer(x).relu() } }
        h = checkpointed ? checkpoint(replaying: [], run) : run()
    }
    h.pow(2).mean().backward()
    return peakRSS() - start
}

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "--memory-child" {
    print(checkpointMemoryStep(checkpointed: CommandLine.arguments[2] == "checkpoint"))
    exit(0)
}

if CommandLine.arguments.contains("--checkpoint-memory") {
    var peaks: [String: Double] = [:]
    for mode in ["plain", "checkpoint"] {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        child.arguments = ["--memory-child", mode]
        // Buffers of 64 KiB and more are mapped and unmapped one by one, so the
        // resident set follows the live tensors (glibc otherwise keeps freed
        // heap pages, and its peak depends on the allocation order).
        var environment = ProcessInfo.processInfo.environment
        environment["MALLOC_MMAP_THRESHOLD_"] = "65536"
        child.environment = environment
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        child.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        peaks[mode] = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? .nan
    }
    emit(String(format: "mlp32_step_peak_rss  +%.1f MiB plain, +%.1f MiB checkpointed (%.2fx less)",
                peaks["plain"]!, peaks["checkpoint"]!, peaks["plain"]! / peaks["checkpoint"]!))
    exit(0)
}

let options = Options(CommandLine.arguments)
for workload in workloads where options.filter.map({ workload.name.contains($0) }) ?? true {
    let work = workload.prepare()
    // Every call pays for its work: elementwise results wait until a value is
    // needed, and a result nobody holds is never computed at all.
    let body = {
        let results = work()
        Tensor.realizeAll()
        withExtendedLifetime(results) {}
    }
    for _ in 0..<3 { body() }  // warm-up
    let (median, runs) = measure(body, minTime: options.minTime)
    if options.json {
        var line = "{\"name\": \"\(workload.name)\", \"median_s\": \(median), \"runs\": \(runs)"
        if let flops = workload.flops { line += ", \"gflops\": \(flops / median / 1e9)" }
        emit(line + "}")
    } else {
        var line = workload.name.padding(toLength: 20, withPad: " ", startingAt: 0)
            + String(format: "%12.3f us", median * 1e6)
        if let flops = workload.flops { line += String(format: "  %8.1f GFLOP/s", flops / median / 1e9) }
        emit(line)
    }
}
