#!/usr/bin/env python3
"""Runs cotangent-bench and the same workloads in PyTorch and NumPy, in one
invocation on one machine, and prints the ratios of medians (ours / theirs;
lower is better).

    python3 Benchmarks/compare.py [--min-time 1.0] [--filter NAME] [--markdown] [--binary PATH]

PyTorch and NumPy are used when they can be imported (for example run this
with ../shared/tools/torch-ref); missing ones are left out of the table.
"""
import argparse, json, os, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure(body, min_time):
    """Median seconds per call: batches of ~10 ms, repeated for min_time."""
    batch = 1
    while True:
        start = time.perf_counter()
        for _ in range(batch):
            body()
        if time.perf_counter() - start > 0.01 or batch >= 1 << 20:
            break
        batch *= 2
    samples = []
    deadline = time.perf_counter() + min_time
    while time.perf_counter() < deadline or len(samples) < 5:
        start = time.perf_counter()
        for _ in range(batch):
            body()
        samples.append((time.perf_counter() - start) / batch)
    samples.sort()
    return samples[len(samples) // 2]


def torch_workloads(torch):
    torch.set_num_threads(os.cpu_count() or 1)
    w = {}

    def seed_step():
        x = torch.arange(4.0, requires_grad=True)
        def step():
            y = 2 * x.dot(x)
            y.backward()
            x.grad.zero_()
        return step
    w["seed_step"] = seed_step

    def chain100_small():
        v = torch.randn(1000, requires_grad=True)
        def step():
            y = v
            for _ in range(50):
                y = (y * 1.01 + 0.1).tanh()
            y.sum().backward()
            v.grad = None
        return step
    w["chain100_small"] = chain100_small

    n = 1 << 24
    w["fma_16M"] = lambda: (lambda a, b, c: lambda: a * b + c)(torch.randn(n), torch.randn(n), torch.randn(n))
    w["sum_16M"] = lambda: (lambda a: lambda: a.sum())(torch.randn(n))
    w["exp_16M"] = lambda: (lambda a: lambda: a.exp())(torch.randn(n))
    w["softmax_4096x1024"] = lambda: (lambda a: lambda: torch.softmax(a, dim=1))(torch.randn(4096, 1024))
    w["einsum_bmm"] = lambda: (lambda q, k: lambda: torch.einsum("bhqd,bhkd->bhqk", q, k))(
        torch.randn(8, 8, 128, 64), torch.randn(8, 8, 128, 64))
    for k in (64, 256, 1024, 2048):
        w[f"gemm_{k}"] = (lambda k: lambda: (lambda a, b: lambda: a @ b)(torch.randn(k, k), torch.randn(k, k)))(k)
    for k in (64, 256, 1024):
        w[f"dgemm_{k}"] = (lambda k: lambda: (lambda a, b: lambda: a @ b)(
            torch.randn(k, k, dtype=torch.float64), torch.randn(k, k, dtype=torch.float64)))(k)

    def mlp(inputs, hidden, batch):
        def make():
            torch.manual_seed(0)
            w1 = (torch.randn(hidden, inputs) / inputs ** 0.5).requires_grad_()
            b1 = torch.zeros(hidden, requires_grad=True)
            w2 = (torch.randn(10, hidden) / hidden ** 0.5).requires_grad_()
            b2 = torch.zeros(10, requires_grad=True)
            params = [w1, b1, w2, b2]
            x = torch.randn(batch, inputs)
            labels = torch.randint(0, 10, (batch,))
            one_hot = (torch.arange(10).unsqueeze(0) == labels.unsqueeze(1)).float()
            def step():
                h = (x @ w1.t() + b1).relu()
                logits = h @ w2.t() + b2
                loss = -(logits.log_softmax(dim=1) * one_hot).sum() / batch
                loss.backward()
                with torch.no_grad():
                    for p in params:
                        p -= p.grad * 0.1
                        p.grad = None
            return step
        return make
    w["mlp784_step"] = mlp(784, 256, 256)
    w["mlp64_step"] = mlp(64, 128, 64)
    m = 2048
    w["gather_4M"] = lambda: (lambda x, i: lambda: x.gather(1, i))(torch.randn(m, m), torch.randint(0, m, (m, m)))
    w["scatter_add_4M"] = lambda: (lambda x, i, s: lambda: x.scatter_add(1, i, s))(
        torch.zeros(m, m), torch.randint(0, m, (m, m)), torch.randn(m, m))
    w["index_select_4M"] = lambda: (lambda x, i: lambda: x.index_select(0, i))(
        torch.randn(4096, 1024), torch.randint(0, 4096, (4096,)))
    w["sort_1M"] = lambda: (lambda x: lambda: x.sort())(torch.randn(1 << 20))
    w["interpolate_bilinear_64x3x224x224"] = lambda: (lambda x: lambda: torch.nn.functional.interpolate(
        x, size=(224, 224), mode="bilinear"))(torch.randn(64, 3, 112, 112))
    w["topk_1M_k100"] = lambda: (lambda x: lambda: x.topk(100))(torch.randn(1 << 20))

    # Convolution: the same workloads as cotangent-bench's conv2d rows.
    F = torch.nn.functional
    def conv2d_lenet():
        x, x2 = torch.randn(256, 1, 28, 28), torch.randn(256, 6, 14, 14, requires_grad=True)
        w1, b1 = torch.randn(6, 1, 5, 5, requires_grad=True), torch.randn(6, requires_grad=True)
        w2, b2 = torch.randn(16, 6, 5, 5, requires_grad=True), torch.randn(16, requires_grad=True)
        def step():
            loss = F.conv2d(x, w1, b1, padding=2).sum() + F.conv2d(x2, w2, b2).sum()
            loss.backward()
            for p in (x2, w1, b1, w2, b2):
                p.grad = None
        return step
    w["conv2d_lenet"] = conv2d_lenet

    def conv2d_resnet():
        x = torch.randn(32, 64, 56, 56, requires_grad=True)
        wt, b = torch.randn(64, 64, 3, 3, requires_grad=True), torch.randn(64, requires_grad=True)
        def step():
            F.conv2d(x, wt, b, padding=1).sum().backward()
            for p in (x, wt, b):
                p.grad = None
        return step
    w["conv2d_resnet"] = conv2d_resnet

    # recurrent layers: one LSTMCell(128, 256) step, batch 64, forward + backward.
    def lstm_step():
        torch.manual_seed(0)
        cell = torch.nn.LSTMCell(128, 256)
        x = torch.randn(64, 128, requires_grad=True)
        h0, c0 = torch.randn(64, 256), torch.randn(64, 256)
        params = list(cell.parameters())
        def step():
            h, c = cell(x, (h0, c0))
            (h.sum() + c.sum()).backward()
            x.grad = None
            for p in params: p.grad = None
        return step
    w["lstm_step"] = lstm_step

    # MARK: attention
    def sdpa():
        q, k, v = (torch.randn(8, 8, 256, 64, requires_grad=True) for _ in range(3))
        upstream = torch.randn(8, 8, 256, 64)
        def step():
            torch.nn.functional.scaled_dot_product_attention(q, k, v).backward(upstream)
            q.grad = k.grad = v.grad = None
        return step
    w["sdpa"] = sdpa

    # MARK: Pooling and normalisation (issue 11): forward and backward.
    def maxpool2d():
        x = torch.randn(32, 64, 112, 112, requires_grad=True)
        g = torch.randn(32, 64, 56, 56)
        def step():
            torch.nn.functional.max_pool2d(x, 3, 2, 1).backward(g)
            x.grad = None
        return step
    w["maxpool2d"] = maxpool2d

    def batchnorm2d():
        bn = torch.nn.BatchNorm2d(64)
        x = torch.randn(32, 64, 56, 56, requires_grad=True)
        g = torch.randn(32, 64, 56, 56)
        def step():
            bn(x).backward(g)
            x.grad = None
            bn.weight.grad = None
            bn.bias.grad = None
        return step
    w["batchnorm2d"] = batchnorm2d
    return w


def numpy_workloads(np):
    rng = np.random.default_rng(0)
    n = 1 << 24
    f = lambda *shape: rng.standard_normal(shape, dtype=np.float32)
    w = {
        "fma_16M": lambda: (lambda a, b, c: lambda: a * b + c)(f(n), f(n), f(n)),
        "sum_16M": lambda: (lambda a: lambda: a.sum())(f(n)),
        "exp_16M": lambda: (lambda a: lambda: np.exp(a))(f(n)),
    }

    def softmax():
        a = f(4096, 1024)
        def step():
            e = np.exp(a - a.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return step
    w["softmax_4096x1024"] = softmax
    for k in (64, 256, 1024, 2048):
        w[f"gemm_{k}"] = (lambda k: lambda: (lambda a, b: lambda: a @ b)(f(k, k), f(k, k)))(k)
    for k in (64, 256, 1024):
        w[f"dgemm_{k}"] = (lambda k: lambda: (lambda a, b: lambda: a @ b)(
            rng.standard_normal((k, k)), rng.standard_normal((k, k))))(k)
    return w


def run_ours(min_time, name_filter, binary=None):
    binary = binary or os.path.join(ROOT, ".build", "release", "cotangent-bench")
    if not os.path.exists(binary):
        subprocess.run(["swift", "build", "-c", "release", "--product", "cotangent-bench"], cwd=ROOT, check=True)
    args = [binary, "--json", "--min-time", str(min_time)]
    if name_filter:
        args += ["--filter", name_filter]
    out = subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return {r["name"]: r for r in map(json.loads, filter(None, out.splitlines()))}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--filter")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--binary", help="the cotangent-bench to run (default: .build/release/cotangent-bench)")
    args = parser.parse_args()

    ours = run_ours(args.min_time, args.filter, args.binary)
    theirs = {}
    try:
        import torch
        theirs["torch"] = torch_workloads(torch)
    except ImportError:
        print("note: PyTorch not importable; run with ../shared/tools/torch-ref for its column", file=sys.stderr)
    try:
        import numpy
        theirs["numpy"] = numpy_workloads(numpy)
    except ImportError:
        print("note: NumPy not importable", file=sys.stderr)

    rows = []
    for name, r in ours.items():
        row = {"name": name, "ours": r["median_s"], "gflops": r.get("gflops")}
        for lib, workloads in theirs.items():
            if name in workloads and (not args.filter or args.filter in name):
                body = workloads[name]()
                for _ in range(3):
                    body()
                row[lib] = measure(body, args.min_time)
        rows.append(row)

    def us(s):
        return f"{s * 1e6:,.1f} us" if s is not None else "-"

    def ratio(row, lib):
        return f"{row['ours'] / row[lib]:.3f}" if lib in row else "-"

    header = ["workload", "Cotangent", "PyTorch", "NumPy", "ours/PyTorch", "ours/NumPy", "GFLOP/s (ours)"]
    lines = [[r["name"], us(r["ours"]), us(r.get("torch")), us(r.get("numpy")), ratio(r, "torch"), ratio(r, "numpy"),
              f"{r['gflops']:.1f}" if r.get("gflops") else ""] for r in rows]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(header)]
        print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
        for line in lines:
            print("  ".join(c.ljust(w) for c, w in zip(line, widths)))


if __name__ == "__main__":
    main()
