#!/usr/bin/env python3
"""Runs cotangent-bench and the same workloads in PyTorch and NumPy, in one
invocation on one machine, and prints the ratios of medians (ours / theirs;
lower is better).

    python3 Benchmarks/compare.py [--min-time 1.0] [--filter NAME] [--markdown] [--binary PATH]
                                  [--max-load 1.0] [--wait-quiet SECONDS] [--strict] [--no-jax]

PyTorch, NumPy and JAX (jit-compiled) are used when they can be imported (for
example run this with ../shared/tools/torch-ref, after
`~/.cache/cotangent-torch-ref/bin/pip install jax` for JAX); missing ones are
left out of the table. The machine's load average is printed before and after,
and per row the CPUs other processes used meanwhile (from /proc/stat, less this
process and its children). A run that starts with the one-minute load above
--max-load is flagged (--strict refuses it), and so is each row during which
others used more than --max-other CPUs.
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
    def mlp_digits_epoch():
        # The same loop as cotangent-bench's train_mlp_digits_epoch and `cotangent train mlp`.
        x, y = digits(torch)
        perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
        train = torch.utils.data.TensorDataset(x[perm[:1437]], y[perm[:1437]])
        test_x, test_y = x[perm[1437:]], y[perm[1437:]]
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loader = torch.utils.data.DataLoader(train, batch_size=64, shuffle=True)
        loss_function = torch.nn.CrossEntropyLoss()
        def epoch():
            loss_sum, right = 0.0, 0
            model.train()
            for xb, yb in loader:
                optimizer.zero_grad()
                logits = model(xb)
                loss = loss_function(logits, yb)
                loss.backward()
                optimizer.step()
                loss_sum += loss.item() * xb.shape[0]
                with torch.no_grad():
                    right += int((logits.argmax(dim=1) == yb).sum().item())
            model.eval()
            with torch.no_grad():
                right += int((model(test_x).argmax(dim=1) == test_y).sum().item())
        return epoch
    w["train_mlp_digits_epoch"] = mlp_digits_epoch
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


def digits(torch):
    """The bundled digits as (features [1797, 64] float32 in [0, 1], labels [1797] int64)."""
    import numpy
    table = numpy.loadtxt(os.path.join(ROOT, "Sources", "Cotangent", "Resources", "digits.csv"), delimiter=",", dtype=numpy.float32)
    return torch.from_numpy(table[:, :64] / 16), torch.from_numpy(table[:, 64].astype(numpy.int64))


def jax_workloads(jax):
    """The workloads JAX expresses naturally, each jit-compiled once, timed to block_until_ready."""
    import jax.numpy as jnp
    key = jax.random.PRNGKey(0)
    randn = lambda *shape: jax.random.normal(key, shape, dtype=jnp.float32)
    timed = lambda f, *args: (lambda: jax.block_until_ready(f(*args)))
    w = {}

    seed_grad = jax.jit(jax.grad(lambda x: 2 * jnp.dot(x, x)))
    w["seed_step"] = lambda: timed(seed_grad, jnp.arange(4.0))

    def chain(v):
        y = v
        for _ in range(50):
            y = jnp.tanh(y * 1.01 + 0.1)
        return y.sum()
    chain_grad = jax.jit(jax.grad(chain))
    w["chain100_small"] = lambda: timed(chain_grad, randn(1000))

    n = 1 << 24
    w["fma_16M"] = lambda: timed(jax.jit(lambda a, b, c: a * b + c), randn(n), randn(n) + 1, randn(n) + 2)
    w["sum_16M"] = lambda: timed(jax.jit(jnp.sum), randn(n))
    w["exp_16M"] = lambda: timed(jax.jit(jnp.exp), randn(n))
    w["softmax_4096x1024"] = lambda: timed(jax.jit(lambda a: jax.nn.softmax(a, axis=1)), randn(4096, 1024))
    for k in (64, 256, 1024, 2048):
        w[f"gemm_{k}"] = (lambda k: lambda: timed(jax.jit(jnp.matmul), randn(k, k), randn(k, k) + 1))(k)

    def mlp(inputs, hidden, batch):
        def make():
            keys = jax.random.split(key, 4)
            params = [jax.random.normal(keys[0], (hidden, inputs)) / inputs ** 0.5, jnp.zeros(hidden),
                      jax.random.normal(keys[1], (10, hidden)) / hidden ** 0.5, jnp.zeros(10)]
            x = jax.random.normal(keys[2], (batch, inputs))
            one_hot = jax.nn.one_hot(jax.random.randint(keys[3], (batch,), 0, 10), 10)
            def loss(p):
                h = jax.nn.relu(x @ p[0].T + p[1])
                return -(jax.nn.log_softmax(h @ p[2].T + p[3], axis=1) * one_hot).sum() / batch
            step = jax.jit(lambda p: [q - 0.1 * g for q, g in zip(p, jax.grad(loss)(p))])
            state = [params]
            def run():
                state[0] = jax.block_until_ready(step(state[0]))
            return run
        return make
    w["mlp784_step"] = mlp(784, 256, 256)
    w["mlp64_step"] = mlp(64, 128, 64)
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


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def load1():
    return os.getloadavg()[0]


class Interference:
    """CPU time that other processes took while a measurement ran, in CPUs.

    The load average cannot tell the benchmark's own threads from other work
    (a two-thread benchmark alone lifts it towards 2), so this compares the
    machine's busy time in /proc/stat with this process's and its children's."""

    def __init__(self):
        self.start = self._read()

    @staticmethod
    def _read():
        try:
            with open("/proc/stat") as f:
                fields = [int(v) for v in f.readline().split()[1:]]
            busy = (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait
        except (OSError, ValueError, IndexError):
            return None
        t = os.times()
        return busy, t.user + t.system + t.children_user + t.children_system, time.monotonic()

    def cpus(self):
        end = self._read()
        if self.start is None or end is None or end[2] <= self.start[2]:
            return 0.0
        return max(0.0, ((end[0] - self.start[0]) - (end[1] - self.start[1])) / (end[2] - self.start[2]))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--min-time", type=float, default=1.0)
    parser.add_argument("--filter")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--binary", help="the cotangent-bench to run (default: .build/release/cotangent-bench)")
    parser.add_argument("--max-load", type=float, default=1.0,
                        help="the one-minute load above which a run is flagged (default 1.0)")
    parser.add_argument("--max-other", type=float, default=0.25, metavar="CPUS",
                        help="flag rows during which other processes used more than this many CPUs (default 0.25)")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="wait up to this long for the load to fall below --max-load before starting")
    parser.add_argument("--strict", action="store_true", help="refuse to report when the load is above --max-load")
    parser.add_argument("--no-jax", action="store_true", help="leave out the JAX column even when JAX is importable")
    args = parser.parse_args()

    deadline = time.time() + args.wait_quiet
    while load1() > args.max_load and time.time() < deadline:
        time.sleep(10)
    load_before = os.getloadavg()
    if load_before[0] > args.max_load:
        message = (f"the one-minute load is {load_before[0]:.2f}, above {args.max_load}: "
                   "other work on this machine distorts every timing")
        if args.strict:
            sys.exit(f"compare.py: refusing to measure: {message}")
        print(f"warning: {message}; rows measured above it are flagged with *", file=sys.stderr)

    ours_interference = Interference()
    ours = run_ours(args.min_time, args.filter, args.binary)
    ours_other = ours_interference.cpus()
    theirs, versions = {}, []
    try:
        import torch
        theirs["torch"] = torch_workloads(torch)
        versions.append(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)")
    except ImportError:
        print("note: PyTorch not importable; run with ../shared/tools/torch-ref for its column", file=sys.stderr)
    try:
        import numpy
        theirs["numpy"] = numpy_workloads(numpy)
        versions.append(f"NumPy {numpy.__version__}")
    except ImportError:
        print("note: NumPy not importable", file=sys.stderr)
    if not args.no_jax:
        try:
            import jax
            theirs["jax"] = jax_workloads(jax)
            versions.append(f"JAX {jax.__version__} (jit)")
        except ImportError:
            print("note: JAX not importable (pip install jax into the reference environment for its column)",
                  file=sys.stderr)

    rows = []
    for name, r in ours.items():
        row = {"name": name, "ours": r["median_s"], "gflops": r.get("gflops"), "load": load1()}
        interference = Interference()
        for lib, workloads in theirs.items():
            if name in workloads and (not args.filter or args.filter in name):
                body = workloads[name]()
                for _ in range(3):
                    body()
                row[lib] = measure(body, args.min_time)
        row["load"] = max(row["load"], load1())
        row["other"] = max(ours_other, interference.cpus())
        rows.append(row)
    load_after = os.getloadavg()

    def us(s):
        return f"{s * 1e6:,.1f} us" if s is not None else "-"

    def ratio(row, lib):
        return f"{row['ours'] / row[lib]:.3f}" if lib in row else "-"

    libs = [lib for lib in ("torch", "numpy", "jax") if lib in theirs]
    titles = {"torch": "PyTorch", "numpy": "NumPy", "jax": "JAX"}
    header = (["workload", "Cotangent"] + [titles[l] for l in libs] + [f"ours/{titles[l]}" for l in libs]
              + ["GFLOP/s (ours)", "load", "others (CPUs)"])
    for r in rows:
        r["flagged"] = r["other"] > args.max_other or load_before[0] > args.max_load
    flagged = [r for r in rows if r["flagged"]]
    lines = [[r["name"] + (" *" if r["flagged"] else ""), us(r["ours"])]
             + [us(r.get(l)) for l in libs] + [ratio(r, l) for l in libs]
             + [f"{r['gflops']:.1f}" if r.get("gflops") else "", f"{r['load']:.2f}", f"{r['other']:.2f}"] for r in rows]
    print(f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {cpu_name()}, {os.cpu_count()} CPUs; " + ", ".join(versions))
    print(f"one-minute load {load_before[0]:.2f} before, {load_after[0]:.2f} after "
          f"(five-minute {load_before[1]:.2f} and {load_after[1]:.2f}); medians, ours/theirs below 1 means Cotangent is faster")
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
    print(f"others (CPUs): what other processes used while the row ran (ours: the whole cotangent-bench run, "
          f"{ours_other:.2f}); load: the one-minute load, which includes the benchmark's own threads")
    if flagged:
        print(f"* measured with the one-minute load above {args.max_load} at the start, or with other processes using "
              f"more than {args.max_other} CPUs: {len(flagged)} of {len(rows)} rows; do not quote them as the machine's speed")


if __name__ == "__main__":
    main()
