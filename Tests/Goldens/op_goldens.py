"""Generates Tests/CotangentTests/OpGoldens.swift from the reference PyTorch.

Run from the package root:

    ../shared/tools/torch-ref Tests/Goldens/op_goldens.py > Tests/CotangentTests/OpGoldens.swift

Every case names a row of the Swift op table (`OpTable.swift`) by its key, which
is the Swift expression the row evaluates (`x.sum(dim: [0, 2])`), and gives that
row deterministic inputs. The Python lambda beside each key is the same
computation in PyTorch. For each case the generator records, exactly:

* the inputs (values, shape, dtype, whether they require grad);
* every output's values, shape and dtype, whether it requires grad, and its
  `grad_fn` name under each input layout (contiguous, transposed, sliced: the
  same three layouts as `withLayout` in CotangentTestSupport; only `reshape`-like
  ops name different nodes for different layouts);
* a fixed upstream gradient per differentiable output and the gradients that
  backward with it leaves in each input;
* whether PyTorch's own `gradcheck` passes at these inputs (it fails at kinks,
  ties and infinities, where a finite-difference check is meaningless).

Values are written with Python's shortest round-trip `repr`, which Swift parses
back to the same bits; float32 values are written as the exact float64 of the
float32. Nothing is random, so the output is reproducible.
"""

import math
import sys
import warnings
import zlib

import torch
import torch.nn.functional as F

torch.set_grad_enabled(True)
warnings.filterwarnings("ignore", message=".*degrees of freedom is <= 0.*")  # var/std of one element: NaN is the point

F64, F32, I64, I32, B = torch.float64, torch.float32, torch.int64, torch.int32, torch.bool
DTYPES = {F32: ".float32", F64: ".float64", I32: ".int32", I64: ".int64", B: ".bool"}
LAYOUTS = ["contiguous", "transposed", "sliced"]
inf, nan = math.inf, math.nan


# MARK: Inputs

def fraction(k, seed):
    """A low-discrepancy sequence in [0, 1): distinct for every k."""
    return (0.5 + k * 0.6180339887498949 + seed * 0.3819660112501051) % 1.0


def nudge(v):
    """Moves a value away from integers and halves, where floor/round jump."""
    f = abs(v) % 1.0
    if f < 0.03 or f > 0.97 or abs(f - 0.5) < 0.03:
        v += 0.07
    return round(v, 3)


def sample(n, kind, seed):
    """`n` deterministic values of a domain suited to the op."""
    u = [fraction(k, seed) for k in range(n)]
    if kind == "default":  # (-2.7, 2.7), nonzero, no ties
        return [nudge(x * 5.4 - 2.7) for x in u]
    if kind == "positive":  # (0.2, 2.8)
        return [nudge(x * 2.6 + 0.2) for x in u]
    if kind == "unit":  # (-0.8, 0.8)
        return [nudge(x * 1.6 - 0.8) for x in u]
    if kind == "coarse":  # multiples of 0.5 in [-1, 1]: comparisons see ties
        return [round(x * 4.999 - 2.4999) * 0.5 for x in u]
    if kind == "int":
        return [float(round(x * 12 - 6)) for x in u]
    if kind == "posint":
        return [float(1 + int(x * 5)) for x in u]
    if kind == "smallint":  # exponents for integer pow
        return [float(int(x * 4)) for x in u]
    if kind == "bool":
        return [1.0 if x > 0.45 else 0.0 for x in u]
    raise ValueError(kind)


class Inp:
    """One input of a case: shape, dtype, a value domain or explicit values."""

    def __init__(self, shape, dtype=F64, kind=None, values=None, grad=None):
        self.shape, self.dtype, self.kind, self.values = list(shape), dtype, kind, values
        self.grad = dtype.is_floating_point if grad is None else grad

    def materialise(self, seed):
        n = math.prod(self.shape)
        if self.values is None:
            kind = self.kind or ("bool" if self.dtype == B else
                                 "int" if not self.dtype.is_floating_point else "default")
            self.values = sample(n, kind, seed)
        assert len(self.values) == n, (self.shape, self.values)
        t = torch.tensor(self.values, dtype=F64).reshape(self.shape).to(self.dtype)
        self.values = t.reshape(-1).tolist()
        return self

    def leaf(self):
        t = torch.tensor(self.values, dtype=F64).reshape(self.shape).to(self.dtype)
        return t.requires_grad_(self.grad)


def f64(*shape, kind=None, values=None, grad=None):
    return Inp(shape, F64, kind, values, grad)


def f32(*shape, kind=None, values=None, grad=None):
    return Inp(shape, F32, kind, values, grad)


def i64(*shape, kind=None, values=None):
    return Inp(shape, I64, kind, values)


def i32(*shape, kind=None, values=None):
    return Inp(shape, I32, kind, values)


def boolean(*shape, values=None):
    return Inp(shape, B, "bool", values)


def vec(values, dtype=F64, grad=None):
    """A 1-d input with explicit values."""
    return Inp([len(values)], dtype, values=[float(v) for v in values], grad=grad)


def mat(rows, dtype=F64, grad=None):
    """A 2-d input with explicit values."""
    return Inp([len(rows), len(rows[0])], dtype, values=[float(v) for r in rows for v in r], grad=grad)


# MARK: Layouts, mirroring `withLayout` in Sources/CotangentTestSupport/Checkers.swift

def with_layout(t, layout):
    if layout == "contiguous":
        return t.contiguous()
    if layout == "transposed":
        if t.dim() < 2:
            return with_layout(t, "sliced")
        rev = list(reversed(range(t.dim())))
        return t.permute(rev).contiguous().permute(rev)
    if t.dim() < 1:
        return t
    wide = list(t.shape)
    wide[-1] *= 2
    interleaved = torch.cat([t.unsqueeze(-1), torch.zeros_like(t).unsqueeze(-1)], dim=-1).reshape(wide)
    return interleaved[..., ::2]


# MARK: Cases

cases = []


def case(key, fn, inputs, variant=None):
    """Adds a case for the row `key`; `fn` takes the inputs positionally."""
    name = key if variant is None else "%s [%s]" % (key, variant)
    assert all(c["name"] != name for c in cases), name
    seed = zlib.crc32(name.encode()) % 1000
    inputs = [inp.materialise(seed + 17 * i) for i, inp in enumerate(inputs)]
    cases.append(dict(key=key, name=name, fn=fn, inputs=inputs))


def unary(key, fn, kind="default", ints=None, special=None, empty=True, scalar=True):
    """A unary row: [2, 3] float64, float32, 0-d, empty, optionally integers and special values."""
    case(key, fn, [f64(2, 3, kind=kind)])
    case(key, fn, [f32(2, 3, kind=kind)], "float32")
    if scalar:
        case(key, fn, [f64(kind=kind)], "0-d")
    if empty:
        case(key, fn, [f64(0, 3, kind=kind)], "empty")
    if ints:
        case(key, fn, [i64(2, 3, kind=ints)], "int64")
    if special:
        case(key, fn, [vec(special)], "special")


def binary(key, fn, ka="default", kb="default", ints=None, ties=None):
    """A binary row: same shape, float32, broadcast, 0-d on either side, empty."""
    case(key, fn, [f64(2, 3, kind=ka), f64(2, 3, kind=kb)])
    case(key, fn, [f32(2, 3, kind=ka), f32(2, 3, kind=kb)], "float32")
    case(key, fn, [f64(2, 1, 3, kind=ka), f64(2, 3, kind=kb)], "broadcast")
    case(key, fn, [f64(kind=ka), f64(2, 3, kind=kb)], "0-d lhs")
    case(key, fn, [f64(2, 3, kind=ka), f64(kind=kb)], "0-d rhs")
    case(key, fn, [f64(0, 3, kind=ka), f64(3, kind=kb)], "empty")
    if ints:
        case(key, fn, [i64(2, 3, kind=ints[0]), i64(2, 3, kind=ints[1])], "int64")
    if ties:
        case(key, fn, [vec(ties[0]), vec(ties[1])], "ties")


# Unary elementwise ---------------------------------------------------------

unary("-x", lambda x: -x, ints="int")
unary("x.exp()", lambda x: x.exp(), ints="int", special=[-inf, inf, nan, 0.0, 700.0])
unary("x.log()", lambda x: x.log(), kind="positive", ints="posint", special=[0.0, -1.0, inf, nan, 1.0])
unary("x.log1p()", lambda x: x.log1p(), kind="unit", special=[-1.0, -2.0, inf, 1e-10])
unary("x.expm1()", lambda x: x.expm1(), special=[-inf, inf, 1e-10, nan])
unary("x.sqrt()", lambda x: x.sqrt(), kind="positive", ints="posint", special=[0.0, -1.0, inf, nan])
unary("x.rsqrt()", lambda x: x.rsqrt(), kind="positive", special=[0.0, -1.0, inf])
unary("x.reciprocal()", lambda x: x.reciprocal(), ints="posint", special=[0.0, -0.0, inf, -inf])
unary("x.abs()", lambda x: x.abs(), ints="int", special=[0.0, -0.0, -inf, nan])
unary("x.sign()", lambda x: x.sign(), ints="int", special=[0.0, -0.0, nan, inf, -inf])
unary("x.sin()", lambda x: x.sin())
unary("x.cos()", lambda x: x.cos())
unary("x.tan()", lambda x: x.tan(), kind="unit")
unary("x.tanh()", lambda x: x.tanh(), special=[inf, -inf, nan, 20.0])
unary("x.sigmoid()", lambda x: x.sigmoid(), special=[inf, -inf, nan, -40.0])
unary("x.relu()", lambda x: x.relu(), ints="int", special=[0.0, -0.0, nan, -inf, inf])
unary("x.floor()", lambda x: x.floor(), ints="int", special=[-0.5, 2.0, -inf, nan])
unary("x.ceil()", lambda x: x.ceil(), ints="int", special=[-0.5, 2.0, inf, nan])
unary("x.round()", lambda x: x.round(), ints="int", special=[0.5, 1.5, 2.5, -0.5, -2.5, nan])
unary("x.trunc()", lambda x: x.trunc(), ints="int", special=[-1.5, 1.5, -inf, nan])
unary("x.clamped(min: -1, max: 1.5)", lambda x: x.clamp(-1, 1.5), ints="int",
      special=[-1.0, 1.5, nan, -3.0, 3.0, 0.0])
unary("x.clamped(min: 0.5)", lambda x: x.clamp(min=0.5), ints="int", special=[0.5, nan, -inf])
unary("x.clamped(max: 0.25)", lambda x: x.clamp(max=0.25), special=[0.25, nan, inf])
unary("x.clamped(min: -2, max: 3)", lambda x: x.clamp(-2, 3), ints="int")
unary("x.square()", lambda x: x.square(), ints="int")
unary("x.isNaN()", lambda x: x.isnan(), ints="int", special=[nan, inf, -inf, 0.0])
unary("x.erf()", lambda x: torch.erf(x), ints="int", special=[inf, -inf, nan, 0.0, 6.0])
unary("gelu(x)", lambda x: F.gelu(x), special=[inf, -inf, nan, 0.0, -12.0])
unary("gelu(x, approximate: .tanh)", lambda x: F.gelu(x, approximate="tanh"), special=[inf, -inf, nan, 0.0, -12.0])

# Tensor with a Swift number ---------------------------------------------------


def number(x, value):
    """A Swift floating-point number as PyTorch sees a Python float next to `x`
    (torch.maximum takes tensors only): it never widens a float tensor."""
    return torch.tensor(value, dtype=x.dtype if x.is_floating_point() else torch.get_default_dtype())


for key, fn, kind, ints in [
    ("x + 2", lambda x: x + 2, "default", "int"),
    ("2 + x", lambda x: 2 + x, "default", "int"),
    ("x + 2.5", lambda x: x + 2.5, "default", "int"),
    ("2.5 + x", lambda x: 2.5 + x, "default", None),
    ("x - 2", lambda x: x - 2, "default", "int"),
    ("2 - x", lambda x: 2 - x, "default", "int"),
    ("x - 2.5", lambda x: x - 2.5, "default", None),
    ("2.5 - x", lambda x: 2.5 - x, "default", "int"),
    ("x * 3", lambda x: x * 3, "default", "int"),
    ("3 * x", lambda x: 3 * x, "default", None),
    ("x * 1.5", lambda x: x * 1.5, "default", "int"),
    ("1.5 * x", lambda x: 1.5 * x, "default", None),
    ("x / 4", lambda x: x / 4, "default", "int"),
    ("4 / x", lambda x: 4 / x, "default", "posint"),
    ("x / 2.5", lambda x: x / 2.5, "default", None),
    ("2.5 / x", lambda x: 2.5 / x, "default", None),
    ("x.pow(2.0)", lambda x: x ** 2.0, "default", "int"),  # a float exponent makes integers float, as in PyTorch
    ("x.pow(3.0)", lambda x: x ** 3.0, "default", "int"),
    ("x.pow(0.5)", lambda x: x ** 0.5, "positive", "posint"),
    ("x.pow(-1.5)", lambda x: x ** -1.5, "positive", None),
    ("x.pow(0.0)", lambda x: x ** 0.0, "default", None),
    ("Tensor.pow(2, x)", lambda x: torch.pow(2.0, x), "default", "int"),
    ("Tensor.maximum(x, 0.5)", lambda x: torch.maximum(x, number(x, 0.5)), "default", "int"),
    ("Tensor.minimum(x, 0.5)", lambda x: torch.minimum(x, number(x, 0.5)), "default", None),
]:
    unary(key, fn, kind=kind, ints=ints)

case("x + 2", lambda x: x + 2, [boolean(2, 3)], "bool")
case("x + 2", lambda x: x + 2, [i32(2, 3)], "int32")
case("x * 1.5", lambda x: x * 1.5, [boolean(2, 3)], "bool")
case("x * 3", lambda x: x * 3, [i32(2, 3)], "int32")
case("x.pow(2.0)", lambda x: x ** 2, [vec([0.0, -0.0, 1.0])], "zero")
case("x.pow(0.5)", lambda x: x ** 0.5, [vec([0.0, 4.0, -1.0])], "special")
case("x.pow(-1.5)", lambda x: x ** -1.5, [vec([0.0, 4.0])], "special")
case("x.pow(0.0)", lambda x: x ** 0.0, [vec([0.0, nan, inf])], "special")
case("Tensor.maximum(x, 0.5)", lambda x: torch.maximum(x, number(x, 0.5)),
     [vec([0.5, nan, 1.0, -1.0])], "ties")

# Tensor with tensor -----------------------------------------------------------

binary("a + b", lambda a, b: a + b, ints=("int", "int"))
binary("a - b", lambda a, b: a - b, ints=("int", "int"))
binary("a * b", lambda a, b: a * b, ints=("int", "int"))
binary("a / b", lambda a, b: a / b, ints=("int", "posint"))
binary("a.pow(b)", lambda a, b: a.pow(b), ka="positive", ints=("int", "smallint"))
binary("Tensor.maximum(a, b)", lambda a, b: torch.maximum(a, b), ints=("int", "int"),
       ties=([1.0, 2.0, -1.0, nan], [1.0, 0.5, -1.0, 3.0]))
binary("Tensor.minimum(a, b)", lambda a, b: torch.minimum(a, b), ints=("int", "int"),
       ties=([1.0, 2.0, -1.0, 3.0], [1.0, 0.5, -1.0, nan]))
binary("a.atan2(b)", lambda a, b: torch.atan2(a, b))
binary("a.remainder(b)", lambda a, b: torch.remainder(a, b), ints=("int", "posint"))
binary("a.floorDivide(b)", lambda a, b: torch.floor_divide(a, b), ints=("int", "posint"))

case("a.pow(b)", lambda a, b: a.pow(b), [vec([0.0, 0.0, 0.0, 2.0, -2.0]), vec([2.0, 0.0, 0.5, -1.0, 2.0])],
     "zero base")
case("a.atan2(b)", lambda a, b: torch.atan2(a, b), [vec([0.0, 1.0, -1.0, 0.0]), vec([0.0, 0.0, 0.0, -1.0])],
     "axes")
case("a.remainder(b)", lambda a, b: torch.remainder(a, b), [vec([7.5, -7.5, 7.5, -7.5]), vec([2.0, 2.0, -2.0, -2.0])],
     "signs")
case("a.floorDivide(b)", lambda a, b: torch.floor_divide(a, b), [i64(4, values=[7.0, -7.0, 7.0, -7.0]),
                                                                  i64(4, values=[2.0, 2.0, -2.0, -2.0])],
     "int signs")

# Type promotion (PyTorch's result_type).
promotions = [
    ("int64 + float32", [i64(2, 3), f32(2, 3)]),
    ("float32 + float64", [f32(2, 3), f64(2, 3)]),
    ("int32 + int64", [i32(2, 3), i64(2, 3)]),
    ("bool + int64", [boolean(2, 3), i64(2, 3)]),
    ("bool + bool", [boolean(2, 3), boolean(2, 3)]),
    ("bool + float32", [boolean(2, 3), f32(2, 3)]),
    ("0-d float64 + float32", [f64(), f32(2, 3)]),
    ("float32 + 0-d float64", [f32(2, 3), f64()]),
    ("0-d int64 + int32", [i64(), i32(2, 3)]),
    ("0-d float32 + int64", [f32(), i64(2, 3)]),
    ("0-d float64 + int32", [f64(), i32(2, 3)]),
    ("0-d float64 + 0-d float32", [f64(), f32()]),
]
for variant, inputs in promotions:
    case("a + b", lambda a, b: a + b, inputs, variant)
case("a * b", lambda a, b: a * b, [f32(2, 3), i64(2, 3)], "float32 * int64")
case("a / b", lambda a, b: a / b, [i64(2, 3), i64(2, 3, kind="posint")], "int64 / int64")
case("a / b", lambda a, b: a / b, [i32(2, 3), f64()], "int32 / 0-d float64")
case("a - b", lambda a, b: a - b, [f32(2, 3), f64(3)], "float32 - float64")
case("Tensor.maximum(a, b)", lambda a, b: torch.maximum(a, b), [i64(2, 3), f32(2, 3)], "int64, float32")
case("a.atan2(b)", lambda a, b: torch.atan2(a, b), [i64(2, 3), i64(2, 3, kind="posint")], "int64")

# Where.
case("Tensor.where(c, a, b)", lambda c, a, b: torch.where(c, a, b), [boolean(2, 3), f64(2, 3), f64(2, 3)])
case("Tensor.where(c, a, b)", lambda c, a, b: torch.where(c, a, b), [boolean(2, 3), f32(2, 3), f32(2, 3)], "float32")
case("Tensor.where(c, a, b)", lambda c, a, b: torch.where(c, a, b), [boolean(2, 1), f64(2, 3), f64(3)], "broadcast")
case("Tensor.where(c, a, b)", lambda c, a, b: torch.where(c, a, b), [boolean(2, 3), f64(2, 3), f64()], "0-d b")
case("Tensor.where(c, a, b)", lambda c, a, b: torch.where(c, a, b), [boolean(0, 3), f64(0, 3), f64(3)], "empty")
case("Tensor.where(c, a, b)", lambda c, a, b: torch.where(c, a, b), [boolean(2, 3), i64(2, 3), f32(2, 3)],
     "int64, float32")
case("Tensor.where(c, a, 0.5)", lambda c, a: torch.where(c, a, 0.5), [boolean(2, 3), f64(2, 3)])
case("Tensor.where(c, a, 0.5)", lambda c, a: torch.where(c, a, 0.5), [boolean(2, 3), f32(2, 3)], "float32")
case("Tensor.where(c, 0.5, b)", lambda c, b: torch.where(c, 0.5, b), [boolean(2, 3), f64(2, 3)])
case("Tensor.where(c, 0.5, b)", lambda c, b: torch.where(c, 0.5, b), [boolean(3, 1), f64(2, 1, 3)], "broadcast")

# Comparisons and logic --------------------------------------------------------

for key, fn in [("a .== b", lambda a, b: a == b), ("a .!= b", lambda a, b: a != b),
                ("a .< b", lambda a, b: a < b), ("a .<= b", lambda a, b: a <= b),
                ("a .> b", lambda a, b: a > b), ("a .>= b", lambda a, b: a >= b)]:
    case(key, fn, [f64(2, 3, kind="coarse"), f64(2, 3, kind="coarse")])
    case(key, fn, [f32(2, 1, 3, kind="coarse"), f32(2, 3, kind="coarse")], "broadcast")
    case(key, fn, [f32(2, 3, kind="coarse"), i64(2, 3, kind="int")], "float32, int64")
    case(key, fn, [f64(kind="coarse"), f64(2, 3, kind="coarse")], "0-d")
    case(key, fn, [f64(0, 3), f64(3)], "empty")
    case(key, fn, [vec([nan, 1.0, inf, -inf]), vec([nan, nan, inf, 0.0])], "special")

for key, fn in [("x .== 0.5", lambda x: x == 0.5), ("x .!= 0.5", lambda x: x != 0.5),
                ("x .< 0.5", lambda x: x < 0.5), ("x .<= 0.5", lambda x: x <= 0.5),
                ("x .> 0.5", lambda x: x > 0.5), ("x .>= 0.5", lambda x: x >= 0.5)]:
    case(key, fn, [f64(2, 3, kind="coarse")])
    case(key, fn, [f32(2, 3, kind="coarse")], "float32")
    case(key, fn, [i64(2, 3, kind="int")], "int64")

for key, fn in [("a .&& b", torch.logical_and), ("a .|| b", torch.logical_or), ("a .^ b", torch.logical_xor)]:
    case(key, fn, [boolean(2, 3), boolean(2, 3)])
    case(key, fn, [boolean(2, 1), boolean(3)], "broadcast")
    case(key, fn, [f64(2, 3, kind="coarse"), i64(2, 3, kind="int")], "float64, int64")
    case(key, fn, [boolean(0, 2), boolean(2)], "empty")
case("!x", torch.logical_not, [boolean(2, 3)])
case("!x", torch.logical_not, [f64(2, 3, kind="coarse")], "float64")
case("!x", torch.logical_not, [i64(2, 3, kind="int")], "int64")
case("!x", torch.logical_not, [boolean()], "0-d")
case("!x", torch.logical_not, [boolean(0, 2)], "empty")

# Reductions -------------------------------------------------------------------


def reduction(key, fn, dims3=False, ints=False, empty=True, scalar=True, extra=()):
    case(key, fn, [f64(2, 3, 2) if dims3 else f64(3, 4)])
    case(key, fn, [f32(2, 3, 2) if dims3 else f32(3, 4)], "float32")
    if scalar:
        case(key, fn, [f64()], "0-d")
    if empty:
        case(key, fn, [f64(2, 0, 2) if dims3 else f64(0, 4)], "empty")
    if ints:
        case(key, fn, [i64(2, 3, 2) if dims3 else i64(3, 4)], "int64")
    for variant, inputs in extra:
        case(key, fn, inputs, variant)


zeros_one = [("one zero", [mat([[1.5, 0.0, -2.0], [0.5, 2.0, 3.0]])]),
             ("two zeros", [mat([[0.0, 2.0, 0.0], [0.5, 0.0, 3.0]])])]

reduction("x.sum()", lambda x: x.sum(), ints=True, extra=[("bool", [boolean(3, 4)]), ("int32", [i32(3, 4)]),
                                                          ("3-d", [f64(2, 3, 2)])])
reduction("x.sum(dim: 0)", lambda x: x.sum(0), ints=True, extra=[("bool", [boolean(3, 4)])])
reduction("x.sum(dim: 1)", lambda x: x.sum(1), scalar=False)
reduction("x.sum(dim: -1, keepDim: true)", lambda x: x.sum(-1, keepdim=True))
reduction("x.sum(dim: [0, 2])", lambda x: x.sum((0, 2)), dims3=True, scalar=False, ints=True)
reduction("x.sum(dim: [-1, 0], keepDim: true)", lambda x: x.sum((-1, 0), keepdim=True), dims3=True, scalar=False)
reduction("x.mean()", lambda x: x.mean())
reduction("x.mean(dim: 1)", lambda x: x.mean(1), scalar=False)
reduction("x.mean(dim: -2, keepDim: true)", lambda x: x.mean(-2, keepdim=True), scalar=False)
reduction("x.mean(dim: [0, 2])", lambda x: x.mean((0, 2)), dims3=True, scalar=False)
reduction("x.prod()", lambda x: x.prod(), ints=True, extra=zeros_one)
reduction("x.prod(dim: 1)", lambda x: x.prod(1), scalar=False, ints=True, extra=zeros_one)
reduction("x.prod(dim: -1, keepDim: true)", lambda x: x.prod(-1, keepdim=True), extra=zeros_one)
for key, fn in [("x.max()", lambda x: x.max()), ("x.min()", lambda x: x.min())]:
    reduction(key, fn, ints=True, empty=False, extra=[
        ("ties", [mat([[1.5, -2.0, 1.5], [-2.0, 0.5, 1.5]])]),
        ("nan", [vec([1.0, nan, 3.0, nan])]),
        ("bool", [boolean(3, 4)])])
for key, fn in [("x.max(dim: 1)", lambda x: x.max(1)), ("x.min(dim: 0)", lambda x: x.min(0)),
                ("x.max(dim: -1, keepDim: true)", lambda x: x.max(-1, keepdim=True)),
                ("x.min(dim: -2, keepDim: true)", lambda x: x.min(-2, keepdim=True))]:
    reduction(key, fn, ints=True, empty=False, scalar=key.startswith("x.max(dim: -1") or key.startswith("x.min(dim: 0"),
              extra=[("ties", [mat([[1.5, -2.0, 1.5], [-2.0, -2.0, 1.5]])]),
                     ("nan", [mat([[1.0, nan, 3.0], [nan, 0.0, -1.0]])])])
for key, fn in [("x.amax(dim: [1])", lambda x: x.amax(1)), ("x.amin(dim: [0])", lambda x: x.amin(0)),
                ("x.amax(dim: [0, 1])", lambda x: x.amax((0, 1))),
                ("x.amin(dim: [-1], keepDim: true)", lambda x: x.amin(-1, keepdim=True))]:
    reduction(key, fn, ints=True, empty=False, scalar=False,
              extra=[("ties", [mat([[1.5, -2.0, 1.5], [-2.0, -2.0, 1.5]])]),
                     ("3-d", [f64(2, 3, 2)])])
for key, fn in [("x.argmax()", lambda x: x.argmax()), ("x.argmin()", lambda x: x.argmin()),
                ("x.argmax(dim: 1)", lambda x: x.argmax(1)),
                ("x.argmin(dim: 0, keepDim: true)", lambda x: x.argmin(0, keepdim=True))]:
    reduction(key, fn, ints=True, empty=False, scalar=False,
              extra=[("ties", [mat([[1.5, -2.0, 1.5], [-2.0, -2.0, 1.5]])]),
                     ("nan", [mat([[1.0, nan, 3.0], [nan, 0.0, -1.0]])])])
for key, fn in [("x.norm()", lambda x: torch.linalg.vector_norm(x)),
                ("x.norm(p: 1)", lambda x: torch.linalg.vector_norm(x, 1)),
                ("x.norm(p: 3)", lambda x: torch.linalg.vector_norm(x, 3)),
                ("x.norm(p: .infinity)", lambda x: torch.linalg.vector_norm(x, inf)),
                ("x.norm(dim: [1])", lambda x: torch.linalg.vector_norm(x, dim=1)),
                ("x.norm(p: 1, dim: [0], keepDim: true)", lambda x: torch.linalg.vector_norm(x, 1, dim=0, keepdim=True)),
                ("x.norm(p: 3, dim: [-1])", lambda x: torch.linalg.vector_norm(x, 3, dim=-1)),
                ("x.norm(p: .infinity, dim: [0])", lambda x: torch.linalg.vector_norm(x, inf, dim=0))]:
    reduction(key, fn, scalar="dim" not in key, empty="infinity" not in key,
              extra=[("zeros", [mat([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])]),
                     ("ties", [mat([[1.5, -2.0, 1.5], [2.0, -2.0, 1.5]])])])
for key, fn in [("x.variance()", lambda x: torch.var(x)),
                ("x.variance(correction: 0)", lambda x: torch.var(x, correction=0)),
                ("x.variance(dim: [1])", lambda x: torch.var(x, dim=1)),
                ("x.variance(dim: [0], correction: 0, keepDim: true)", lambda x: torch.var(x, dim=0, correction=0, keepdim=True)),
                ("x.variance(dim: [0, 2])", lambda x: torch.var(x, dim=(0, 2))),
                ("x.std()", lambda x: torch.std(x)),
                ("x.std(correction: 0)", lambda x: torch.std(x, correction=0)),
                ("x.std(dim: [1])", lambda x: torch.std(x, dim=1)),
                ("x.std(dim: [-1], correction: 0, keepDim: true)", lambda x: torch.std(x, dim=-1, correction=0, keepdim=True))]:
    three = "[0, 2]" in key
    reduction(key, fn, dims3=three, scalar=False, empty=False,
              extra=[] if three else [("one element", [f64(1, 1)])])
for key, fn in [("x.logsumexp(dim: 1)", lambda x: x.logsumexp(1)),
                ("x.logsumexp(dim: [0, 1])", lambda x: x.logsumexp((0, 1))),
                ("x.logsumexp(dim: -1, keepDim: true)", lambda x: x.logsumexp(-1, keepdim=True))]:
    reduction(key, fn, scalar=False, ints=True,
              extra=[("infinities", [mat([[-inf, -inf], [1.0, inf], [1000.0, 1000.5]])])])
for key, fn in [("x.all()", lambda x: x.all()), ("x.any()", lambda x: x.any()),
                ("x.all(dim: 1)", lambda x: x.all(1)), ("x.any(dim: 0, keepDim: true)", lambda x: x.any(0, keepdim=True))]:
    case(key, fn, [boolean(3, 4)])
    case(key, fn, [mat([[1.0, 0.0, 2.0], [0.5, 1.0, -1.0]])], "float64")
    case(key, fn, [i64(3, 4, kind="smallint")], "int64")
    case(key, fn, [boolean(0, 3)], "empty")
    if "dim" not in key:
        case(key, fn, [boolean(values=[1.0])], "0-d")
for key, fn in [("x.cumsum(dim: 0)", lambda x: x.cumsum(0)), ("x.cumsum(dim: -1)", lambda x: x.cumsum(-1))]:
    reduction(key, fn, ints=True, extra=[("bool", [boolean(3, 4)]), ("3-d", [f64(2, 3, 2)])])

# Linear algebra ---------------------------------------------------------------

case("a.dot(b)", lambda a, b: a.dot(b), [f64(4), f64(4)])
case("a.dot(b)", lambda a, b: a.dot(b), [f32(4), f32(4)], "float32")
case("a.dot(b)", lambda a, b: a.dot(b), [f64(0), f64(0)], "empty")
case("a.dot(b)", lambda a, b: a.dot(b), [i64(4), i64(4)], "int64")
case("a.mm(b)", lambda a, b: a.mm(b), [f64(2, 3), f64(3, 4)])
case("a.mm(b)", lambda a, b: a.mm(b), [f32(2, 3), f32(3, 4)], "float32")
case("a.mm(b)", lambda a, b: a.mm(b), [f64(0, 3), f64(3, 2)], "empty rows")
case("a.mm(b)", lambda a, b: a.mm(b), [f64(2, 0), f64(0, 3)], "empty inner")
case("a.mm(b)", lambda a, b: a.mm(b), [i64(2, 3), i64(3, 2)], "int64")
case("a.mv(b)", lambda a, b: a.mv(b), [f64(2, 3), f64(3)])
case("a.mv(b)", lambda a, b: a.mv(b), [f32(2, 3), f32(3)], "float32")
case("a.mv(b)", lambda a, b: a.mv(b), [f64(0, 3), f64(3)], "empty")
case("a.outer(b)", lambda a, b: torch.outer(a, b), [f64(3), f64(2)])
case("a.outer(b)", lambda a, b: torch.outer(a, b), [f32(3), f32(2)], "float32")
case("a.outer(b)", lambda a, b: torch.outer(a, b), [f64(0), f64(2)], "empty")
case("a.bmm(b)", lambda a, b: a.bmm(b), [f64(2, 2, 3), f64(2, 3, 2)])
case("a.bmm(b)", lambda a, b: a.bmm(b), [f32(2, 2, 3), f32(2, 3, 2)], "float32")
case("a.bmm(b)", lambda a, b: a.bmm(b), [f64(0, 2, 3), f64(0, 3, 2)], "empty")
for variant, shapes in [("1-d @ 1-d", ([3], [3])), ("2-d @ 1-d", ([2, 3], [3])), ("1-d @ 2-d", ([3], [3, 2])),
                        ("2-d @ 2-d", ([2, 3], [3, 2])), ("3-d @ 1-d", ([2, 2, 3], [3])),
                        ("1-d @ 3-d", ([3], [2, 3, 2])), ("3-d @ 2-d", ([2, 2, 3], [3, 2])),
                        ("2-d @ 3-d", ([2, 3], [2, 3, 2])), ("3-d @ 3-d", ([2, 2, 3], [2, 3, 2])),
                        ("broadcast batch", ([2, 1, 2, 3], [3, 3, 2])), ("4-d @ 1-d", ([2, 1, 2, 3], [3])),
                        ("empty batch", ([0, 2, 3], [3, 2]))]:
    case("a.matmul(b)", lambda a, b: a.matmul(b), [Inp(shapes[0]), Inp(shapes[1])], variant)
case("a.matmul(b)", lambda a, b: a.matmul(b), [f32(2, 2, 3), f32(2, 3, 2)], "float32")

addmm = lambda c, a, b: torch.addmm(c, a, b)
case("Tensor.addmm(c, a, b)", addmm, [f64(2, 4), f64(2, 3), f64(3, 4)])
case("Tensor.addmm(c, a, b)", addmm, [f32(2, 4), f32(2, 3), f32(3, 4)], "float32")
case("Tensor.addmm(c, a, b)", addmm, [f64(4), f64(2, 3), f64(3, 4)], "broadcast")
case("Tensor.addmm(c, a, b)", addmm, [f64(), f64(2, 3), f64(3, 4)], "0-d")
case("Tensor.addmm(c, a, b)", addmm, [f64(2, 4), f64(2, 0), f64(0, 4)], "empty inner")

masked = lambda x, m: x.masked_fill(m, -1.5)
case("x.maskedFilled(mask, with: -1.5)", masked, [f64(2, 3), boolean(2, 3)])
case("x.maskedFilled(mask, with: -1.5)", masked, [f32(2, 3), boolean(2, 3)], "float32")
case("x.maskedFilled(mask, with: -1.5)", masked, [f64(2, 3), boolean(3)], "broadcast")
case("x.maskedFilled(mask, with: -1.5)", masked, [f64(2, 3), boolean(values=[1.0])], "0-d mask")
case("x.maskedFilled(mask, with: -1.5)", masked, [f64(0, 3), boolean(3)], "empty")

# Movement ---------------------------------------------------------------------


def movement(key, fn, shape, extra=(), ints=True):
    case(key, fn, [Inp(shape)])
    case(key, fn, [Inp(shape, F32)], "float32")
    if ints:
        case(key, fn, [Inp(shape, I64)], "int64")
    for variant, inputs in extra:
        case(key, fn, inputs, variant)


movement("x.reshaped(3, 2)", lambda x: x.reshape(3, 2), [2, 3])
movement("x.reshaped(-1)", lambda x: x.reshape(-1), [2, 3], [("0-d", [f64()]), ("empty", [f64(0, 3)])])
movement("x.reshaped(2, -1, 1)", lambda x: x.reshape(2, -1, 1), [2, 3], [("empty", [f64(2, 0)])])
movement("x.reshaped([])", lambda x: x.reshape([]), [1, 1], [("0-d", [f64()])])
movement("x.t().reshaped(-1)", lambda x: x.t().reshape(-1), [2, 3])
movement("x.flattened()", lambda x: x.flatten(), [2, 3, 2], [("0-d", [f64()]), ("1-d", [f64(4)])])
movement("x.flattened(startDim: 1)", lambda x: x.flatten(1), [2, 3, 2])
movement("x.flattened(startDim: 0, endDim: -2)", lambda x: x.flatten(0, -2), [2, 3, 2])
movement("x.squeezed()", lambda x: x.squeeze(), [2, 1, 3, 1], [("0-d", [f64()])])
movement("x.squeezed(1)", lambda x: x.squeeze(1), [2, 1, 3])
movement("x.squeezed(0)", lambda x: x.squeeze(0), [2, 3], [("0-d", [f64()])])
movement("x.squeezed([0, 2])", lambda x: x.squeeze((0, 2)), [1, 3, 1])
movement("x.unsqueezed(0)", lambda x: x.unsqueeze(0), [2, 3], [("0-d", [f64()])])
movement("x.unsqueezed(-1)", lambda x: x.unsqueeze(-1), [2, 3], [("0-d", [f64()])])
movement("x.unsqueezed(1)", lambda x: x.unsqueeze(1), [2, 3], [("empty", [f64(0, 3)])])
movement("x.permuted(2, 0, 1)", lambda x: x.permute(2, 0, 1), [2, 3, 2])
movement("x.permuted([-1, 0, 1])", lambda x: x.permute(-1, 0, 1), [2, 3, 2])
movement("x.transposed(0, 1)", lambda x: x.transpose(0, 1), [2, 3])
movement("x.transposed(-1, 0)", lambda x: x.transpose(-1, 0), [2, 3, 2])
movement("x.t()", lambda x: x.t(), [2, 3], [("1-d", [f64(3)]), ("0-d", [f64()])])
movement("x.expanded(to: [2, 3])", lambda x: x.expand(2, 3), [2, 1], [("1-d", [f64(3)]), ("0-d", [f64()]),
                                                                       ("same", [f64(2, 3)])])
movement("x.expanded(to: [2, -1, 3])", lambda x: x.expand(2, -1, 3), [4, 1])
movement("x.contiguous()", lambda x: x.contiguous(), [2, 3])
movement("x.cloned()", lambda x: x.clone(), [2, 3], [("0-d", [f64()])])
movement("x.to(.float64)", lambda x: x.to(F64), [2, 3], [("bool", [boolean(2, 3)])])
movement("x.to(.float32)", lambda x: x.to(F32), [2, 3], [("int32", [i32(2, 3)])])
movement("x.to(.int64)", lambda x: x.to(I64), [2, 3], [("bool", [boolean(2, 3)])])
movement("x.to(.int32)", lambda x: x.to(I32), [2, 3])
movement("x.to(.bool)", lambda x: x.to(B), [2, 3], [("zeros", [vec([0.0, -0.0, 0.5, nan])])])
movement("x.select(dim: 1, index: -1)", lambda x: x.select(1, -1), [2, 3])
movement("x.select(dim: 0, index: 1)", lambda x: x.select(0, 1), [3, 2], [("1-d", [f64(3)])])
movement("x.slice(dim: 1, start: 1, end: nil, step: 2)", lambda x: x[:, 1::2], [2, 5])
movement("x.slice(dim: 0, start: -2)", lambda x: x[-2:], [4, 2])
movement("x.slice(dim: 1, start: -4, end: -1)", lambda x: x[:, -4:-1], [2, 5])
movement("x.slice(dim: 1, start: 7, end: 10)", lambda x: x[:, 7:10], [2, 5])
movement("x.slice(dim: -1, start: -100, end: 100, step: 3)", lambda x: x[..., -100:100:3], [2, 5])
movement("x.narrowed(dim: 1, start: 1, length: 2)", lambda x: x.narrow(1, 1, 2), [2, 4])
movement("x.narrowed(dim: 0, start: 2, length: 0)", lambda x: x.narrow(0, 2, 0), [2, 4])

cat2 = lambda a, b: torch.cat([a, b])
case("Tensor.cat([a, b])", cat2, [f64(2, 3), f64(1, 3)])
case("Tensor.cat([a, b])", cat2, [f32(2, 3), f32(1, 3)], "float32")
case("Tensor.cat([a, b])", cat2, [i64(2, 3), f32(1, 3)], "int64, float32")
case("Tensor.cat([a, b])", cat2, [f64(2, 3), f64(0)], "empty 1-d skipped")
case("Tensor.cat([a, b])", cat2, [f64(0, 3), f64(2, 3)], "empty")
case("Tensor.cat([a, b], dim: -1)", lambda a, b: torch.cat([a, b], -1), [f64(2, 3), f64(2, 2)])
case("Tensor.cat([a, b], dim: -1)", lambda a, b: torch.cat([a, b], -1), [f64(3), f64(2)], "1-d")
case("Tensor.cat([a, b, c], dim: 1)", lambda a, b, c: torch.cat([a, b, c], 1), [f64(2, 1, 2), f64(2, 2, 2), f64(2, 1, 2)])
stack2 = lambda a, b: torch.stack([a, b])
case("Tensor.stack([a, b])", stack2, [f64(2, 3), f64(2, 3)])
case("Tensor.stack([a, b])", stack2, [f32(2, 3), f32(2, 3)], "float32")
case("Tensor.stack([a, b])", stack2, [f64(), f64()], "0-d")
case("Tensor.stack([a, b])", stack2, [i64(2, 3), i64(2, 3)], "int64")
case("Tensor.stack([a, b], dim: -1)", lambda a, b: torch.stack([a, b], -1), [f64(2, 3), f64(2, 3)])
case("Tensor.stack([a, b], dim: 1)", lambda a, b: torch.stack([a, b], 1), [f64(2, 3), f64(2, 3)])
case("Tensor.stack([a, b], dim: 1)", lambda a, b: torch.stack([a, b], 1), [f64(0, 3), f64(0, 3)], "empty")
movement("x.split(size: 2)", lambda x: x.split(2), [5, 2], [("exact", [f64(4, 2)])])
movement("x.split(size: 2, dim: 1)", lambda x: x.split(2, 1), [2, 3])
movement("x.split(sizes: [1, 3], dim: 1)", lambda x: x.split([1, 3], 1), [2, 4])
movement("x.split(sizes: [0, 2, 1])", lambda x: x.split([0, 2, 1]), [3, 2], ints=False)
movement("x.chunked(3)", lambda x: x.chunk(3), [5, 2])
movement("x.chunked(2, dim: 1)", lambda x: x.chunk(2, 1), [2, 3])
movement("x.chunked(4)", lambda x: x.chunk(4), [6], ints=False)

# Indexing ---------------------------------------------------------------------

movement("x[0]", lambda x: x[0], [3, 4], [("1-d", [f64(3)])])
movement("x[-1]", lambda x: x[-1], [3, 4])
movement("x[1, 2]", lambda x: x[1, 2], [3, 4])
movement("x[1, -1, 0]", lambda x: x[1, -1, 0], [2, 3, 2], ints=False)
movement("x[2..<7]", lambda x: x[2:7], [8], [("2-d", [f64(8, 2)])])
movement("x[1...]", lambda x: x[1:], [4, 2])
movement("x[..<2]", lambda x: x[:2], [4, 2])
movement("x[1...2]", lambda x: x[1:3], [4, 2])
movement("x[...]", lambda x: x[:], [2, 3], ints=False)
movement("x[..., 0]", lambda x: x[:, 0], [2, 3])
movement("x[0, ..., 1]", lambda x: x[0, :, 1], [2, 3, 2])
movement("x[TensorIndex.ellipsis, 0]", lambda x: x[..., 0], [2, 3, 2], [("1-d", [f64(3)])])
movement("x[0, TensorIndex.ellipsis]", lambda x: x[0, ...], [2, 3, 2], ints=False)
movement("x[TensorIndex.newAxis]", lambda x: x[None], [2, 3], [("0-d", [f64()])])
movement("x[TensorIndex.all, TensorIndex.newAxis, 1]", lambda x: x[:, None, 1], [2, 3], ints=False)
movement("x[stride(from: 0, to: 6, by: 2)]", lambda x: x[0:6:2], [6], [("2-d", [f64(7, 2)])])
movement("x[TensorIndex.slice(start: -3, end: nil, step: 2)]", lambda x: x[-3::2], [6], ints=False)
index_vector = i64(4, values=[2.0, 0.0, -1.0, 2.0])
case("x[i]", lambda x, i: x[i], [f64(4, 3), index_vector])
case("x[i]", lambda x, i: x[i], [f32(4, 3), i64(4, values=[2.0, 0.0, -1.0, 2.0])], "float32")
case("x[i]", lambda x, i: x[i], [f64(4), i64(2, 2, values=[3.0, 0.0, 1.0, 3.0])], "2-d index")
case("x[i]", lambda x, i: x[i], [f64(4, 3), i32(2, values=[1.0, -4.0])], "int32 index")
case("x[i]", lambda x, i: x[i], [f64(4, 3), i64(0)], "empty index")
case("x[i]", lambda x, i: x[i], [i64(4, 3), i64(2, values=[1.0, 3.0])], "int64")
case("x[..., i]", lambda x, i: x[:, i], [f64(2, 4), i64(3, values=[3.0, -4.0, 3.0])])
case("x[mask]", lambda x, m: x[m], [f64(2, 3), boolean(2, 3)])
case("x[mask]", lambda x, m: x[m], [f32(2, 3), boolean(2, 3)], "float32")
case("x[mask]", lambda x, m: x[m], [f64(3, 2), boolean(3)], "rows")
case("x[mask]", lambda x, m: x[m], [f64(2, 3), boolean(2, 3, values=[0.0] * 6)], "none")
case("x[mask]", lambda x, m: x[m], [i64(2, 3), boolean(2, 3)], "int64")
case("x.indexSelect(dim: 1, i)", lambda x, i: x.index_select(1, i), [f64(2, 4), i64(3, values=[3.0, 0.0, 3.0])])
case("x.indexSelect(dim: 1, i)", lambda x, i: x.index_select(1, i), [f32(2, 4), i32(2, values=[1.0, 2.0])],
     "float32, int32")
case("x.indexSelect(dim: 0, i)", lambda x, i: x.index_select(0, i), [f64(3, 2), i64(4, values=[2.0, 2.0, 0.0, 1.0])])
case("x.indexSelect(dim: 0, i)", lambda x, i: x.index_select(0, i), [f64(3, 2), i64(0)], "empty")
case("x.indexSelect(dim: 0, i)", lambda x, i: x.index_select(0, i), [f64(), i64(1, values=[0.0])], "0-d")

# Composite and losses ---------------------------------------------------------

for key, fn in [("x.softmax(dim: 1)", lambda x: x.softmax(1)), ("x.softmax(dim: 0)", lambda x: x.softmax(0)),
                ("x.logSoftmax(dim: -1)", lambda x: x.log_softmax(-1)), ("x.logSoftmax(dim: 0)", lambda x: x.log_softmax(0))]:
    case(key, fn, [f64(2, 3)])
    case(key, fn, [f32(2, 3)], "float32")
    case(key, fn, [f64(2, 3, 2)], "3-d")
    case(key, fn, [f64(0, 3)], "empty")
    case(key, fn, [mat([[1000.0, 1001.0, 999.0], [-inf, 0.0, -inf]])], "extremes")
    if "0" in key:
        case(key, fn, [f64()], "0-d")

for key, fn in [("mseLoss(a, b)", lambda a, b: F.mse_loss(a, b)),
                ("mseLoss(a, b, reduction: .sum)", lambda a, b: F.mse_loss(a, b, reduction="sum")),
                ("mseLoss(a, b, reduction: .none)", lambda a, b: F.mse_loss(a, b, reduction="none"))]:
    case(key, fn, [f64(2, 3), f64(2, 3)])
    case(key, fn, [f32(2, 3), f32(2, 3)], "float32")
    case(key, fn, [f64(), f64()], "0-d")
    case(key, fn, [f64(0, 2), f64(0, 2)], "empty")
    case(key, fn, [f64(2, 3), f64(2, 3, grad=False)], "constant target")
case("MSELoss()(a, b)", lambda a, b: torch.nn.MSELoss()(a, b), [f64(2, 3), f64(2, 3)])


# MARK: Evaluation

def upstream(shape, dtype):
    """The fixed upstream gradient: a nonzero, non-constant pattern."""
    n = math.prod(shape)
    return torch.tensor([((k * 5) % 9 - 4) / 4.0 + 0.125 for k in range(n)], dtype=F64).reshape(shape).to(dtype)


def as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def same(a, b):
    """Equal up to summation order, which PyTorch picks by layout."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    rtol = 1e-5 if a.dtype == F32 else 1e-12
    return torch.allclose(a.detach().to(F64), b.detach().to(F64), rtol=rtol, atol=rtol, equal_nan=True)


def evaluate(c):
    fn, inputs = c["fn"], c["inputs"]
    per_layout = []
    for layout in LAYOUTS:
        leaves = [inp.leaf() for inp in inputs]
        outs = as_list(fn(*[with_layout(t, layout) for t in leaves]))
        # The class name, as PyTorch prints it (`grad_fn=<NotImplemented>`), not name().
        names = [type(o.grad_fn).__name__ if o.grad_fn is not None else None for o in outs]
        grads, error = None, None
        differentiable = [o for o in outs if o.requires_grad]
        if differentiable:
            try:
                torch.autograd.backward(differentiable, [upstream(o.shape, o.dtype) for o in differentiable])
                grads = [leaf.grad.detach().clone() if leaf.grad is not None else None for leaf in leaves]
            except RuntimeError as e:
                error = str(e).split("\n")[0]
        per_layout.append((outs, names, grads, error))
    outs, _, grads, error = per_layout[0]
    for other_outs, _, other_grads, _ in per_layout[1:]:
        assert all(same(a, b) for a, b in zip(outs, other_outs)), c["name"]
        if grads is not None:
            assert all((a is None and b is None) or same(a, b) for a, b in zip(grads, other_grads)), c["name"]
    c["outputs"] = [o.detach() for o in outs]
    c["output_requires_grad"] = [o.requires_grad for o in outs]
    c["grad_fns"] = [[per_layout[k][1][i] for k in range(len(LAYOUTS))] for i in range(len(outs))]
    c["upstream"] = [upstream(o.shape, o.dtype) if o.requires_grad else None for o in outs]
    c["grads"] = grads
    c["backward_error"] = error
    c["gradcheck"] = grads is not None and passes_gradcheck(c)


def passes_gradcheck(c):
    """Whether PyTorch's gradcheck passes at these inputs, with the Swift checker's tolerances."""
    fn, inputs = c["fn"], c["inputs"]
    leaves = [inp.leaf() for inp in inputs]
    free = [i for i, inp in enumerate(inputs) if inp.grad]
    points = [leaves[i].detach().to(F64).requires_grad_(True) for i in free]

    def f(*xs):
        args = list(leaves)
        for i, x in zip(free, xs):
            args[i] = x
        return tuple(o for o in as_list(fn(*args)) if o.is_floating_point())

    try:
        return torch.autograd.gradcheck(f, points, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True)
    except Exception:
        return False


# MARK: Emission

def token(v, dtype):
    if dtype.is_floating_point:
        return repr(float(v))
    if dtype == B:
        return "1" if v else "0"
    return str(int(v))


def tensor_literal(t, requires_grad=None):
    flat = t.detach().reshape(-1).tolist()
    values = " ".join(token(v, t.dtype) for v in flat)
    extra = ", requiresGrad: true" if requires_grad else ""
    return 'GoldenTensor(%s, %s, "%s"%s)' % (list(t.shape), DTYPES[t.dtype], values, extra)


def swift_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def optional(x):
    return "nil" if x is None else x


def emit(c):
    inputs = ", ".join(tensor_literal(inp.leaf(), inp.grad) for inp in c["inputs"])
    outputs = ", ".join(tensor_literal(o, rg) for o, rg in zip(c["outputs"], c["output_requires_grad"]))
    fns = []
    for names in c["grad_fns"]:
        if len(set(names)) == 1:
            names = names[:1]
        fns.append("[" + ", ".join(optional(swift_string(n) if n else None) for n in names) + "]")
    lines = [
        "        OpGolden(",
        "            name: %s, row: %s," % (swift_string(c["name"]), swift_string(c["key"])),
        "            inputs: [%s]," % inputs,
        "            outputs: [%s]," % outputs,
        "            gradFns: [%s]," % ", ".join(fns),
    ]
    if c["grads"] is not None:
        ups = ", ".join(optional(tensor_literal(u) if u is not None else None) for u in c["upstream"])
        grads = ", ".join(optional(tensor_literal(g) if g is not None else None) for g in c["grads"])
        lines.append("            upstream: [%s]," % ups)
        lines.append("            grads: [%s]," % grads)
    if c["backward_error"]:
        lines.append("            backwardError: %s," % swift_string(c["backward_error"]))
    lines.append("            gradCheck: %s" % ("true" if c["gradcheck"] else "false"))
    lines.append("        ),")
    return "\n".join(lines)


def main():
    for c in cases:
        evaluate(c)
    chunk = 60
    parts = [cases[i:i + chunk] for i in range(0, len(cases), chunk)]
    out = sys.stdout
    out.write("// Generated by Tests/Goldens/op_goldens.py from PyTorch %s. Do not edit.\n" % torch.__version__.split("+")[0])
    out.write("// %d cases for %d rows of OpTable.swift.\n\n" % (len(cases), len({c["key"] for c in cases})))
    out.write("import CotangentTestSupport\n\n")
    out.write("extension OpGolden {\n")
    out.write("    /// Every generated case, in generation order.\n")
    out.write("    static let all: [OpGolden] = %s\n" % " + ".join("part%d" % i for i in range(len(parts))))
    for i, part in enumerate(parts):
        out.write("\n    // Split into parts so the type checker sees small literals.\n" if i == 0 else "\n")
        out.write("    private static let part%d: [OpGolden] = [\n" % i)
        out.write("\n".join(emit(c) for c in part))
        out.write("\n    ]\n")
    out.write("}\n")
    skipped = [c["name"] for c in cases if c["grads"] is not None and not c["gradcheck"]]
    print("%d cases, %d rows; gradcheck off (PyTorch's own fails) for %d: %s" % (
        len(cases), len({c["key"] for c in cases}), len(skipped), ", ".join(skipped)), file=sys.stderr)


main()
