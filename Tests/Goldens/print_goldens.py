"""Generates Tests/CotangentTests/PrintingGoldens.swift from the reference PyTorch.

Run from the package root:

    ../shared/tools/torch-ref Tests/Goldens/print_goldens.py > Tests/CotangentTests/PrintingGoldens.swift

Each golden records a tensor (shape, dtype and the elements PyTorch displays,
as exact bit patterns), the print options, the autograd suffix and `str(t)`
with `dtype=torch.X` rewritten as `dtype=X`. Only displayed elements are
stored: the Swift test fails if the formatter reads any other element.
Seeds are fixed, so the output is reproducible.
"""

import itertools
import math
import random
import struct

import torch

random.seed(20240611)
torch.manual_seed(20240611)

DTYPES = {
    torch.float32: ".float32",
    torch.float64: ".float64",
    torch.int32: ".int32",
    torch.int64: ".int64",
    torch.bool: ".bool",
}

cases = []


def displayed_flat_indices(shape, numel, threshold, edgeitems):
    """The row-major flat indices PyTorch displays (spec §5)."""
    if len(shape) == 0:
        return [0]
    if numel == 0:
        return []
    summarise = numel > threshold
    if summarise and edgeitems == 0:
        return []
    per_axis = []
    for n in shape:
        if summarise and n > 2 * edgeitems:
            per_axis.append(list(range(edgeitems)) + list(range(n - edgeitems, n)))
        else:
            per_axis.append(list(range(n)))
    strides = [1] * len(shape)
    for axis in range(len(shape) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * shape[axis + 1]
    return [sum(i * s for i, s in zip(idx, strides)) for idx in itertools.product(*per_axis)]


def token(value, dtype):
    if dtype == torch.float32:
        return "%08x" % struct.unpack("<I", struct.pack("<f", value))[0]
    if dtype == torch.float64:
        return "%016x" % struct.unpack("<Q", struct.pack("<d", value))[0]
    if dtype == torch.bool:
        return "1" if value else "0"
    return str(int(value))


def swift_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def add(source, t, precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None):
    """Records `t` printed under the given options; `source` is how it was made."""
    torch.set_printoptions(precision=precision, threshold=threshold, edgeitems=edgeitems,
                           linewidth=linewidth, sci_mode=sci_mode)
    expected = str(t).replace("dtype=torch.", "dtype=")
    torch.set_printoptions(profile="default")
    if t.grad_fn is not None:
        autograd = "grad_fn=<%s>" % type(t.grad_fn).__name__
    elif t.requires_grad:
        autograd = "requires_grad=True"
    else:
        autograd = None
    flat = t.detach().contiguous().reshape(-1)
    indices = displayed_flat_indices(list(t.shape), t.numel(), threshold, edgeitems)
    values = flat.tolist()
    elements = " ".join("%d:%s" % (i, token(values[i], t.dtype)) for i in indices)
    cases.append(dict(source=source, shape=list(t.shape), dtype=DTYPES[t.dtype],
                      precision=precision, threshold=threshold, edgeitems=edgeitems,
                      linewidth=linewidth, sci_mode=sci_mode, autograd=autograd,
                      elements=elements, expected=expected))


def make(source):
    """Evaluates a PyTorch expression, so the recorded source is exactly what ran."""
    return source, eval(source, {"torch": torch, "nan": math.nan, "inf": math.inf})


def random_shape(rank, max_dim=5):
    return tuple(random.randint(1, max_dim) for _ in range(rank))


def random_options():
    return dict(
        precision=random.choice([0, 1, 2, 3, 4, 4, 4, 6, 8, 10]),
        linewidth=random.choice([20, 40, 60, 80, 80, 80, 100, 120, 200]),
        sci_mode=random.choice([None, None, None, True, False]),
    )


# 1. Dense tensors of every rank and dtype, default options.
for rank in range(5):
    for dtype in ["float32", "float64", "int32", "int64", "bool"]:
        shape = random_shape(rank)
        if dtype.startswith("float"):
            k = random.randint(-6, 10)
            expr = "torch.randn(%s, dtype=torch.%s) * 1e%d" % (shape, dtype, k)
        elif dtype == "bool":
            expr = "torch.rand(%s) > 0.5" % (shape,)
        else:
            hi = random.choice([10, 1000, 10**6, 10**12 if dtype == "int64" else 10**9])
            expr = "torch.randint(-%d, %d, %s, dtype=torch.%s)" % (hi, hi, shape, dtype)
        add(*make(expr))

# 2. randn * 10^k magnitudes under random options.
for _ in range(30):
    rank = random.randint(0, 4)
    shape = random_shape(rank, 6 if rank <= 2 else 4)
    dtype = random.choice(["float32", "float64"])
    k = random.randint(-9, 12)
    expr = "torch.randn(%s, dtype=torch.%s) * 1e%d" % (shape, dtype, k)
    if random.random() < 0.3:
        expr = "(%s).round()" % expr
    add(*make(expr), **random_options())

# 3. Mixed magnitudes and special values.
specials = ["nan", "inf", "-inf", "0.", "-0.", "1e-5", "1e8", "1e9", "123456.", "1e300",
            "5e-324", "1e-45", "0.5", "-2.25", "3."]
for _ in range(20):
    dtype = random.choice(["float32", "float64"])
    n = random.randint(1, 12)
    values = ", ".join(random.choice(specials + ["%.6g" % random.gauss(0, 10)]) for _ in range(n))
    add(*make("torch.tensor([%s], dtype=torch.%s)" % (values, dtype)), **random_options())

# 3b. Hand-picked edge values: NaN with its sign bit set, ties, three-digit
# exponents, texts longer than 32 characters, tiny line widths.
edge_values = [
    ("-torch.tensor([nan, 1.5, nan])", {}),
    ("-torch.tensor([nan, 2.], dtype=torch.float64)", dict(sci_mode=True)),
    ("torch.tensor([1., 25., -3.5e-3])", dict(precision=0, sci_mode=True)),
    ("torch.tensor([1.5, 2.5, -0.5, 0.25])", dict(precision=0)),
    ("torch.tensor([5e-324, 1.], dtype=torch.float64)", dict(precision=10)),
    ("torch.tensor([1e-300, -2e-300], dtype=torch.float64)", {}),
    ("torch.tensor([2.5e-5, -1e100], dtype=torch.float64)", dict(sci_mode=False)),
    ("torch.tensor([1e38, -3e38])", dict(sci_mode=False, precision=2)),
    ("torch.tensor([123456789.])", {}),
    ("torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)", dict(precision=20)),
    ("torch.randn(5)", dict(linewidth=10)),
    ("torch.arange(5)", dict(linewidth=3)),
    ("torch.arange(6.).reshape(2, 3)", dict(linewidth=0)),
    ("torch.arange(10)", dict(threshold=10)),
    ("torch.tensor(2.5)", dict(threshold=0, edgeitems=0)),
    ("torch.tensor([[7]], dtype=torch.int32)", dict(threshold=0, edgeitems=0)),
]
for expr, options in edge_values:
    add(*make(expr), **options)

# 4. Summarised tensors, including per-axis cuts and edgeitems 0.
summarised = [
    ("torch.randn(2000)", {}),
    ("torch.randn(40, 50) * 1e3", {}),
    ("torch.randint(-500, 500, (3, 400))", {}),
    ("torch.randint(-500, 500, (3, 400), dtype=torch.int32)", dict(edgeitems=2)),
    ("torch.arange(1200.).reshape(10, 10, 12)", dict(threshold=100)),
    ("torch.randn(5, 5, 5, 5, dtype=torch.float64)", dict(threshold=50, edgeitems=1)),
    ("torch.randn(6, 7, 8)", dict(threshold=100, edgeitems=2, linewidth=60)),
    ("torch.rand(30, 40) > 0.3", dict(threshold=500)),
    ("torch.randn(2000)", dict(edgeitems=0)),
    ("torch.randn(30, 40)", dict(threshold=100, edgeitems=0)),
    ("torch.randn(3, 4)", dict(threshold=100, edgeitems=0)),
    ("torch.randn(4, 300) * 1e-6", dict(precision=2)),
    ("torch.randn(1001, dtype=torch.float64) * 1e5", dict(edgeitems=5, linewidth=120)),
    ("torch.randn(50, 2, 30)", dict(threshold=20, edgeitems=4, sci_mode=False)),
    ("torch.randn(3, 3, 3, 3, 3)", dict(threshold=10, edgeitems=1, sci_mode=True)),
    ("torch.randn(12, 12)", dict(threshold=100, edgeitems=6)),
    ("torch.randn(1005)", dict(threshold=math.inf)),
]
for expr, options in summarised:
    add(*make(expr), **options)

# 5. Empty tensors.
for expr in ["torch.zeros(0)", "torch.zeros(0, 3, dtype=torch.float64)", "torch.zeros(2, 0, dtype=torch.bool)",
             "torch.zeros(1, 0, 2, dtype=torch.int64)", "torch.zeros(0, dtype=torch.int32)"]:
    add(*make(expr))

# 6. Autograd suffixes.
autograd = [
    "torch.randn(4, requires_grad=True)",
    "torch.randn(3, 5, dtype=torch.float64, requires_grad=True) * 2",
    "torch.randn(2, 3, requires_grad=True).sum()",
    "torch.randn(2, 3, dtype=torch.float64, requires_grad=True).mean()",
    "torch.randn(6, requires_grad=True).view(2, 3)",
    "torch.randn(12, dtype=torch.float64, requires_grad=True) + 1",
    "torch.randn(20, dtype=torch.float64, requires_grad=True).exp()",
    "torch.zeros(0, 2, dtype=torch.float64, requires_grad=True)",
    "torch.randn(2000, requires_grad=True) * 3",
]
for expr in autograd:
    add(*make(expr), **random_options())

# 7. Suffix placement at the line-width boundary.
for n in range(10, 20):
    add(*make("torch.zeros(%d, dtype=torch.float64, requires_grad=True) * 2" % n))
for lw in [30, 35, 40, 45]:
    add(*make("torch.arange(4, dtype=torch.int32)"), linewidth=lw, edgeitems=0)


def option_literal(c):
    threshold = ".max" if c["threshold"] == math.inf else str(c["threshold"])
    sci = {None: "nil", True: "true", False: "false"}[c["sci_mode"]]
    return "PrintOptions(precision: %d, threshold: %s, edgeItems: %d, lineWidth: %d, sciMode: %s)" % (
        c["precision"], threshold, c["edgeitems"], c["linewidth"], sci)


print("// Generated by Tests/Goldens/print_goldens.py from PyTorch %s. Do not edit." % torch.__version__.split("+")[0])
print("// Elements are `flatIndex:value` for the displayed elements only; floats are bit patterns.")
print("")
print("@testable import Cotangent")
print("")
print("extension GeneratedPrintGolden {")
print("    static let all: [GeneratedPrintGolden] = [")
for number, c in enumerate(cases, 1):
    print("        GeneratedPrintGolden(")
    print("            id: \"R%03d\", source: %s," % (number, swift_string(c["source"])))
    print("            shape: %s, dtype: %s," % (c["shape"], c["dtype"]))
    print("            options: %s," % option_literal(c))
    print("            autograd: %s," % ("nil" if c["autograd"] is None else swift_string(c["autograd"])))
    print("            elements: %s," % swift_string(c["elements"]))
    print("            expected: %s" % swift_string(c["expected"]))
    print("        ),")
print("    ]")
print("}")
