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
unary("x.exp2()", lambda x: x.exp2(), ints="int", special=[-inf, inf, nan, 0.0, 200.0])
unary("x.log2()", lambda x: x.log2(), kind="positive", ints="posint", special=[0.0, -1.0, inf, nan, 8.0])
unary("x.log10()", lambda x: x.log10(), kind="positive", ints="posint", special=[0.0, -1.0, inf, nan, 1000.0])
unary("x.asin()", lambda x: x.asin(), kind="unit", ints="int", special=[1.0, -1.0, 2.0, nan])
unary("x.acos()", lambda x: x.acos(), kind="unit", special=[1.0, -1.0, 2.0, nan])
unary("x.atan()", lambda x: x.atan(), ints="int", special=[inf, -inf, nan, 0.0])
unary("x.sinc()", lambda x: x.sinc(), ints="int", special=[0.0, -0.0, 1.0, inf, nan, 1e-20])
unary("x.sinh()", lambda x: x.sinh(), ints="int", special=[inf, -inf, nan, 0.0])
unary("x.cosh()", lambda x: x.cosh(), special=[inf, -inf, nan, 0.0])
unary("x.asinh()", lambda x: x.asinh(), special=[inf, -inf, nan, 0.0])
unary("x.acosh()", lambda x: (x).acosh(), kind="positive", special=[1.0, 0.5, inf, nan, 3.0])
unary("x.atanh()", lambda x: x.atanh(), kind="unit", special=[1.0, -1.0, 2.0, nan, 0.0])
unary("x.erfc()", lambda x: x.erfc(), ints="int", special=[inf, -inf, nan, 0.0, 6.0])
unary("x.erfinv()", lambda x: x.erfinv(), kind="unit", special=[1.0, -1.0, 2.0, nan, 0.0, 0.999999, -0.99])
unary("x.lgamma()", lambda x: x.lgamma(), kind="positive", ints="posint", special=[0.0, -1.0, -2.5, inf, -inf, nan, 1e-8])
unary("x.digamma()", lambda x: x.digamma(), kind="positive", special=[0.0, -0.0, -1.0, -2.5, inf, nan, 1e-8, 30.5])
unary("x.frac()", lambda x: x.frac(), special=[-1.5, 2.0, -inf, inf, nan, -0.0])
unary("x.isInf()", lambda x: x.isinf(), ints="int", special=[nan, inf, -inf, 0.0])
unary("x.isFinite()", lambda x: x.isfinite(), ints="int", special=[nan, inf, -inf, 0.0])
unary("x.nanToNum()", lambda x: x.nan_to_num(), ints="int", special=[nan, inf, -inf, 0.5])
unary("x.nanToNum(nan: 1, posinf: 2, neginf: -3)", lambda x: x.nan_to_num(1.0, 2.0, -3.0), special=[nan, inf, -inf, 0.5])
case("x.nanToNum()", lambda x: x.nan_to_num(), [vec([nan, inf, -inf, 0.5], dtype=F32)], "float32 special")
unary("silu(x)", lambda x: F.silu(x), special=[inf, -inf, nan, 0.0, -100.0])
unary("mish(x)", lambda x: F.mish(x), special=[inf, -inf, nan, 0.0, 30.0])
unary("logSigmoid(x)", lambda x: F.logsigmoid(x), special=[inf, -inf, nan, 0.0, -100.0, 100.0])
unary("hardsigmoid(x)", lambda x: F.hardsigmoid(x), kind="default", special=[3.0, -3.0, 0.0, nan, 5.0])
unary("hardswish(x)", lambda x: F.hardswish(x), special=[3.0, -3.0, 0.0, nan, 5.0])
unary("leakyRelu(x)", lambda x: F.leaky_relu(x), special=[0.0, -0.0, nan, -inf, inf])
unary("leakyRelu(x, negativeSlope: 0.2)", lambda x: F.leaky_relu(x, 0.2))
unary("elu(x)", lambda x: F.elu(x), special=[0.0, nan, -inf, inf, -40.0])
unary("elu(x, alpha: 0.5)", lambda x: F.elu(x, 0.5))
unary("selu(x)", lambda x: F.selu(x), special=[0.0, nan, -inf, inf])
unary("celu(x)", lambda x: F.celu(x), special=[0.0, nan, -inf, inf])
unary("celu(x, alpha: 2)", lambda x: F.celu(x, 2.0))
unary("softplus(x)", lambda x: F.softplus(x), special=[0.0, nan, -inf, inf, 25.0, -30.0])
unary("softplus(x, beta: 2, threshold: 1)", lambda x: F.softplus(x, 2.0, 1.0), special=[0.5, 0.4, 0.6])
unary("hardtanh(x)", lambda x: F.hardtanh(x), ints="int", special=[1.0, -1.0, nan, inf, -inf])
unary("hardtanh(x, minVal: -1.5, maxVal: 2.5)", lambda x: F.hardtanh(x, -1.5, 2.5), ints="int")
unary("relu6(x)", lambda x: F.relu6(x * 3), ints="int", special=[0.0, 2.0, nan, inf])
unary("softsign(x)", lambda x: F.softsign(x), ints="int", special=[0.0, nan, -inf, inf])
unary("softmin(x, dim: 1)", lambda x: F.softmin(x, 1), scalar=False)
unary("softmin(x, dim: 0)", lambda x: F.softmin(x, 0))
case("glu(x)", lambda x: F.glu(x, -1), [f64(3, 4)])
case("glu(x)", lambda x: F.glu(x, -1), [f32(3, 4)], "float32")
case("glu(x)", lambda x: F.glu(x, -1), [f64(0, 4)], "empty")
case("glu(x, dim: 0)", lambda x: F.glu(x, 0), [f64(4, 3)])
case("glu(x, dim: 0)", lambda x: F.glu(x, 0), [f64(4, 2, 3)], "3-d")
case("prelu(x, weight: w)", lambda x, w: F.prelu(x, w), [f64(2, 3, 2), f64(3, kind="unit")])
case("prelu(x, weight: w)", lambda x, w: F.prelu(x, w), [f32(2, 3), f32(1, kind="unit")], "one weight")
case("prelu(x, weight: w)", lambda x, w: F.prelu(x, w), [f64(5), f64(1, kind="unit")], "1-d")
case("prelu(x, weight: w)", lambda x, w: F.prelu(x, w), [f64(), f64(kind="unit")], "0-d")
case("prelu(x, weight: w)", lambda x, w: F.prelu(x, w), [f64(0, 3), f64(3, kind="unit")], "empty")

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
binary("a.xlogy(b)", lambda a, b: torch.xlogy(a, b), kb="positive", ints=("int", "posint"))
binary("a.hypot(b)", lambda a, b: torch.hypot(a, b))
binary("a.fmod(b)", lambda a, b: torch.fmod(a, b), ints=("int", "posint"))
binary("a.copysign(b)", lambda a, b: torch.copysign(a, b), ints=("int", "int"))
binary("a.logaddexp(b)", lambda a, b: torch.logaddexp(a, b))
binary("a.lerp(b, weight: 0.25)", lambda a, b: torch.lerp(a, b, 0.25))
binary("a.lerp(b, weight: 0.75)", lambda a, b: torch.lerp(a, b, 0.75))
case("a.xlogy(b)", lambda a, b: torch.xlogy(a, b), [vec([0.0, 0.0, 0.0, 2.0, 1.0]), vec([0.0, -1.0, nan, 0.0, inf])], "special")
case("a.hypot(b)", lambda a, b: torch.hypot(a, b), [vec([0.0, 3.0, inf, nan, 1e200]), vec([0.0, 4.0, nan, 1.0, 1e200])], "special")
case("a.fmod(b)", lambda a, b: torch.fmod(a, b), [vec([7.5, -7.5, 7.5, -7.5, 1.0]), vec([2.0, 2.0, -2.0, -2.0, 0.0])], "signs")
case("a.fmod(b)", lambda a, b: torch.fmod(a, b), [i64(4, values=[7.0, -7.0, 7.0, -7.0]), i64(4, values=[2.0, 2.0, -2.0, -2.0])], "int signs")
case("a.copysign(b)", lambda a, b: torch.copysign(a, b), [vec([1.0, 0.0, -0.0, 2.0, nan]), vec([-0.0, -1.0, 1.0, nan, -1.0])], "special")
case("a.logaddexp(b)", lambda a, b: torch.logaddexp(a, b), [vec([inf, -inf, 1000.0, -inf, nan]), vec([inf, -inf, 1000.0, 1.0, 0.0])], "special")
case("a.lerp(b, weight: 0.75)", lambda a, b: torch.lerp(a, b, 0.75), [f32(2, 3), f32(2, 3)], "float32 exact")
case("a.lerp(b, weight: w)", lambda a, b, w: torch.lerp(a, b, w), [f64(2, 3), f64(2, 3), f64(2, 3, kind="unit")])
case("a.lerp(b, weight: w)", lambda a, b, w: torch.lerp(a, b, w), [f32(2, 3), f32(2, 3), f32(3, kind="unit")], "float32 broadcast")
case("a.lerp(b, weight: w)", lambda a, b, w: torch.lerp(a, b, w), [f64(2, 3), f64(2, 3), vec([0.5, -0.5, 1.0])], "halves")
for key, fn in [("Tensor.addcmul(a, b, c)", lambda a, b, c: torch.addcmul(a, b, c)),
                ("Tensor.addcmul(a, b, c, value: 0.5)", lambda a, b, c: torch.addcmul(a, b, c, value=0.5)),
                ("Tensor.addcdiv(a, b, c, value: -2)", lambda a, b, c: torch.addcdiv(a, b, c, value=-2.0))]:
    kind_c = "positive" if "addcdiv" in key else "default"
    case(key, fn, [f64(2, 3), f64(2, 3), f64(2, 3, kind=kind_c)])
    case(key, fn, [f32(2, 3), f32(2, 3), f32(2, 3, kind=kind_c)], "float32")
    case(key, fn, [f64(3), f64(2, 1), f64(2, 3, kind=kind_c)], "broadcast")
    case(key, fn, [f64(0, 3), f64(3), f64(3, kind=kind_c)], "empty")
case("Tensor.addcmul(a, b, c)", lambda a, b, c: torch.addcmul(a, b, c), [i64(2, 3), i64(2, 3), i64(2, 3)], "int64")
case("x.clamped(min: a, max: b)", lambda x, a, b: x.clamp(min=a, max=b), [f64(2, 3), f64(2, 3, kind="unit"), f64(3, kind="positive")])
case("x.clamped(min: a, max: b)", lambda x, a, b: x.clamp(min=a, max=b), [f32(2, 3), f32(2, 3, kind="unit"), f32(2, 3, kind="unit")], "float32 crossed")
case("x.clamped(min: a, max: b)", lambda x, a, b: x.clamp(min=a, max=b), [vec([nan, 1.0, 5.0, -5.0]), vec([0.0, nan, 0.0, 0.0]), vec([1.0, 2.0, 2.0, -1.0])], "special")
case("x.clamped(min: a)", lambda x, a: x.clamp(min=a), [f64(2, 3), f64(2, 3, kind="unit")])
case("x.clamped(min: a)", lambda x, a: x.clamp(min=a), [i64(2, 3), i64(3)], "int64")
case("x.clamped(max: b)", lambda x, b: x.clamp(max=b), [f64(2, 3), f64(2, 1, kind="unit")])
case("x.clamped(max: b)", lambda x, b: x.clamp(max=b), [f64(0, 3), f64(3, kind="unit")], "empty")

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

# Running products, extremes and log-sum-exps; NaN-ignoring reductions; aminmax; counts.
zeros_cum = [("one zero", [mat([[1.5, 0.0, -2.0], [0.5, 2.0, 3.0]])]),
             ("two zeros", [mat([[0.0, 2.0, 0.0], [0.5, 0.0, 3.0]])]),
             ("zeros", [mat([[0.0, 0.0, 1.5], [2.0, 0.0, -1.0], [0.0, 3.0, 0.5]])])]
for key, fn in [("x.cumprod(dim: 0)", lambda x: x.cumprod(0)), ("x.cumprod(dim: -1)", lambda x: x.cumprod(-1))]:
    reduction(key, fn, ints=True, extra=[("bool", [boolean(3, 4)]), ("3-d", [f64(2, 3, 2)])] + zeros_cum)
cum_ties = [("ties", [mat([[1.5, -2.0, 1.5], [-2.0, -2.0, 1.5]])]),
            ("nan", [mat([[1.0, nan, 3.0, nan], [nan, 0.0, -1.0, 2.0]])]),
            ("3-d", [f64(2, 3, 2)])]
for key, fn in [("x.cummax(dim: 0)", lambda x: srt(x.cummax(0))), ("x.cummax(dim: -1)", lambda x: srt(x.cummax(-1))),
                ("x.cummin(dim: 0)", lambda x: srt(x.cummin(0))), ("x.cummin(dim: 1)", lambda x: srt(x.cummin(1)))]:
    reduction(key, fn, ints=True, scalar="0" in key, extra=cum_ties)
for key, fn in [("x.logcumsumexp(dim: 0)", lambda x: x.logcumsumexp(0)),
                ("x.logcumsumexp(dim: -1)", lambda x: x.logcumsumexp(-1))]:
    reduction(key, fn, extra=[("infinities", [mat([[-inf, -inf, 1.0], [1.0, inf, 1000.0]])]),
                              ("large", [mat([[1000.0, 1000.5, -1000.0], [0.5, -0.5, 2.0]])]),
                              ("3-d", [f64(2, 3, 2)])])
amm = lambda r: [r.min, r.max]
for key, fn in [("x.aminmax()", lambda x: amm(torch.aminmax(x))),
                ("x.aminmax(dim: 1)", lambda x: amm(torch.aminmax(x, dim=1))),
                ("x.aminmax(dim: 0, keepDim: true)", lambda x: amm(torch.aminmax(x, dim=0, keepdim=True))),
                ("x.aminmax(keepDim: true)", lambda x: amm(torch.aminmax(x, keepdim=True)))]:
    reduction(key, fn, ints=True, empty=False, scalar="1" not in key,
              extra=[("ties", [mat([[1.5, -2.0, 1.5], [-2.0, -2.0, 1.5]])]),
                     ("nan", [mat([[1.0, nan, 3.0], [2.0, 0.0, -1.0]])])])
with_nan = [("nan", [mat([[1.0, nan, 3.0], [nan, nan, -1.0]])]), ("3-d", [f64(2, 3, 2)])]
reduction("x.nansum()", lambda x: x.nansum(), ints=True, extra=with_nan + [("bool", [boolean(3, 4)])])
reduction("x.nansum(dim: 1)", lambda x: x.nansum(1), scalar=False, ints=True, extra=with_nan)
reduction("x.nansum(dim: [0], keepDim: true)", lambda x: x.nansum(0, keepdim=True), extra=with_nan)
reduction("x.nansum(dim: [0, 2])", lambda x: x.nansum((0, 2)), dims3=True, scalar=False)
reduction("x.nanmean()", lambda x: x.nanmean(), extra=with_nan)
reduction("x.nanmean(dim: 0)", lambda x: x.nanmean(0), extra=with_nan)
reduction("x.nanmean(dim: [1], keepDim: true)", lambda x: x.nanmean(1, keepdim=True), scalar=False, extra=with_nan)
for key, fn in [("x.countNonzero()", lambda x: torch.count_nonzero(x)),
                ("x.countNonzero(dim: 0)", lambda x: torch.count_nonzero(x, 0)),
                ("x.countNonzero(dim: [0, 1])", lambda x: torch.count_nonzero(x, (0, 1)))]:
    case(key, fn, [mat([[1.0, 0.0, 2.0], [0.0, nan, -1.0]])])
    case(key, fn, [i64(3, 4, kind="smallint")], "int64")
    case(key, fn, [boolean(3, 4)], "bool")
    case(key, fn, [f64(0, 3)], "empty")
    case(key, fn, [f32(2, 3, kind="coarse")], "float32")
case("x.countNonzero()", lambda x: torch.count_nonzero(x), [f64(values=[0.0])], "0-d")

# One-hot encoding.
case("oneHot(x)", lambda x: F.one_hot(x), [i64(4, values=[0.0, 2.0, 1.0, 2.0])])
case("oneHot(x)", lambda x: F.one_hot(x), [i64(2, 2, values=[3.0, 0.0, 1.0, 1.0])], "2-d")
case("oneHot(x)", lambda x: F.one_hot(x), [i64(values=[3.0])], "0-d")
case("oneHot(x, numClasses: 5)", lambda x: F.one_hot(x, 5), [i64(3, values=[0.0, 4.0, 1.0])])
case("oneHot(x, numClasses: 5)", lambda x: F.one_hot(x, 5), [i64(0)], "empty")

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

# einsum, tensordot, kron, the fused products and cdist.
def es(key, eq, shapes_by_variant):
    for variant, shapes in shapes_by_variant:
        case(key, lambda *xs, eq=eq: torch.einsum(eq, *xs),
             [Inp(s) if isinstance(s, list) else s for s in shapes], variant)

for eq, variants in [
        ("ij,jk->ik", [(None, [[2, 3], [3, 4]]), ("float32", [f32(2, 3), f32(3, 4)]), ("empty inner", [[2, 0], [0, 4]]),
                       ("size-1 broadcast", [[2, 1], [3, 4]])]),
        ("ij,jk", [(None, [[2, 3], [3, 4]])]),
        ("bij,bjk->bik", [(None, [[2, 2, 3], [2, 3, 4]]), ("float32", [f32(2, 2, 3), f32(2, 3, 4)]),
                          ("batch broadcast", [[1, 2, 3], [2, 3, 4]]), ("int64", [i64(2, 2, 3), i64(2, 3, 4)])]),
        ("i,i->i", [(None, [[3], [3]]), ("size-1 broadcast", [[1], [3]])]),
        ("...i,...i->...", [(None, [[2, 3, 4], [4]])]),
        ("bhqd,bhkd->bhqk", [(None, [[2, 2, 3, 4], [2, 2, 5, 4]])]),
        ("ij", [(None, [[2, 3]])]),
        ("ii", [(None, [[3, 3]])]),
        ("ii->i", [(None, [[3, 3]])]),
        ("iij->j", [(None, [[2, 2, 3]])]),
        ("ij->", [(None, [[2, 3]]), ("empty", [[0, 3]])]),
        ("ij->ji", [(None, [[2, 3]])]),
        ("ij->j", [(None, [[2, 3]])]),
        ("i,j->ij", [(None, [[2], [3]])]),
        ("i,i->", [(None, [[3], [3]])]),
        ("ij,ij->ij", [(None, [[2, 3], [2, 3]])]),
        ("ij,j->i", [(None, [[2, 3], [3]])]),
        ("bA,ba", [(None, [[2, 3], [2, 4]])]),
        ("i j , j k -> i k", [(None, [[2, 3], [3, 4]])]),
        ("...ij,...jk->...ik", [(None, [[2, 1, 2, 3], [3, 3, 2]]), ("no batch", [[2, 3], [3, 2]])]),
        ("...ij,...jk", [(None, [[2, 2, 3], [2, 3, 4]])]),
        ("i...->...", [(None, [[2, 3, 4]])]),
        ("...ii->...i", [(None, [[2, 3, 3]])]),
        ("ij,jk,kl->il", [(None, [[2, 3], [3, 4], [4, 2]])]),
        ("bn,anm,bm->ba", [(None, [[2, 3], [4, 3, 5], [2, 5]])]),
        ("ijk,ikl,lm->ijm", [(None, [[2, 3, 2], [2, 2, 4], [4, 3]])])]:
    n = eq.split("->")[0].count(",") + 1
    names = ["a", "b", "c"][:n] if n > 1 else ["x"]
    es('Tensor.einsum("%s", [%s])' % (eq, ", ".join(names)), eq, variants)

case("Tensor.tensordot(a, b, dims: 1)", lambda a, b: torch.tensordot(a, b, dims=1), [f64(2, 3), f64(3, 4)])
case("Tensor.tensordot(a, b, dims: 1)", lambda a, b: torch.tensordot(a, b, dims=1), [f32(2, 3), f32(3, 4)], "float32")
case("Tensor.tensordot(a, b, dims: 2)", lambda a, b: torch.tensordot(a, b, dims=2), [f64(2, 3, 4), f64(3, 4, 2)])
case("Tensor.tensordot(a, b, dims: 0)", lambda a, b: torch.tensordot(a, b, dims=0), [f64(2, 3), f64(2)])
case("Tensor.tensordot(a, b, dims: ([1, 0], [0, 1]))", lambda a, b: torch.tensordot(a, b, dims=([1, 0], [0, 1])),
     [f64(2, 3, 4), f64(3, 2, 5)])
# torch.kron views its inputs and fails on transposed ones; contiguous copies are the same computation.
for key, fn in [("a.kron(b)", lambda a, b: torch.kron(a.contiguous(), b.contiguous()))]:
    case(key, fn, [f64(2, 3), f64(2, 2)])
    case(key, fn, [f32(2, 3), f32(2, 2)], "float32")
    case(key, fn, [f64(2), f64(3)], "1-d")
    case(key, fn, [f64(2, 2), f64(3)], "mixed ranks")
    case(key, fn, [i64(2, 2), i64(2, 1)], "int64")
baddbmm = lambda c, a, b: torch.baddbmm(c, a, b)
case("Tensor.baddbmm(c, a, b)", baddbmm, [f64(2, 2, 4), f64(2, 2, 3), f64(2, 3, 4)])
case("Tensor.baddbmm(c, a, b)", baddbmm, [f32(2, 2, 4), f32(2, 2, 3), f32(2, 3, 4)], "float32")
case("Tensor.baddbmm(c, a, b)", baddbmm, [f64(4), f64(2, 2, 3), f64(2, 3, 4)], "broadcast")
case("Tensor.baddbmm(c, a, b)", baddbmm, [f64(2, 2, 4), f64(2, 2, 0), f64(2, 0, 4)], "empty inner")
case("Tensor.baddbmm(c, a, b, beta: 0.5, alpha: -2)", lambda c, a, b: torch.baddbmm(c, a, b, beta=0.5, alpha=-2),
     [f64(2, 2, 4), f64(2, 2, 3), f64(2, 3, 4)])
case("Tensor.baddbmm(c, a, b, beta: 0)", lambda c, a, b: torch.baddbmm(c, a, b, beta=0),
     [Inp([2, 1, 4], values=[nan, 1.0, 2.0, 3.0, inf, 0.5, -1.0, 2.0]), f64(2, 2, 3), f64(2, 3, 4)])
addmv = lambda c, a, b: torch.addmv(c, a, b)
case("Tensor.addmv(c, a, b)", addmv, [f64(2), f64(2, 3), f64(3)])
case("Tensor.addmv(c, a, b)", addmv, [f32(2), f32(2, 3), f32(3)], "float32")
case("Tensor.addmv(c, a, b)", addmv, [f64(), f64(2, 3), f64(3)], "0-d")
case("Tensor.addmv(c, a, b, beta: 2, alpha: 0.5)", lambda c, a, b: torch.addmv(c, a, b, beta=2, alpha=0.5),
     [f64(2), f64(2, 3), f64(3)])
addr = lambda c, a, b: torch.addr(c, a, b)
case("Tensor.addr(c, a, b)", addr, [f64(2, 3), f64(2), f64(3)])
case("Tensor.addr(c, a, b)", addr, [f32(2, 3), f32(2), f32(3)], "float32")
case("Tensor.addr(c, a, b)", addr, [f64(3), f64(2), f64(3)], "broadcast")
case("Tensor.addr(c, a, b, beta: -1, alpha: 3)", lambda c, a, b: torch.addr(c, a, b, beta=-1, alpha=3),
     [f64(2, 3), f64(2), f64(3)])
for key, p in [("Tensor.cdist(a, b)", 2.0), ("Tensor.cdist(a, b, p: 1)", 1.0), ("Tensor.cdist(a, b, p: .infinity)", inf),
               ("Tensor.cdist(a, b, p: 3)", 3.0), ("Tensor.cdist(a, b, p: 0.5)", 0.5), ("Tensor.cdist(a, b, p: 0)", 0.0)]:
    fn = lambda a, b, p=p: torch.cdist(a, b, p=p)
    case(key, fn, [f64(3, 4), f64(2, 4)])
    case(key, fn, [f32(3, 4), f32(2, 4)], "float32")
    case(key, fn, [f64(2, 3, 4), f64(1, 2, 4)], "batch broadcast")
    case(key, fn, [mat([[1.0, 2.0], [0.5, -1.0]]), mat([[1.0, 2.0], [0.0, 3.0], [0.5, -1.5]])], "equal rows")
    case(key, fn, [f64(0, 4), f64(2, 4)], "empty")

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
movement("x[...]", lambda x: x[...], [2, 3], ints=False)
movement("x[..., 0]", lambda x: x[..., 0], [2, 3], [("3-d", [f64(2, 3, 4)])])
movement("x[0, ..., 1]", lambda x: x[0, ..., 1], [2, 3, 2], [("4-d", [f64(2, 3, 2, 2)])])
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
case("x[..., i]", lambda x, i: x[..., i], [f64(2, 4), i64(3, values=[3.0, -4.0, 3.0])])
case("x[..., i]", lambda x, i: x[..., i], [f64(2, 3, 4), i64(2, 2, values=[3.0, -4.0, 3.0, 0.0])], "3-d")
# Several index tensors, broadcast together (D2L 4.4: y_hat[range(len(y_hat)), y]).
case("x[i, j]", lambda x, i, j: x[i, j], [f64(4, 3), i64(4, values=[0.0, 1.0, 2.0, 3.0]), i64(4, values=[2.0, 0.0, 1.0, 2.0])])
case("x[i, j]", lambda x, i, j: x[i, j], [f32(4, 3), i64(2, 1, values=[3.0, 0.0]), i64(3, values=[0.0, -1.0, 1.0])], "broadcast")
case("x[i, j]", lambda x, i, j: x[i, j], [f64(2, 3, 4), i64(2, values=[1.0, 1.0]), i64(2, values=[0.0, 2.0])], "trailing dims")
case("x[i, j]", lambda x, i, j: x[i, j], [f64(3, 3), i64(0), i64(0)], "empty")
case("x[i, j]", lambda x, i, j: x[i, j], [i64(3, 3), i64(2, values=[0.0, 2.0]), i64(values=[1.0])], "int64, 0-d index")
case("x[TensorIndex.all, i, j]", lambda x, i, j: x[:, i, j], [f64(2, 3, 4), i64(2, values=[1.0, 2.0]), i64(2, values=[0.0, 3.0])])
case("x[i, TensorIndex.all, j]", lambda x, i, j: x[i, :, j], [f64(2, 3, 4), i64(2, values=[1.0, 0.0]), i64(2, values=[0.0, 3.0])])
case("x[i, TensorIndex.all, j]", lambda x, i, j: x[i, :, j], [f64(2, 3, 4, 2), i64(2, 1, values=[1.0, 0.0]), i64(3, values=[0.0, 3.0, 1.0])],
     "broadcast, 4-d")
case("x[i, 1..., j]", lambda x, i, j: x[i, 1:, j], [f64(2, 3, 4), i64(3, values=[1.0, 0.0, 1.0]), i64(1, values=[2.0])])
case("x[0, i, j]", lambda x, i, j: x[0, i, j], [f64(2, 3, 4), i64(2, values=[1.0, 2.0]), i64(2, values=[0.0, 3.0])])
case("x[i, 0, j]", lambda x, i, j: x[i, 0, j], [f64(2, 3, 4), i64(2, values=[1.0, 0.0]), i64(2, values=[0.0, 3.0])])
case("x[TensorIndex.newAxis, i]", lambda x, i: x[None, i], [f64(3, 2), i64(2, values=[2.0, 0.0])])
case("x[mask, i]", lambda x, m, i: x[m, i], [f64(3, 4), boolean(3, values=[1.0, 0.0, 1.0]), i64(2, values=[3.0, 0.0])])
case("x[i, mask]", lambda x, i, m: x[i, m], [f64(3, 4), i64(1, values=[2.0]), boolean(4, values=[1.0, 0.0, 1.0, 1.0])])
case("x[..., mask]", lambda x, m: x[..., m], [f64(2, 3, 2), boolean(3, 2, values=[1.0, 0.0, 0.0, 1.0, 1.0, 1.0])])
true0 = boolean(values=[1.0])
false0 = boolean(values=[0.0])
case("x[mask]", lambda x, m: x[m], [f64(2, 3), true0], "0-d true")
case("x[mask]", lambda x, m: x[m], [f64(2, 3), false0], "0-d false")
case("x[mask]", lambda x, m: x[m], [f64(), true0], "0-d of 0-d")
case("x[0, mask]", lambda x, m: x[0, m], [f64(2, 3), true0])

# gather, scatter and the index ops.
gi = i64(3, 2, values=[0.0, 3.0, 1.0, 1.0, 2.0, 0.0])
case("x.gather(dim: 1, index: i)", lambda x, i: x.gather(1, i), [f64(3, 4), gi])
case("x.gather(dim: 1, index: i)", lambda x, i: x.gather(1, i), [f32(3, 4), i32(2, 5, values=[0.0, 1.0, 2.0, 3.0, 0.0] * 2)], "float32, wider")
case("x.gather(dim: 1, index: i)", lambda x, i: x.gather(1, i), [i64(3, 4), gi], "int64")
case("x.gather(dim: 1, index: i)", lambda x, i: x.gather(1, i), [f64(3, 4), i64(0, 2)], "empty")
case("x.gather(dim: 0, index: i)", lambda x, i: x.gather(0, i), [f64(3, 2, 2), i64(4, 2, 1, values=[2.0, 0.0, 1.0, 1.0, 0.0, 2.0, 2.0, 2.0])])
case("x.gather(dim: 0, index: i)", lambda x, i: x.gather(0, i), [f64(), i64(2, values=[0.0, 0.0])], "0-d")
si = i64(2, 3, values=[0.0, 2.0, 0.0, 1.0, 1.0, 3.0])
case("x.scattered(dim: 1, index: i, src: s)", lambda x, i, s: x.scatter(1, i, s), [f64(2, 4), i64(2, 2, values=[0.0, 2.0, 3.0, 1.0]), f64(2, 3)])
case("x.scattered(dim: 1, index: i, src: s)", lambda x, i, s: x.scatter(1, i, s), [f32(3, 4), i64(2, 1, values=[3.0, 0.0]), f32(2, 2)], "float32, smaller index")
case("x.scattered(dim: 0, index: i, value: 2.5)", lambda x, i: x.scatter(0, i, 2.5), [f64(3, 2), i64(2, 2, values=[2.0, 0.0, 1.0, 2.0])])
case("x.scatterAdd(dim: 1, index: i, src: s)", lambda x, i, s: x.scatter_add(1, i, s), [f64(2, 4), si, f64(2, 3)])
case("x.scatterAdd(dim: 1, index: i, src: s)", lambda x, i, s: x.scatter_add(1, i, s), [f32(2, 4), si, f32(2, 3)], "float32")
case("x.scatterAdd(dim: 1, index: i, src: s)", lambda x, i, s: x.scatter_add(1, i, s), [i64(2, 4), si, i64(2, 3)], "int64")
case("x.scatterAdd(dim: 0, index: i, src: s)", lambda x, i, s: x.scatter_add(0, i, s), [f64(3, 2), i64(4, 2, values=[0.0, 1.0, 2.0, 1.0, 0.0, 0.0, 2.0, 1.0]), f64(4, 2)])
for reduce in ["sum", "prod", "mean", "amax", "amin"]:
    for include in [True, False]:
        key = "x.scatterReduce(dim: 1, index: i, src: s, reduce: .%s%s)" % (reduce, "" if include else ", includeSelf: false")
        fn = (lambda r, inc: lambda x, i, s: x.scatter_reduce(1, i, s, r, include_self=inc))(reduce, include)
        case(key, fn, [f64(2, 4), si, f64(2, 3)])
        case(key, fn, [f32(2, 4), si, f32(2, 3)], "float32")
        case(key, fn, [mat([[1.0, 0.0, 2.0, 0.5], [2.0, 2.0, 0.0, -1.0]]), si, mat([[2.0, 1.0, 0.0], [2.0, 0.0, 0.0]])], "ties and zeros")
case("x.scatterReduce(dim: 1, index: i, src: s, reduce: .mean)", lambda x, i, s: x.scatter_reduce(1, i, s, "mean"),
     [i64(2, 4), si, i64(2, 3)], "int64")
ai = i64(3, values=[2.0, 0.0, 2.0])
case("x.indexAdd(dim: 0, index: i, source: s)", lambda x, i, s: x.index_add(0, i, s), [f64(3, 2), ai, f64(3, 2)])
case("x.indexAdd(dim: 0, index: i, source: s)", lambda x, i, s: x.index_add(0, i, s), [i64(3, 2), ai, i64(3, 2)], "int64")
case("x.indexAdd(dim: 1, index: i, source: s, alpha: -2)", lambda x, i, s: x.index_add(1, i, s, alpha=-2), [f64(2, 3), ai, f64(2, 3)])
case("x.indexAdd(dim: 1, index: i, source: s, alpha: -2)", lambda x, i, s: x.index_add(1, i, s, alpha=-2), [f32(2, 3), ai, f32(2, 3)], "float32")
case("x.indexCopy(dim: 1, index: i, source: s)", lambda x, i, s: x.index_copy(1, i, s), [f64(2, 4), i64(2, values=[3.0, 1.0]), f64(2, 2)])
case("x.indexFill(dim: 1, index: i, value: -1)", lambda x, i: x.index_fill(1, i, -1.0), [f64(2, 4), i64(2, values=[3.0, 1.0])])
case("x.indexFill(dim: 1, index: i, value: -1)", lambda x, i: x.index_fill(1, i, -1.0), [i64(2, 4), i64(1, values=[0.0])], "int64")
case("x.maskedSelect(mask)", lambda x, m: x.masked_select(m), [f64(2, 3), boolean(2, 3)])
case("x.maskedSelect(mask)", lambda x, m: x.masked_select(m), [f64(2, 3), boolean(3)], "broadcast mask")
case("x.maskedSelect(mask)", lambda x, m: x.masked_select(m), [f32(3), boolean(2, 3)], "broadcast self")
case("x.maskedScatter(mask, source: s)", lambda x, m, s: x.masked_scatter(m, s), [f64(2, 3), boolean(2, 3), f64(7)])
case("x.maskedScatter(mask, source: s)", lambda x, m, s: x.masked_scatter(m, s), [f64(2, 3), boolean(3), f64(2, 4)], "broadcast mask")
case("x.take(i)", lambda x, i: x.take(i), [f64(3, 4), i64(2, 2, values=[0.0, 11.0, 5.0, -1.0])])
case("x.take(i)", lambda x, i: x.take(i), [f32(3, 4), i64(3, values=[2.0, 2.0, 7.0])], "float32")
case("x.takeAlongDim(i, dim: 1)", lambda x, i: torch.take_along_dim(x, i, 1), [f64(3, 4), i64(3, 1, values=[0.0, 3.0, 2.0])])
case("x.takeAlongDim(i, dim: 1)", lambda x, i: torch.take_along_dim(x, i, 1), [f64(3, 4), i64(1, 2, values=[0.0, 3.0])], "broadcast")
# PyTorch 2.15 views a non-contiguous input here and fails; the flat input is the same computation.
case("x.takeAlongDim(i)", lambda x, i: torch.take_along_dim(x.reshape(-1), i), [f64(3, 4), i64(2, values=[11.0, 0.0])])

# Shape ops that copy or rearrange.
movement("x.padded([1, 2])", lambda x: F.pad(x, (1, 2)), [2, 3], [("3-d", [f64(2, 3, 4)]), ("1-d", [f64(4)])])
movement("x.padded([1, 2, 0, 1], value: 3)", lambda x: F.pad(x, (1, 2, 0, 1), value=3.0), [2, 3])
movement("x.padded([-1, 2])", lambda x: F.pad(x, (-1, 2)), [2, 3])
movement("x.padded([1, 0, -1, 1, 0, 1])", lambda x: F.pad(x, (1, 0, -1, 1, 0, 1)), [2, 3, 2], ints=False)
for mode in ["reflect", "replicate", "circular"]:
    fn1 = (lambda m: lambda x: F.pad(x, (1, 2), mode=m))(mode)
    case("x.padded([1, 2], mode: .%s)" % mode, fn1, [f64(2, 3, 4)])
    case("x.padded([1, 2], mode: .%s)" % mode, fn1, [f32(3, 4)], "2-d float32")
    fn2 = (lambda m: lambda x: F.pad(x, (1, 2, 2, 0), mode=m))(mode)
    case("x.padded([1, 2, 2, 0], mode: .%s)" % mode, fn2, [f64(1, 3, 3, 4)])
    case("x.padded([1, 2, 2, 0], mode: .%s)" % mode, fn2, [f64(2, 3, 3)], "3-d")
movement("x.repeated(2, 1, 2)", lambda x: x.repeat(2, 1, 2), [3, 2], [("0-d", [f64()])])
movement("x.repeated(2, 3)", lambda x: x.repeat(2, 3), [3, 2], [("empty", [f64(0, 2)])])
movement("x.tiled([2])", lambda x: x.tile((2,)), [3, 2])
movement("x.tiled([2, 1, 1])", lambda x: x.tile((2, 1, 1)), [3, 2])
movement("x.repeatInterleave(2, dim: 1)", lambda x: x.repeat_interleave(2, dim=1), [3, 2])
movement("x.repeatInterleave(3)", lambda x: x.repeat_interleave(3), [2, 2])
case("x.repeatInterleave(r, dim: 0)", lambda x, r: x.repeat_interleave(r, dim=0), [f64(3, 2), i64(3, values=[1.0, 0.0, 2.0])])
movement("x.flipped(0, 2)", lambda x: x.flip(0, 2), [2, 3, 2], [("empty", [f64(0, 3, 2)])])
movement("x.flipped(-1)", lambda x: x.flip(-1), [2, 3], [("0-d", [f64()])] if False else [])
movement("x.rolled([1], dims: [1])", lambda x: x.roll(1, 1), [2, 3])
movement("x.rolled([1, -4], dims: [0, 2])", lambda x: x.roll((1, -4), (0, 2)), [2, 3, 2], ints=False)
movement("x.rolled([5])", lambda x: x.roll(5), [2, 3])
movement("x.rot90()", lambda x: x.rot90(), [2, 3])
movement("x.rot90(2)", lambda x: x.rot90(2), [2, 3])
movement("x.rot90(-1, dims: [1, 2])", lambda x: x.rot90(-1, (1, 2)), [2, 3, 2], ints=False)
movement("x.tril()", lambda x: x.tril(), [3, 4], [("3-d", [f64(2, 3, 3)])])
movement("x.tril(diagonal: -1)", lambda x: x.tril(-1), [3, 4])
movement("x.triu(diagonal: 1)", lambda x: x.triu(1), [3, 4], [("3-d", [f64(2, 4, 3)])])
movement("x.triu()", lambda x: x.triu(), [3, 4])
movement("x.diagonal()", lambda x: x.diagonal(), [3, 4])
movement("x.diagonal(offset: 1, dim1: -1, dim2: 0)", lambda x: x.diagonal(1, -1, 0), [3, 2, 4], ints=False)
movement("x.diagonal(offset: -1, dim1: 1, dim2: 2)", lambda x: x.diagonal(-1, 1, 2), [2, 3, 3], ints=False)
movement("x.diagEmbed()", lambda x: torch.diag_embed(x), [2, 3])
movement("x.diagEmbed(offset: 1, dim1: 0, dim2: 2)", lambda x: torch.diag_embed(x, 1, 0, 2), [2, 3], ints=False)
movement("x.diag()", lambda x: torch.diag(x), [3, 4], [("1-d", [f64(3)])])
movement("x.diag(-1)", lambda x: torch.diag(x, -1), [3, 4], [("1-d", [f64(3)])])
movement("x.trace()", lambda x: x.trace(), [3, 4])
movement("x.unbind(dim: 1)", lambda x: x.unbind(1), [2, 3])
movement("x.unbind()", lambda x: x.unbind(), [2, 3], ints=False)
movement("x.movedim(0, 2)", lambda x: x.movedim(0, 2), [2, 3, 2], ints=False)
movement("x.movedim([0, 1], [2, 0])", lambda x: x.movedim((0, 1), (2, 0)), [2, 3, 2], ints=False)
movement("x.swapaxes(0, 1)", lambda x: x.swapaxes(0, 1), [2, 3])
movement("x.unflattened(dim: 1, sizes: [2, 2])", lambda x: x.unflatten(1, (2, 2)), [3, 4])
movement("x.unflattened(dim: -1, sizes: [-1, 1])", lambda x: x.unflatten(-1, (-1, 1)), [3, 4])
movement("x.broadcast(to: [2, 3])", lambda x: x.broadcast_to((2, 3)), [3], ints=False)
case("Tensor.meshgrid([a, b], indexing: .ij)", lambda a, b: torch.meshgrid(a, b, indexing="ij"), [f64(3), f64(2)])
case("Tensor.meshgrid([a, b], indexing: .xy)", lambda a, b: torch.meshgrid(a, b, indexing="xy"), [f64(3), f64(2)])
case("Tensor.meshgrid([a, b], indexing: .xy)", lambda a, b: torch.meshgrid(a, b, indexing="xy"), [f64(3), f64()], "0-d")

# Sorting and selection (values distinct unless a case says "ties").
srt = lambda r: [r.values, r.indices]
case("x.sorted()", lambda x: srt(x.sort()), [f64(2, 5)])
case("x.sorted()", lambda x: srt(x.sort()), [f32(2, 5)], "float32")
case("x.sorted()", lambda x: srt(x.sort()), [vec([1.0, 0.0, 1.0, nan, 0.0, 2.0, -inf])], "ties and nan")
case("x.sorted()", lambda x: srt(x.sort()), [i64(7, values=[3.0, -1.0, 3.0, 0.0, 2.0, -1.0, 5.0])], "int64")
case("x.sorted()", lambda x: srt(x.sort()), [f64()], "0-d")
case("x.sorted()", lambda x: srt(x.sort()), [f64(0, 3)], "empty")
case("x.sorted(dim: 0, descending: true)", lambda x: srt(x.sort(0, descending=True)), [f64(4, 3)])
case("x.sorted(dim: 0, descending: true, stable: true)", lambda x: srt(x.sort(dim=0, descending=True, stable=True)),
     [mat([[1.0, nan], [0.0, 2.0], [1.0, nan], [2.0, 2.0]])], "ties and nan")
case("x.argsort(dim: 1)", lambda x: x.argsort(1), [f64(3, 4)])
case("x.argsort(dim: 1, descending: true)", lambda x: x.argsort(1, descending=True), [f32(3, 4)])
case("x.topk(2)", lambda x: srt(x.topk(2)), [f64(3, 5)])
case("x.topk(2)", lambda x: srt(x.topk(2)), [f32(3, 5)], "float32")
case("x.topk(2)", lambda x: srt(x.topk(2)), [vec([1.0, nan, 3.0, -1.0])], "nan")
case("x.topk(3, dim: 0, largest: false)", lambda x: srt(x.topk(3, 0, largest=False)), [f64(4, 3)])
case("x.topk(3, dim: 0, largest: false)", lambda x: srt(x.topk(3, 0, largest=False)), [i64(4, 3)], "int64")
case("x.kthvalue(2)", lambda x: srt(x.kthvalue(2)), [f64(3, 4)])
case("x.kthvalue(2)", lambda x: srt(x.kthvalue(2)), [f32(5)], "1-d")
case("x.kthvalue(2, dim: 0, keepDim: true)", lambda x: srt(x.kthvalue(2, 0, keepdim=True)), [f64(3, 4)])
case("x.median()", lambda x: x.median(), [f64(3, 4)])
case("x.median()", lambda x: x.median(), [vec([1.0, 2.0, 2.0, 1.0])], "ties")
case("x.median()", lambda x: x.median(), [vec([1.0, nan, 3.0])], "nan")
case("x.median()", lambda x: x.median(), [f32(5)], "float32")
case("x.median(dim: 1)", lambda x: srt(x.median(1)), [f64(3, 4)])
case("x.median(dim: 1)", lambda x: srt(x.median(1)), [mat([[1.0, nan, 3.0], [2.0, 1.0, 0.0]])], "nan")
case("x.median(dim: 0, keepDim: true)", lambda x: srt(x.median(0, keepdim=True)), [f64(3, 4)])
case("x.mode()", lambda x: srt(x.mode()), [mat([[3.0, 1.0, 2.0, 1.0, 3.0], [0.5, 0.5, 2.0, 2.0, 2.0]])])
case("x.mode()", lambda x: srt(x.mode()), [i64(2, 4, values=[1.0, 2.0, 2.0, 1.0, 4.0, 4.0, 4.0, 0.0])], "int64")
case("x.mode(dim: 0, keepDim: true)", lambda x: srt(x.mode(0, keepdim=True)), [mat([[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]])])
uq = lambda x: list(torch.unique(x, return_inverse=True, return_counts=True))
case("x.unique(returnInverse: true, returnCounts: true)", uq, [i64(2, 4, values=[3.0, 1.0, 2.0, 1.0, 3.0, 3.0, -1.0, 2.0])])
case("x.unique(returnInverse: true, returnCounts: true)", uq, [vec([0.5, -1.0, 0.5, 2.0])], "float64")
case("x.unique(returnInverse: true, returnCounts: true)", uq, [f64(0)], "empty")
uqd = lambda d: (lambda x: list(torch.unique(x, dim=d, return_inverse=True, return_counts=True)))
case("x.unique(returnInverse: true, returnCounts: true, dim: 0)", uqd(0), [i64(4, 3, values=[1.0, 2.0, 3.0, 0.0, 5.0, 1.0, 1.0, 2.0, 3.0, -1.0, 2.0, 2.0])])
case("x.unique(returnInverse: true, returnCounts: true, dim: 1)", uqd(1), [mat([[2.0, 1.0, 2.0, 1.0], [0.5, 3.0, 0.5, -3.0]])], "float64")
case("x.unique(returnInverse: true, returnCounts: true, dim: -1)", uqd(-1), [i64(2, 2, 3, values=[1.0, 0.0, 1.0, 2.0, 2.0, 2.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0])], "3-d")
case("Tensor.searchsorted(a, b)", lambda a, b: torch.searchsorted(a, b), [vec([1.0, 3.0, 5.0, 7.0, 9.0]), mat([[3.0, 6.0, 9.0], [3.0, 6.0, 10.0]])])
case("Tensor.searchsorted(a, b)", lambda a, b: torch.searchsorted(a, b), [mat([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]), mat([[3.0], [5.0]])], "rows")
case("Tensor.searchsorted(a, b, right: true)", lambda a, b: torch.searchsorted(a, b, right=True), [vec([1.0, 3.0, 5.0, 7.0, 9.0]), vec([3.0, 6.0, 9.0, 0.0])])
case("x.bucketize(b)", lambda x, b: torch.bucketize(x, b), [mat([[3.0, 6.0, 9.0], [3.0, 6.0, 10.0]]), vec([1.0, 3.0, 5.0, 7.0, 9.0])])
case("x.bucketize(b, right: true)", lambda x, b: torch.bucketize(x, b, right=True), [i64(3, values=[3.0, 6.0, 9.0]), i64(5, values=[1.0, 3.0, 5.0, 7.0, 9.0])])

# Resampling.
for key, fn, shapes in [
    ("interpolate(x, size: [8])", lambda x: F.interpolate(x, size=8), [(1, 2, 5), (2, 1, 3)]),
    ("interpolate(x, size: [8], mode: .nearestExact)", lambda x: F.interpolate(x, size=8, mode="nearest-exact"), [(1, 2, 5)]),
    ("interpolate(x, size: [8], mode: .linear)", lambda x: F.interpolate(x, size=8, mode="linear"), [(1, 2, 5), (2, 1, 9)]),
    ("interpolate(x, size: [8], mode: .linear, alignCorners: true)", lambda x: F.interpolate(x, size=8, mode="linear", align_corners=True), [(1, 2, 5)]),
    ("interpolate(x, size: [3], mode: .area)", lambda x: F.interpolate(x, size=3, mode="area"), [(1, 2, 7)]),
    ("interpolate(x, size: [7, 3])", lambda x: F.interpolate(x, size=(7, 3)), [(1, 2, 5, 4)]),
    ("interpolate(x, scaleFactor: 1.5, mode: .nearestExact)", lambda x: F.interpolate(x, scale_factor=1.5, mode="nearest-exact"), [(1, 2, 5, 4)]),
    ("interpolate(x, scaleFactor: 2, mode: .bilinear)", lambda x: F.interpolate(x, scale_factor=2.0, mode="bilinear"), [(1, 2, 3, 4)]),
    ("interpolate(x, size: [7, 3], mode: .bilinear)", lambda x: F.interpolate(x, size=(7, 3), mode="bilinear"), [(2, 1, 5, 4)]),
    ("interpolate(x, size: [7, 3], mode: .bilinear, alignCorners: true)", lambda x: F.interpolate(x, size=(7, 3), mode="bilinear", align_corners=True), [(1, 2, 5, 4)]),
    ("interpolate(x, size: [7, 3], mode: .bicubic)", lambda x: F.interpolate(x, size=(7, 3), mode="bicubic"), [(1, 2, 5, 4)]),
    ("interpolate(x, size: [9, 9], mode: .bicubic, alignCorners: true)", lambda x: F.interpolate(x, size=(9, 9), mode="bicubic", align_corners=True), [(1, 1, 4, 5)]),
    ("interpolate(x, size: [3, 2], mode: .area)", lambda x: F.interpolate(x, size=(3, 2), mode="area"), [(1, 2, 5, 4)]),
]:
    for k, shape in enumerate(shapes):
        case(key, fn, [f64(*shape)], None if k == 0 else "shape %d" % k)
    case(key, fn, [f32(*shapes[0])], "float32")


def put(i_first=False):
    def f(x, i, v):
        y = x * 1
        y[i] = v
        return y
    return f


def put2(x, i, j, v):
    y = x * 1
    y[i, j] = v
    return y


def put_mask(x, m, v):
    y = x * 1
    y[m] = v
    return y


def put_separated(x, i, j, v):
    y = x * 1
    y[i, :, j] = v
    return y


case("x[i] = v", put(), [f64(4, 3), i64(2, values=[3.0, 1.0]), f64(2, 3)])
case("x[i] = v", put(), [f64(4, 3), i64(2, values=[3.0, 1.0]), f64(3)], "broadcast value")
case("x[i] = v", put(), [f32(4), i64(2, values=[-1.0, 0.0]), f32()], "0-d value")
case("x[i, j] = v", put2, [f64(3, 4), i64(3, values=[0.0, 1.0, 2.0]), i64(3, values=[3.0, 0.0, 1.0]), f64(3)])
case("x[i, j] = v", put2, [f64(3, 4), i64(2, 1, values=[0.0, 2.0]), i64(2, values=[3.0, 0.0]), f64()], "broadcast")
case("x[mask] = v", put_mask, [f64(2, 3), boolean(2, 3), f64()])
case("x[mask] = v", put_mask, [f64(3, 2), boolean(3, values=[1.0, 0.0, 1.0]), f64(2)], "rows")
case("x[i, TensorIndex.all, j] = v", put_separated, [f64(2, 3, 4), i64(2, values=[1.0, 0.0]), i64(2, values=[0.0, 3.0]), f64(2, 3)])
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

# MARK: Embeddings (d2l helper): EmbeddingBackward0, EmbeddingBagBackward0
case("embedding(i, weight: x)", lambda i, x: F.embedding(i, x), [i64(2, 3, values=[1.0, 0.0, 3.0, 3.0, 2.0, 0.0]), f64(4, 3)])
case("embedding(i, weight: x)", lambda i, x: F.embedding(i, x), [i64(4, values=[2.0, 2.0, 0.0, 1.0]), f32(3, 2)], "float32")
case("embedding(i, weight: x)", lambda i, x: F.embedding(i, x), [i64(0), f64(3, 2)], "empty")
case("embedding(i, weight: x, paddingIdx: 3)", lambda i, x: F.embedding(i, x, padding_idx=3), [i64(5, values=[3.0, 1.0, 3.0, 0.0, 2.0]), f64(4, 3)])
case("embeddingBag(i, weight: x, offsets: o)", lambda i, x, o: F.embedding_bag(i, x, o), [i64(6, values=[1.0, 0.0, 3.0, 3.0, 2.0, 0.0]), f64(4, 3), i64(3, values=[0.0, 2.0, 2.0])])
case("embeddingBag(i, weight: x, offsets: o, mode: .sum)", lambda i, x, o: F.embedding_bag(i, x, o, mode="sum"), [i64(6, values=[1.0, 0.0, 3.0, 3.0, 2.0, 0.0]), f64(4, 3), i64(3, values=[0.0, 2.0, 2.0])])
case("embeddingBag(i, weight: x, offsets: o, mode: .max)", lambda i, x, o: F.embedding_bag(i, x, o, mode="max"), [i64(6, values=[1.0, 0.0, 3.0, 3.0, 2.0, 0.0]), f64(4, 3), i64(3, values=[0.0, 2.0, 2.0])])

# MARK: attention (scaledDotProductAttention: the fused CPU node on contiguous
# inputs, PyTorch's math path on the transposed and sliced layouts; _safe_softmax)
sdpa = lambda a, b, c: F.scaled_dot_product_attention(a, b, c)
case("scaledDotProductAttention(query: a, key: b, value: c)", sdpa, [f64(2, 3, 4), f64(2, 5, 4), f64(2, 5, 4)])
case("scaledDotProductAttention(query: a, key: b, value: c)", sdpa, [f32(2, 3, 4), f32(2, 5, 4), f32(2, 5, 4)], "float32")
case("scaledDotProductAttention(query: a, key: b, value: c)", sdpa, [f64(1, 2, 3, 4), f64(1, 2, 3, 4), f64(1, 2, 3, 4)], "4-d")
case("scaledDotProductAttention(query: a, key: b, value: c)", sdpa, [f64(3, 4), f64(5, 4), f64(5, 2)], "2-d")
safe = lambda x: torch._safe_softmax(x, -1)
case("x.safeSoftmax(dim: -1)", safe, [f64(2, 3)])
case("x.safeSoftmax(dim: -1)", safe, [f32(2, 3)], "float32")
case("x.safeSoftmax(dim: -1)", safe, [mat([[1000.0, 1001.0, 999.0], [-inf, -inf, -inf]])], "a row of -inf")
case("x.safeSoftmax(dim: -1)", safe, [f64(0, 3)], "empty")


# MARK: Pooling and normalisation (issue 11) ---------------------------------------

for key, fn, shapes in [
    ("maxPool2d(x, kernelSize: 2)", lambda x: F.max_pool2d(x, 2), [(1, 2, 4, 5), (2, 5, 4)]),
    ("maxPool2d(x, kernelSize: 3, stride: 2, padding: 1)", lambda x: F.max_pool2d(x, 3, 2, 1), [(2, 2, 7, 6)]),
    ("maxPool2d(x, kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2], ceilMode: true)",
     lambda x: F.max_pool2d(x, (3, 2), (2, 1), (1, 0), (1, 2), ceil_mode=True), [(1, 2, 8, 7)]),
    ("maxPool2d(x, kernelSize: 2, ceilMode: true)", lambda x: F.max_pool2d(x, 2, ceil_mode=True), [(1, 1, 5, 5), (2, 3, 3)]),
    ("maxPool2d(x, kernelSize: 3, stride: 2, padding: 1, ceilMode: true)", lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), [(1, 2, 6, 5)]),
    ("maxPool1d(x, kernelSize: 3, stride: 2, padding: 1)", lambda x: F.max_pool1d(x, 3, 2, 1), [(2, 3, 8), (3, 7)]),
    ("maxPool1d(x, kernelSize: 2, dilation: 2, ceilMode: true)", lambda x: F.max_pool1d(x, 2, dilation=2, ceil_mode=True), [(2, 2, 8)]),
    ("maxPool3d(x, kernelSize: 2)", lambda x: F.max_pool3d(x, 2), [(1, 2, 4, 4, 5), (2, 3, 4, 5)]),
    ("maxPool3d(x, kernelSize: 3, stride: 2, padding: 1, ceilMode: true)",
     lambda x: F.max_pool3d(x, 3, 2, 1, ceil_mode=True), [(1, 2, 5, 6, 5)]),
    ("avgPool3d(x, kernelSize: 2)", lambda x: F.avg_pool3d(x, 2), [(1, 2, 4, 4, 5), (2, 3, 4, 5)]),
    ("avgPool3d(x, kernelSize: [3, 2, 3], stride: 2, padding: 1, ceilMode: true, countIncludePad: false)",
     lambda x: F.avg_pool3d(x, (3, 2, 3), 2, 1, ceil_mode=True, count_include_pad=False), [(1, 2, 5, 6, 5)]),
    ("avgPool3d(x, kernelSize: 2, stride: 1, divisorOverride: 3)", lambda x: F.avg_pool3d(x, 2, 1, divisor_override=3), [(1, 2, 3, 4, 3)]),
    ("avgPool2d(x, kernelSize: 2)", lambda x: F.avg_pool2d(x, 2), [(1, 2, 4, 5), (2, 5, 4)]),
    ("avgPool2d(x, kernelSize: 3, stride: 2, padding: 1)", lambda x: F.avg_pool2d(x, 3, 2, 1), [(2, 2, 7, 6)]),
    ("avgPool2d(x, kernelSize: 3, stride: 2, padding: 1, countIncludePad: false)",
     lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [(2, 2, 7, 6)]),
    ("avgPool2d(x, kernelSize: [3, 2], padding: [1, 1], ceilMode: true)",
     lambda x: F.avg_pool2d(x, (3, 2), padding=(1, 1), ceil_mode=True), [(1, 2, 7, 5)]),
    ("avgPool2d(x, kernelSize: [3, 2], padding: [1, 1], ceilMode: true, countIncludePad: false)",
     lambda x: F.avg_pool2d(x, (3, 2), padding=(1, 1), ceil_mode=True, count_include_pad=False), [(1, 2, 7, 5)]),
    ("avgPool2d(x, kernelSize: 2, stride: 1, divisorOverride: 3)", lambda x: F.avg_pool2d(x, 2, 1, divisor_override=3), [(1, 2, 4, 3)]),
    ("avgPool1d(x, kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false)",
     lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [(2, 3, 8), (3, 6)]),
    ("adaptiveAvgPool2d(x, outputSize: [3, 2])", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), [(1, 2, 7, 5), (2, 4, 4)]),
    ("adaptiveAvgPool2d(x, outputSize: 1)", lambda x: F.adaptive_avg_pool2d(x, 1), [(2, 3, 4, 5)]),
    ("adaptiveAvgPool2d(x, outputSize: [nil, 2])", lambda x: F.adaptive_avg_pool2d(x, (None, 2)), [(1, 2, 3, 5)]),
    ("adaptiveAvgPool1d(x, outputSize: 3)", lambda x: F.adaptive_avg_pool1d(x, 3), [(2, 2, 7), (3, 8)]),
    ("adaptiveMaxPool2d(x, outputSize: [3, 2])", lambda x: F.adaptive_max_pool2d(x, (3, 2)), [(1, 2, 7, 5), (2, 4, 4)]),
    ("adaptiveAvgPool3d(x, outputSize: [2, 3, 2])", lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)), [(1, 2, 5, 4, 5), (2, 4, 3, 4)]),
    ("adaptiveAvgPool3d(x, outputSize: [nil, 2, 3])", lambda x: F.adaptive_avg_pool3d(x, (None, 2, 3)), [(1, 2, 3, 5, 4)]),
    ("adaptiveAvgPool3d(x, outputSize: 1)", lambda x: F.adaptive_avg_pool3d(x, 1), [(2, 3, 2, 4, 3)]),
    ("adaptiveMaxPool3d(x, outputSize: [2, 3, 2])", lambda x: F.adaptive_max_pool3d(x, (2, 3, 2)), [(1, 2, 5, 4, 5), (2, 4, 3, 4)]),
    ("localResponseNorm(x, size: 3)", lambda x: F.local_response_norm(x, 3), [(2, 5, 3), (1, 4, 2, 3)]),
    ("localResponseNorm(x, size: 2, alpha: 0.5, beta: 1, k: 2)", lambda x: F.local_response_norm(x, 2, 0.5, 1.0, 2.0), [(2, 4, 3)]),
    ("batchNorm(x, runningMean: nil, runningVar: nil, training: true)",
     lambda x: F.batch_norm(x, None, None, training=True), [(3, 2, 4), (4, 3)]),
    ("groupNorm(x, numGroups: 2)", lambda x: F.group_norm(x, 2), [(2, 4, 3), (3, 6, 2, 2)]),
    ("instanceNorm(x)", lambda x: F.instance_norm(x), [(2, 3, 5), (1, 2, 3, 3)]),
]:
    for k, shape in enumerate(shapes):
        case(key, fn, [f64(*shape)], None if k == 0 else "shape %d" % k)
    case(key, fn, [f32(*shapes[0])], "float32")

case("avgPool2d(x, kernelSize: 3, stride: 2, padding: 1)", lambda x: F.avg_pool2d(x, 3, 2, 1), [i64(1, 2, 5, 4)], "int64")
case("avgPool2d(x, kernelSize: 3, stride: 2, padding: 1, countIncludePad: false)",
     lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False), [i64(2, 5, 4)], "int64")
ri = lambda r: list(r)
case("maxPool2dWithIndices(x, kernelSize: 2, stride: 1)", lambda x: ri(F.max_pool2d(x, 2, 1, return_indices=True)), [f64(1, 2, 4, 3)])
case("maxPool2dWithIndices(x, kernelSize: 2, stride: 1)", lambda x: ri(F.max_pool2d(x, 2, 1, return_indices=True)),
     [f64(1, 1, 3, 3, values=[1.0, 1.0, 0.0, 1.0, nan, 2.0, -inf, -inf, -inf])], "ties and nan")
case("maxPool2dWithIndices(x, kernelSize: 2, stride: 1)", lambda x: ri(F.max_pool2d(x, 2, 1, return_indices=True)),
     [i64(1, 2, 3, 3)], "int64")
case("maxPool3dWithIndices(x, kernelSize: 2, stride: 1)", lambda x: ri(F.max_pool3d(x, 2, 1, return_indices=True)), [f64(1, 2, 3, 4, 3)])
case("maxPool3dWithIndices(x, kernelSize: 2, stride: 1)", lambda x: ri(F.max_pool3d(x, 2, 1, return_indices=True)),
     [i64(2, 3, 3, 3)], "int64")
case("maxPool1dWithIndices(x, kernelSize: 3, stride: 2, padding: 1)", lambda x: ri(F.max_pool1d(x, 3, 2, 1, return_indices=True)), [f64(2, 2, 7)])
case("adaptiveMaxPool2dWithIndices(x, outputSize: [2, 3])", lambda x: ri(F.adaptive_max_pool2d(x, (2, 3), return_indices=True)), [f64(2, 5, 7)])
case("adaptiveMaxPool3dWithIndices(x, outputSize: [3, 2, 4])", lambda x: ri(F.adaptive_max_pool3d(x, (3, 2, 4), return_indices=True)),
     [f64(1, 2, 4, 5, 3)])
case("adaptiveMaxPool3dWithIndices(x, outputSize: [3, 2, 4])", lambda x: ri(F.adaptive_max_pool3d(x, (3, 2, 4), return_indices=True)),
     [f64(1, 2, 2, 2, values=[1.0, 1.0, 0.0, 1.0, nan, 2.0, -inf, nan])], "ties and nan")


def unpool_roundtrip(x):
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    return F.max_unpool2d(out, idx, 2, output_size=(5, 5))


case("maxUnpool2d(maxPool2dWithIndices(x, kernelSize: 2), outputSize: [5, 5])", unpool_roundtrip, [f64(1, 2, 5, 5)])
case("maxUnpool2d(maxPool2dWithIndices(x, kernelSize: 2), outputSize: [5, 5])", unpool_roundtrip, [f32(2, 5, 5)], "float32")
case("maxUnpool2d(x, indices: i, kernelSize: 2)", lambda x, i: F.max_unpool2d(x, i.contiguous(), 2),  # PyTorch's backward views the indices
     [f64(1, 2, 2, 2), i64(1, 2, 2, 2, values=[0.0, 3.0, 9.0, 15.0, 5.0, 2.0, 12.0, 10.0])])
case("maxUnpool2d(x, indices: i, kernelSize: [2, 3], stride: 1, padding: [0, 1])", lambda x, i: F.max_unpool2d(x, i.contiguous(), (2, 3), 1, (0, 1)),
     [f64(2, 2, 2), i64(2, 2, 2, values=[0.0, 1.0, 2.0, 5.0, 3.0, 4.0, 1.0, 0.0])])

bn_affine = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)
case("batchNorm(x, runningMean: nil, runningVar: nil, weight: w, bias: b, training: true)", bn_affine, [f64(4, 3, 2, 2), f64(3), f64(3)])
case("batchNorm(x, runningMean: nil, runningVar: nil, weight: w, bias: b, training: true)", bn_affine, [f32(4, 3, 5), f32(3), f32(3)], "float32")
case("batchNorm(x, runningMean: nil, runningVar: nil, weight: w, bias: b, training: true)", bn_affine,
     [f64(4, 3, 2), f64(3, grad=False), f64(3)], "constant weight")
bn_eval = lambda x, m, v, w, b: F.batch_norm(x, m, v, w, b, training=False)
case("batchNorm(x, runningMean: m, runningVar: v, weight: w, bias: b)", bn_eval,
     [f64(2, 3, 4), vec([0.5, -0.25, 1.0], grad=False), vec([1.5, 0.5, 2.0], grad=False), f64(3), f64(3)])
case("batchNorm(x, runningMean: m, runningVar: v, weight: w, bias: b)", bn_eval,
     [f32(2, 3, 2, 2), vec([0.5, -0.25, 1.0], F32, grad=False), vec([1.5, 0.5, 2.0], F32, grad=False), f32(3), f32(3)], "float32")
gn_affine = lambda x, w, b: F.group_norm(x, 2, w, b)
case("groupNorm(x, numGroups: 2, weight: w, bias: b)", gn_affine, [f64(2, 4, 3), f64(4), f64(4)])
case("groupNorm(x, numGroups: 2, weight: w, bias: b)", gn_affine, [f32(3, 4, 2, 2), f32(4), f32(4)], "float32")
case("groupNorm(x, numGroups: 2, weight: w, bias: b)", gn_affine, [f64(1, 6, 2), f64(6), f64(6)], "6 channels")
in_affine = lambda x, w, b: F.instance_norm(x, weight=w, bias=b)
case("instanceNorm(x, weight: w, bias: b)", in_affine, [f64(2, 3, 4), f64(3), f64(3)])


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


# MARK: Convolution ------------------------------------------------------------

def conv_case(key, fn, shapes, bias=False):
    """A convolution row: float64, float32, non-contiguous comes from the layouts, unbatched and empty batch."""
    ins = lambda mk, shp: [mk(*t) for t in shp]
    case(key, fn, ins(f64, shapes))
    case(key, fn, ins(f32, shapes), "float32")
    x, rest = shapes[0], shapes[1:]
    case(key, fn, ins(f64, [x[1:]] + rest), "unbatched")
    case(key, fn, ins(f64, [(0,) + tuple(x[1:])] + rest), "empty batch")


conv_case("conv1d(x, weight: w)", lambda x, w: F.conv1d(x, w), [(2, 3, 7), (4, 3, 3)])
conv_case("conv1d(x, weight: w, bias: b, stride: 2, padding: 1)", lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1),
          [(2, 2, 8), (3, 2, 3), (3,)])
conv_case("conv1d(x, weight: w, padding: .same, dilation: 2, groups: 2)",
          lambda x, w: F.conv1d(x, w, padding="same", dilation=2, groups=2), [(2, 4, 7), (4, 2, 4)])
conv_case("conv2d(x, weight: w, bias: b)", lambda x, w, b: F.conv2d(x, w, b), [(2, 3, 5, 4), (2, 3, 3, 2), (2,)])
conv_case("conv2d(x, weight: w, stride: [2, 1], padding: [1, 2], dilation: [1, 2])",
          lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 2), dilation=(1, 2)), [(2, 2, 5, 5), (3, 2, 3, 2)])
conv_case("conv2d(x, weight: w, bias: b, stride: 2, groups: 2)", lambda x, w, b: F.conv2d(x, w, b, stride=2, groups=2),
          [(2, 4, 5, 6), (4, 2, 3, 3), (4,)])
conv_case("conv2d(x, weight: w, padding: 1, groups: 3)", lambda x, w: F.conv2d(x, w, padding=1, groups=3),
          [(2, 3, 4, 4), (3, 1, 3, 3)])
conv_case("conv2d(x, weight: w, padding: .same)", lambda x, w: F.conv2d(x, w, padding="same"), [(1, 2, 5, 4), (2, 2, 2, 3)])
conv_case("conv2d(x, weight: w, padding: .valid)", lambda x, w: F.conv2d(x, w, padding="valid"), [(2, 1, 3, 3), (2, 1, 1, 1)])
conv_case("convTranspose1d(x, weight: w)", lambda x, w: F.conv_transpose1d(x, w), [(2, 3, 5), (3, 2, 3)])
conv_case("convTranspose1d(x, weight: w, bias: b, stride: 2, padding: 1, outputPadding: 1)",
          lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1), [(2, 2, 4), (2, 3, 3), (3,)])
conv_case("convTranspose2d(x, weight: w, bias: b)", lambda x, w, b: F.conv_transpose2d(x, w, b), [(2, 2, 3, 4), (2, 3, 2, 2), (3,)])
conv_case("convTranspose2d(x, weight: w, stride: [2, 1], padding: [1, 0], outputPadding: [1, 0], groups: 2, dilation: [1, 2])",
          lambda x, w: F.conv_transpose2d(x, w, stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=2, dilation=(1, 2)),
          [(2, 4, 3, 3), (4, 1, 3, 2)])



# MARK: Losses on embeddings and likelihoods, CTC (issue 11) -----------------------

def signs(n, dtype=F64):
    """A target of 1 and -1 (constant)."""
    return vec([-1.0 if k % 3 == 1 else 1.0 for k in range(n)], dtype, grad=False)


for key, fn, log_target in [
    ("klDiv(a, b)", lambda a, b: F.kl_div(a, b, reduction="mean"), False),
    ("klDiv(a, b, reduction: .batchMean)", lambda a, b: F.kl_div(a, b, reduction="batchmean"), False),
    ("klDiv(a, b, reduction: .none, logTarget: true)", lambda a, b: F.kl_div(a, b, reduction="none", log_target=True), True),
    ("KLDivLoss(reduction: .sum)(a, b)", lambda a, b: torch.nn.KLDivLoss(reduction="sum")(a, b), False),
]:
    kind = "default" if log_target else "positive"
    case(key, fn, [f64(3, 4), f64(3, 4, kind=kind)])
    case(key, fn, [f32(3, 4), f32(3, 4, kind=kind)], "float32")
case("klDiv(a, b)", lambda a, b: F.kl_div(a, b, reduction="mean"),
     [f64(2, 3), mat([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], grad=False)], "zero targets")

for key, fn in [
    ("cosineEmbeddingLoss(a, b, target: y)", lambda a, b, y: F.cosine_embedding_loss(a, b, y)),
    ("cosineEmbeddingLoss(a, b, target: y, margin: 0.2, reduction: .none)",
     lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.2, reduction="none")),
    ("CosineEmbeddingLoss(margin: -0.3, reduction: .sum)(a, b, y)",
     lambda a, b, y: torch.nn.CosineEmbeddingLoss(margin=-0.3, reduction="sum")(a, b, y)),
]:
    case(key, fn, [f64(3, 4), f64(3, 4), signs(3)])
    case(key, fn, [f32(3, 4), f32(3, 4), signs(3, F32)], "float32")
case("cosineEmbeddingLoss(a, b, target: y)", lambda a, b, y: F.cosine_embedding_loss(a, b, y),
     [f64(4), f64(4), Inp([], F64, values=[-1.0], grad=False)], "unbatched")

for key, fn in [
    ("marginRankingLoss(a, b, target: y)", lambda a, b, y: F.margin_ranking_loss(a, b, y)),
    ("marginRankingLoss(a, b, target: y, margin: 0.5, reduction: .none)",
     lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.5, reduction="none")),
    ("MarginRankingLoss(margin: 0.25, reduction: .sum)(a, b, y)",
     lambda a, b, y: torch.nn.MarginRankingLoss(margin=0.25, reduction="sum")(a, b, y)),
]:
    case(key, fn, [f64(6), f64(6), signs(6)])
    case(key, fn, [f32(6), f32(6), signs(6, F32)], "float32")

for key, fn in [
    ("tripletMarginLoss(anchor: a, positive: b, negative: c)", lambda a, b, c: F.triplet_margin_loss(a, b, c)),
    ("tripletMarginLoss(anchor: a, positive: b, negative: c, margin: 2, p: 1, swap: true, reduction: .none)",
     lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=2.0, p=1, swap=True, reduction="none")),
    ("TripletMarginLoss(margin: 3, reduction: .sum)(a, b, c)",
     lambda a, b, c: torch.nn.TripletMarginLoss(margin=3.0, reduction="sum")(a, b, c)),
]:
    case(key, fn, [f64(3, 4), f64(3, 4), f64(3, 4)])
    case(key, fn, [f32(3, 4), f32(3, 4), f32(3, 4)], "float32")

for key, fn, positive_input in [
    ("poissonNLLLoss(a, b)", lambda a, b: F.poisson_nll_loss(a, b), False),
    ("poissonNLLLoss(a, b, logInput: false, full: true, reduction: .none)",
     lambda a, b: F.poisson_nll_loss(a, b, log_input=False, full=True, reduction="none"), True),
    ("PoissonNLLLoss(full: true, reduction: .sum)(a, b)",
     lambda a, b: torch.nn.PoissonNLLLoss(full=True, reduction="sum")(a, b), False),
]:
    kind = "positive" if positive_input else "default"
    case(key, fn, [f64(3, 4, kind=kind), f64(3, 4, kind="posint")])
    case(key, fn, [f32(3, 4, kind=kind), f32(3, 4, kind="posint")], "float32")

for key, fn in [
    ("gaussianNLLLoss(a, b, variance: v)", lambda a, b, v: F.gaussian_nll_loss(a, b, v)),
    ("gaussianNLLLoss(a, b, variance: v, full: true, reduction: .none)",
     lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=True, reduction="none")),
    ("GaussianNLLLoss(reduction: .sum)(a, b, v)", lambda a, b, v: torch.nn.GaussianNLLLoss(reduction="sum")(a, b, v)),
]:
    case(key, fn, [f64(3, 4), f64(3, 4), f64(3, 4, kind="positive")])
    case(key, fn, [f32(3, 4), f32(3, 4), f32(3, 4, kind="positive")], "float32")

# CTC on log-probabilities (PyTorch's CPU rule is the gradient through log_softmax).
ctc_targets = lambda: i64(2, 3, values=[1.0, 2.0, 2.0, 3.0, 1.0, 0.0])
for key, fn, targets in [
    ("ctcLoss(x.logSoftmax(dim: 2), targets: i, inputLengths: [5, 4], targetLengths: [3, 2])",
     lambda x, i: F.ctc_loss(x.log_softmax(2), i, [5, 4], [3, 2]), ctc_targets),
    ("ctcLoss(x.logSoftmax(dim: 2), targets: i, inputLengths: [5, 3], targetLengths: [3, 1], blank: 3, reduction: .none)",
     lambda x, i: F.ctc_loss(x.log_softmax(2), i, [5, 3], [3, 1], blank=3, reduction="none"),
     lambda: i64(2, 3, values=[1.0, 2.0, 2.0, 0.0, 1.0, 1.0])),
]:
    case(key, fn, [f64(5, 2, 4), targets()])
    case(key, fn, [f32(5, 2, 4), targets()], "float32")
case("CTCLoss(reduction: .sum)(x.logSoftmax(dim: 2), i, inputLengths: l, targetLengths: m)",
     lambda x, i, l, m: torch.nn.CTCLoss(reduction="sum")(x.log_softmax(2), i, l, m),
     [f64(5, 2, 4), ctc_targets(), i64(2, values=[5.0, 4.0]), i64(2, values=[3.0, 2.0])])

case("adaptiveMaxPool1d(x, outputSize: 3)", lambda x: F.adaptive_max_pool1d(x, 3), [f64(2, 2, 7)])
case("adaptiveMaxPool1d(x, outputSize: 3)", lambda x: F.adaptive_max_pool1d(x, 3), [f32(3, 8)], "float32")
case("adaptiveMaxPool1dWithIndices(x, outputSize: 4)", lambda x: ri(F.adaptive_max_pool1d(x, 4, return_indices=True)), [f64(2, 9)])


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
