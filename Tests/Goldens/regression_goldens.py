"""Generates Tests/CotangentTests/RegressionGoldens.swift from the reference PyTorch.

Run from the package root:

    ../shared/tools/torch-ref Tests/Goldens/regression_goldens.py > Tests/CotangentTests/RegressionGoldens.swift

Each entry is the PyTorch twin of one regression test in
Tests/CotangentTests/RegressionTests.swift: a divergence a differential run
found (issue 9), with the values, gradients, dtypes, node names or error
messages PyTorch gives. Values are shortest round-trip decimals, so float32
and float64 results compare exactly.
"""

import math
import random
import warnings

import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore")

values, dtypes, names, messages = {}, {}, {}, {}


def num(v):
    v = float(v)
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return "-.infinity" if v < 0 else ".infinity"
    return repr(v)


def val(key, t):
    t = t.detach() if isinstance(t, torch.Tensor) else torch.tensor(t)
    values[key] = [float(x) for x in t.clone().reshape(-1).tolist()]
    dtypes[key] = str(t.dtype).replace("torch.", "")


def node(key, t):
    names[key] = type(t.grad_fn).__name__ if t.grad_fn is not None else "nil"


def err(key, f):
    try:
        f()
    except Exception as e:  # PyTorch raises RuntimeError, IndexError, NotImplementedError
        messages[key] = str(e).split("\n")[0]
        return
    raise SystemExit(f"{key}: PyTorch did not raise")


def leaf(data, dtype=torch.float32):
    return torch.tensor(data, dtype=dtype, requires_grad=True)


# MARK: Gradients

a, b = leaf([1e30]), leaf([1e20])
(a / b).sum().backward()
val("quotientLarge.bGrad", b.grad)
a, b = leaf([1e-36]), leaf([1e-23])
(a / b).sum().backward()
val("quotientSmall.bGrad", b.grad)

for label, fn in [("crossEntropy", lambda x, t: F.cross_entropy(x, t)),
                  ("crossEntropySmoothed", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1)),
                  ("nll", lambda x, t: F.nll_loss(x, t)),
                  ("nllWeighted", lambda x, t: F.nll_loss(x, t, weight=torch.tensor([0.5, 1.0, 2.0, 1.5])))]:
    x = leaf([[0.1, -0.2, 0.3, 0.4], [1.0, 0.5, -1.0, 0.0], [0.2, 0.2, 0.2, 0.9]])
    loss = fn(x, torch.tensor([-100, -100, -100]))
    loss.backward()
    val(f"allIgnored.{label}.loss", loss)
    val(f"allIgnored.{label}.grad", x.grad)

nan = float("nan")
x = leaf([[1.0, nan, 3.0], [4.0, 5.0, 5.0]])
x.amax(dim=[1]).sum().backward()
val("amaxNaN.grad", x.grad)
x = leaf([[1.0, nan, 3.0], [4.0, 5.0, 5.0]])
x.amin(dim=[1]).sum().backward()
val("aminNaN.grad", x.grad)

rows = [[1.0, 2.0, 4.0], [3.0, 3.0, 5.0]]
for label, fn in [("varDim5", lambda x: x.var(dim=[1], correction=5)), ("stdDim5", lambda x: x.std(dim=[1], correction=5)),
                  ("varDim3", lambda x: x.var(dim=[1], correction=3)), ("varAll7", lambda x: x.var(correction=7)),
                  ("stdAll7", lambda x: x.std(correction=7)), ("varDim1", lambda x: x.var(dim=[1], correction=1))]:
    x = leaf(rows, torch.float64)
    y = fn(x)
    y.sum().backward()
    val(f"correction.{label}.value", y)
    val(f"correction.{label}.grad", x.grad)

x = leaf([1.0, 2.0, 3.0])
x.cumsum(0).backward(torch.tensor([1e8, 1.0, 1.0]))
val("cumsum.grad", x.grad)
x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], torch.float64)
x.cumsum(1).backward(torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64))
val("cumsum2d.grad", x.grad)

base, e = leaf([1.1, 2.3, 0.7]), leaf([1.7, 0.3, -2.5], torch.float64)
r = base.pow(e)
r.sum().backward()
val("powPromoted.value", r)
val("powPromoted.exponentGrad", e.grad)
val("powPromoted.baseGrad", base.grad)

x = leaf([-1.0, 2.0, 0.5, 0.0], torch.float64)
g, = torch.autograd.grad(x.relu().sum(), [x], create_graph=True)
node("reluDouble.firstGrad", g)
(g * g).sum().backward()
val("reluDouble.grad", x.grad)

# tanh's and sigmoid's gradients are single kernels (aten's tanh_backward and
# sigmoid_backward), rounded once in the 16-bit floats and without fused
# multiply-adds; under create_graph they record their own nodes.
grads_in = [0.0, 1.0, -2.5, 3.0e-3, 7.0, float("inf"), 1.5, -0.75, float("nan"), 65000.0, 1e-30, -3.25]
results_in = [0.5, -1.0, 0.999, -0.3, 1.0, 0.25, float("nan"), 0.0, 0.7, 0.9990234375, -0.125, 0.333]
for dt in [torch.float64, torch.float32, torch.float16, torch.bfloat16]:
    g0 = torch.tensor(grads_in, dtype=torch.float64).to(dt)
    r0 = torch.tensor(results_in, dtype=torch.float64).to(dt)
    name = str(dt).replace("torch.", "")
    val(f"tanhBackward.{name}", torch.ops.aten.tanh_backward(g0, r0))
    val(f"sigmoidBackward.{name}", torch.ops.aten.sigmoid_backward(g0, r0))
    val(f"thresholdBackward.{name}", torch.ops.aten.threshold_backward(g0, r0 - 0.5, 0))
# The fused activation gradients (aten's gelu_backward, silu_backward,
# mish_backward, hardswish_backward): inputs across each branch and the edges.
act_g = [1.0, -0.5, 2.0, 0.25, -3.0, 1.5, 0.75, -1.25, 4.0, 0.5, -2.0, 1.0, 3.0, -1.0]
act_x = [-6.0, -3.0, -2.999, -1.0, -0.3, 0.0, 0.4, 1.3, 2.5, 2.999, 3.0, 9.0, float("inf"), float("nan")]
act = {
    "gelu": lambda g, x: torch.ops.aten.gelu_backward(g, x),
    "geluTanh": lambda g, x: torch.ops.aten.gelu_backward(g, x, approximate="tanh"),
    "silu": torch.ops.aten.silu_backward, "mish": torch.ops.aten.mish_backward,
    "hardswish": torch.ops.aten.hardswish_backward,
}
# The activations with parameters, whose aten kernels take them too: autograd's
# first-order gradient is that kernel's result.
param_fns = {
    "leakyRelu": lambda x: F.leaky_relu(x, 0.1), "elu": lambda x: F.elu(x, alpha=1.3),
    "celu": lambda x: F.celu(x, alpha=0.7), "selu": F.selu,
    "softplus": lambda x: F.softplus(x, beta=2.0, threshold=5.0),
    "hardtanh": lambda x: F.hardtanh(x, -1.5, 2.5), "relu6": F.relu6,
}
for dt in [torch.float64, torch.float32, torch.float16, torch.bfloat16]:
    g0 = torch.tensor(act_g, dtype=torch.float64).to(dt)
    x0 = torch.tensor(act_x, dtype=torch.float64).to(dt)
    name = str(dt).replace("torch.", "")
    for k, f in act.items():
        val(f"{k}Backward.{name}", f(g0, x0))
    for k, f in param_fns.items():
        xr = x0.clone().requires_grad_()
        val(f"{k}Backward.{name}", torch.autograd.grad(f(xr), [xr], g0)[0])
act_fns = {
    "gelu": F.gelu, "geluTanh": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu, "mish": F.mish,
    "hardswish": F.hardswish, **param_fns,
}
for k, f in act_fns.items():
    x = leaf([-2.5, -1.5, -0.2, 0.0, 0.4, 2.0, 3.5], torch.float64)
    w = leaf([0.5, -1.0, 2.0, 1.5, -0.25, 0.75, 1.0], torch.float64)
    g, = torch.autograd.grad(f(x), [x], w, create_graph=True)
    node(f"{k}Double.firstGrad", g)
    (g * g).sum().backward()
    val(f"{k}Double.gradX", x.grad)
    val(f"{k}Double.gradW", w.grad)

for fn in ["tanh", "sigmoid"]:
    x = leaf([-1.5, -0.2, 0.0, 0.4, 2.0], torch.float64)
    w = leaf([0.5, -1.0, 2.0, 1.5, -0.25], torch.float64)
    y = getattr(x, fn)()
    g, = torch.autograd.grad(y, [x], w, create_graph=True)
    node(f"{fn}Double.firstGrad", g)
    (g * g).sum().backward()
    val(f"{fn}Double.gradX", x.grad)
    val(f"{fn}Double.gradW", w.grad)

x, y = leaf([-1.0, 2.0, 0.5], torch.float64), leaf([0.7, 0.3, 2.0], torch.float64)
gx, gy = torch.autograd.grad(x.remainder(y).sum(), [x, y], create_graph=True)
val("remainderDouble.firstGradY", gy)
(gy * gy).sum().backward()
val("remainderDouble.gradX", x.grad)
val("remainderDouble.gradY", y.grad)

for label, p in [("2", 2.0), ("3", 3.0), ("inf", float("inf")), ("1.5", 1.5), ("0.5", 0.5)]:
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    g, = torch.autograd.grad(torch.linalg.vector_norm(x, p), [x], create_graph=True)
    (g * g).sum().backward()
    val(f"normSecondOrderAtZero.{label}", x.grad)
    x = leaf([0.5, -1.5, 2.0], torch.float64)
    g, = torch.autograd.grad(torch.linalg.vector_norm(x, p), [x], create_graph=True)
    (g * g).sum().backward()
    val(f"normSecondOrder.{label}.first", g)
    val(f"normSecondOrder.{label}", x.grad)

# MARK: Values and dtypes

ints = torch.tensor([1, 2, 3, 4], dtype=torch.int32)
val("intPow.float2", ints ** 2.0)
val("intPow.floatMinus1", ints.pow(-1.0))
val("intPow.int2", ints.pow(2))
val("intPow.int64Half", torch.tensor([1, 2, 3, 4]).pow(0.5))
val("intPow.bool2", torch.tensor([True, False]).pow(2))
val("intPow.bool2.0", torch.tensor([True, False]).pow(2.0))
val("clampBool.min", torch.tensor([True, False]).clamp(min=-1))
val("clampBool.max", torch.tensor([True, False]).clamp(max=0.5))
val("cat.emptyFloat64", torch.cat([torch.ones(2), torch.zeros([0], dtype=torch.float64)]))
val("cat.emptyInt64", torch.cat([torch.ones(2), torch.zeros([0], dtype=torch.int64)]))
val("cat.onlyEmpty", torch.cat([torch.zeros([0]), torch.zeros([0], dtype=torch.float64)]))
val("maskedFill.broadcast", torch.tensor([1.0, 2.0, 3.0]).masked_fill(torch.tensor([[True, False, True], [False, False, True]]), 5.0))
x = leaf([1.0, 2.0, 3.0])
x.masked_fill(torch.tensor([[True, False, False], [False, True, False]]), 0.0).sum().backward()
val("maskedFill.broadcastGrad", x.grad)
x = leaf([0.5, 1.5])
loss = F.mse_loss(x, torch.tensor([True, False]))
loss.backward()
val("mseBool.loss", loss)
val("mseBool.grad", x.grad)
val("indexTrue0d", torch.tensor(3.0)[torch.tensor(True)])
val("indexFalse0d", torch.tensor(3.0)[torch.tensor(False)])
val("indexTrue1d", torch.tensor([3.0, 4.0])[torch.tensor(True)])
val("chunkEmpty.count", torch.tensor(len(torch.zeros([0]).chunk(3))))
val("floatFloorDivideByZero", torch.tensor([5.0, -3.0, 0.0]) // torch.tensor([0.0, 0.0, 0.0]))

# MARK: Node names

x = torch.ones(2, 1, 3, 4, requires_grad=True)
w = torch.ones(5, 4, 2, requires_grad=True)
r = x.matmul(w)
names["matmulBroadcast.chain"] = " ".join(
    type(f).__name__ for f in [r.grad_fn, r.grad_fn.next_functions[0][0], r.grad_fn.next_functions[0][0].next_functions[0][0],
                               r.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0],
                               r.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0].next_functions[0][0]])
def graph_names(t):
    """Every node name in t's graph, sorted (a multiset: repeated names repeat)."""
    seen, stack = [], [t.grad_fn]
    while stack:
        f = stack.pop()
        if f is None or any(f is g for g in seen):
            continue
        seen.append(f)
        stack += [g for g, _ in f.next_functions]
    return " ".join(sorted(type(f).__name__ for f in seen))


matmul_configs = [((2, 1, 3, 4), True, (5, 4, 2), True), ((2, 1, 3, 4), True, (5, 4, 2), False),
                  ((2, 1, 3, 4), False, (5, 4, 2), True), ((1, 3, 4), True, (2, 4, 5), True),
                  ((3, 4), True, (2, 4, 5), True), ((3, 4), False, (2, 4, 5), True), ((2, 3, 4), True, (4, 5), False),
                  ((2, 3, 4), False, (4, 5), True), ((4,), True, (2, 4, 5), True), ((2, 3, 4), True, (4,), True),
                  ((2, 2, 3, 4), True, (2, 4, 5), True)]
for a, ra, b, rb in matmul_configs:
    r = torch.ones(*a, requires_grad=ra).matmul(torch.ones(*b, requires_grad=rb))
    key = f"matmulGraph.{list(a)}.{ra}.{list(b)}.{rb}".replace(" ", "")
    names[key] = graph_names(r)
node("catOnlyEmpty", torch.cat([torch.zeros([0], requires_grad=True), torch.zeros([0])]))
x = torch.ones(3, 2, 4, requires_grad=True)
node("index.fullSlice", x[:])
node("index.fullSlices", x[:, :])
node("index.fullAndPartial", x[:, 1:])
node("index.clampedFull", x[0:10, :, 0:4])
node("index.stepOne", x[:, ::1])
node("index.partial", x[0:2])
node("index.select", x[:, 0])
node("index.newAxis", x[:, None])
node("chunkEmpty", torch.zeros([0], requires_grad=True).chunk(3)[0])

# MARK: Messages

b = torch.tensor([True, False])
err("softmaxBool", lambda: torch.softmax(b, 0))
err("softmaxLong", lambda: torch.softmax(torch.tensor([[1, 2]]), 0))
err("logSoftmaxBool", lambda: torch.log_softmax(b, 0))
err("truncBool", lambda: torch.trunc(b))
err("ceilBool", lambda: torch.ceil(b))
err("floorBool", lambda: torch.floor(b))
err("roundBool", lambda: torch.round(b))
err("powBool", lambda: b.pow(b))
err("argmaxBool", lambda: b.argmax())
err("argminBoolDim", lambda: b.argmin(dim=0))
err("argmaxEmptyDim", lambda: torch.zeros(0, 3).argmax(dim=0))
err("argmaxEmpty", lambda: torch.zeros(0, 3).argmax())
err("indexSelectNegative", lambda: torch.arange(4.0).index_select(0, torch.tensor([-1])))
err("squeezeDuplicate", lambda: torch.zeros(1, 2, 1).squeeze((0, -3)))
err("meanLong", lambda: torch.tensor([1, 2]).mean())
err("meanInt", lambda: torch.tensor([1, 2], dtype=torch.int32).mean(dim=0))
err("floorDivideByZero", lambda: torch.tensor([5, 3]) // torch.tensor([1, 0]))
err("remainderByZero", lambda: torch.tensor([5, 3], dtype=torch.int32) % torch.tensor([1, 0], dtype=torch.int32))
err("subOneBool", lambda: torch.tensor([True]) - torch.tensor([1.5]))
err("subTwoBools", lambda: torch.tensor([True]) - torch.tensor([True]))
err("rsubBool", lambda: 1 - torch.tensor([True]))
err("mseTwoBools", lambda: F.mse_loss(b, b))
err("intNegativePow", lambda: torch.tensor([1, 2]).pow(-1))


def expanded_write():
    x = torch.zeros(3).expand(2, 3)
    x += 1


def partial_overlap_write():
    x = torch.zeros(3, 2)
    x += x[0]


def partial_overlap_copy():
    x = torch.arange(4.0)
    x[1:].copy_(x[:3])


def split_output_write():
    x = torch.ones(4, requires_grad=True).clone()
    a, b = x.split(2)
    a.add_(1)


def chunk_output_write():
    x = torch.ones(4, requires_grad=True).clone()
    a, b = x.chunk(2)
    b.mul_(2)


def split_output_write_with_grad_operand():
    a, b = torch.ones(4).split(2)
    a.add_(torch.ones(2, requires_grad=True))


def split_made_without_grad():
    x = torch.ones(4, requires_grad=True).clone()
    with torch.no_grad():
        a, b = x.split(2)
    a.add_(1)


def split_output_write_without_grad():
    a, b = torch.ones(4).split(2)
    a.add_(1)
    with torch.no_grad():
        x = torch.ones(4, requires_grad=True).clone()
        c, d = x.split(2)
        c.add_(1)
    return torch.cat([a, b, c, d])


err("splitOutputWrite", split_output_write)
err("chunkOutputWrite", chunk_output_write)
err("splitOutputGradOperand", split_output_write_with_grad_operand)
err("splitMadeWithoutGrad", split_made_without_grad)
val("splitWritesWithoutRecording", split_output_write_without_grad())
err("expandedWrite", expanded_write)
err("partialOverlap", partial_overlap_write)
err("partialOverlapCopy", partial_overlap_copy)
x = torch.arange(4.0)
x += x
val("fullOverlap", x)


def second_backward(key, build):
    """Whether a second backward through a freed graph raises, and the message."""
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = build(x)
    y.backward()
    try:
        y.backward()
        names[f"secondBackward.{key}"] = "passes"
    except RuntimeError as e:
        names[f"secondBackward.{key}"] = "stops"
        messages["secondBackward"] = str(e).split("\n")[0]


second_backward("add", lambda x: (x + 1).sum())
second_backward("sum", lambda x: x.sum())
second_backward("mulNumber", lambda x: (x * 2).sum())
second_backward("expThenAdd", lambda x: (x.exp() + 1).sum())
second_backward("view", lambda x: x.view(3).sum())
second_backward("neg", lambda x: (-x).sum())
second_backward("indexSelect", lambda x: x.index_select(0, torch.tensor([0, 2])).sum())
second_backward("tensorIndex", lambda x: x[torch.tensor([0, 2])].sum())
second_backward("maskIndex", lambda x: x[torch.tensor([True, False, True])].sum())
second_backward("nll", lambda x: F.nll_loss(x.view(1, 3), torch.tensor([1])))
second_backward("cumsum", lambda x: x.cumsum(0).sum())
second_backward("mean", lambda x: x.mean())
second_backward("cat", lambda x: torch.cat([x, x]).sum())

# MARK: arange and linspace, bit for bit

random.seed(9)
ranges = [(-8.0, 8.0, 0.1), (0.0, 1.0, 0.01), (-1.0, 1.0, 0.003), (0.1, 7.3, 0.07), (1e3, 1e3 + 50, 0.37), (0.0, 5.0, 1.0),
          (5.0, -5.0, -0.3), (0.0, 0.7, 0.1), (2.0, 2.5, 0.1)]
for _ in range(30):
    s = random.uniform(-100, 100)
    st = random.choice([1, -1]) * 10 ** random.uniform(-3, 1)
    ranges.append((s, s + st * (random.randint(1, 120) - 0.5), st))
arange_cases = []
for dtype in ("float32", "float64"):
    for s, e, st in ranges:
        r = torch.arange(s, e, st, dtype=getattr(torch, dtype))
        arange_cases.append((s, e, st, dtype, [float(v) for v in r.tolist()]))
# Past PyTorch's grain size the kernel splits the range per thread: check the elements around the split.
big = []
for dtype in ("float32", "float64"):
    s, st = -5.0, 0.0003
    r = torch.arange(s, s + st * 70001, st, dtype=getattr(torch, dtype))
    mid = (len(r) + 1) // 2
    picks = list(range(mid - 20, mid + 20)) + list(range(len(r) - 20, len(r)))
    big.append((s, s + st * 70001, st, dtype, len(r), picks, [float(r[i]) for i in picks]))
linspace_cases = []
for dtype in ("float32", "float64"):
    for s, e, n in [(-8.0, 8.0, 161), (0.0, 1.0, 11), (-1.0, 1.0, 7), (1.0, 10.0, 1), (3.0, 3.0, 5), (0.0, 1.0, 2)] + \
            [(random.uniform(-100, 100), random.uniform(-100, 100), random.randint(2, 120)) for _ in range(20)]:
        r = torch.linspace(s, e, n, dtype=getattr(torch, dtype))
        linspace_cases.append((s, e, n, dtype, [float(v) for v in r.tolist()]))


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


out = []
emit = out.append
emit(f"// Generated by Tests/Goldens/regression_goldens.py from PyTorch {torch.__version__.split('+')[0]}; do not edit.")
emit("// swift-format-ignore-file")
emit("")
emit("/// PyTorch's values, dtypes, node names and messages for the regression tests (issue 9).")
emit("enum RegressionGoldens {")
emit("    /// Values (row-major) by key.")
emit("    static let values: [String: [Double]] = [")
for k, v in values.items():
    emit(f"        {swift_string(k)}: [{', '.join(num(x) for x in v)}],")
emit("    ]")
emit("    /// The dtype of each value, in PyTorch's spelling.")
emit("    static let dtypes: [String: String] = [")
for k, v in dtypes.items():
    emit(f"        {swift_string(k)}: {swift_string(v)},")
emit("    ]")
emit("    /// Node names (`grad_fn`), chains of them, or whether a second backward passes or stops.")
emit("    static let names: [String: String] = [")
for k, v in names.items():
    emit(f"        {swift_string(k)}: {swift_string(v)},")
emit("    ]")
emit("    /// PyTorch's error messages (first line).")
emit("    static let messages: [String: String] = [")
for k, v in messages.items():
    emit(f"        {swift_string(k)}: {swift_string(v)},")
emit("    ]")
emit("    /// `torch.arange(start, end, step, dtype:)`: every element (space-separated, parsed by the test).")
emit("    static let arange: [(start: Double, end: Double, step: Double, dtype: String, values: String)] = [")
for s, e, st, d, v in arange_cases:
    emit(f"        ({num(s)}, {num(e)}, {num(st)}, {swift_string(d)}, \"{' '.join(num(x) for x in v)}\"),")
emit("    ]")
emit("    /// Ranges longer than PyTorch's grain size (split per thread, two threads): the count and chosen elements.")
emit("    static let largeArange: [(start: Double, end: Double, step: Double, dtype: String, count: Int, indices: [Int], values: [Double])] = [")
for s, e, st, d, n, picks, v in big:
    emit(f"        ({num(s)}, {num(e)}, {num(st)}, {swift_string(d)}, {n}, [{', '.join(map(str, picks))}], [{', '.join(num(x) for x in v)}]),")
emit("    ]")
emit("    /// `torch.linspace(start, end, steps, dtype:)`: every element (space-separated).")
emit("    static let linspace: [(start: Double, end: Double, steps: Int, dtype: String, values: String)] = [")
for s, e, n, d, v in linspace_cases:
    emit(f"        ({num(s)}, {num(e)}, {n}, {swift_string(d)}, \"{' '.join(num(x) for x in v)}\"),")
emit("    ]")
emit("}")
print("\n".join(out))
