"""Generates Tests/CotangentTests/AutogradGoldens.swift from the reference PyTorch.

Run from the package root:

    ../shared/tools/torch-ref Tests/Goldens/autograd_goldens.py > Tests/CotangentTests/AutogradGoldens.swift

Every program below is the PyTorch twin of a Swift test in
Tests/CotangentTests/Autograd*Tests.swift: the same inputs, the same ops, in
float64 unless the test is about float32. The output records values and
gradients (as shortest round-trip decimals), `grad_fn` names, printed text
(with `dtype=torch.X` rewritten as `dtype=X`, the project's spelling) and
error messages (the part Cotangent reproduces word for word).
"""

import math
import warnings

import torch
import torch.nn.functional as F

torch.set_printoptions(profile="default")
# backward(create_graph=True) warns about the parameter/gradient cycle it makes; the test wants that case.
warnings.filterwarnings("ignore", message="Using backward\\(\\) with create_graph=True")

out = []


def emit(line=""):
    out.append(line)


def num(v):
    v = float(v.detach()) if isinstance(v, torch.Tensor) else float(v)
    if math.isnan(v):
        return ".nan"
    if math.isinf(v):
        return "-.infinity" if v < 0 else ".infinity"
    r = repr(v)
    return r


def values(t):
    return "[" + ", ".join(num(v) for v in t.detach().reshape(-1).tolist()) + "]"


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def shape(t):
    return "[" + ", ".join(str(d) for d in t.shape) + "]"


def node_name(fn):
    """PyTorch's class name for a node (`CopySlices`, not `torch::autograd::CopySlices`)."""
    return type(fn).__name__


def error_of(f):
    try:
        f()
    except RuntimeError as e:
        return str(e)
    raise AssertionError("expected an error")


def f64(values, requires_grad=True):
    return torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad)


# MARK: Gradient function names ------------------------------------------------

def name_cases():
    x = torch.tensor([[0.5, 1.25, 2.0], [0.75, 1.5, 3.0]], requires_grad=True)
    x2 = torch.tensor([[1.5, 0.25, 2.0], [2.5, 1.0, 0.5]], requires_grad=True)
    m = torch.tensor([[1.0, -1.0], [0.5, 2.0], [-0.5, 1.5]], requires_grad=True)
    v = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    b = torch.arange(12.0).reshape(2, 2, 3).requires_grad_()
    idx = torch.tensor([1, 0, 1])
    cases = {
        "add": lambda: x + x2,
        "addNumber": lambda: x + 2,
        "numberAdd": lambda: 2 + x,
        "sub": lambda: x - x2,
        "subNumber": lambda: x - 2,
        "numberSub": lambda: 2 - x,
        "mul": lambda: x * x2,
        "mulNumber": lambda: x * 2,
        "numberMul": lambda: 2 * x,
        "div": lambda: x / x2,
        "divNumber": lambda: x / 2,
        "numberDiv": lambda: 2 / x,
        "neg": lambda: -x,
        "powNumber": lambda: x.pow(2.5),
        "powTensor": lambda: x.pow(x2),
        "numberPow": lambda: torch.pow(2.0, x),
        "square": lambda: x.square(),
        "maximum": lambda: torch.maximum(x, x2),
        "minimum": lambda: torch.minimum(x, x2),
        "atan2": lambda: torch.atan2(x, x2),
        "remainder": lambda: torch.remainder(x, x2),
        "exp": lambda: x.exp(),
        "log": lambda: x.log(),
        "log1p": lambda: x.log1p(),
        "expm1": lambda: x.expm1(),
        "sqrt": lambda: x.sqrt(),
        "rsqrt": lambda: x.rsqrt(),
        "reciprocal": lambda: x.reciprocal(),
        "abs": lambda: x.abs(),
        "sign": lambda: x.sign(),
        "sin": lambda: x.sin(),
        "cos": lambda: x.cos(),
        "tan": lambda: x.tan(),
        "tanh": lambda: x.tanh(),
        "sigmoid": lambda: x.sigmoid(),
        "relu": lambda: x.relu(),
        "floor": lambda: x.floor(),
        "ceil": lambda: x.ceil(),
        "round": lambda: x.round(),
        "trunc": lambda: x.trunc(),
        "clamp": lambda: x.clamp(0.6, 2.5),
        "clampMin": lambda: x.clamp(min=0.6),
        "where": lambda: torch.where(x > 1, x, x2),
        "sum": lambda: x.sum(),
        "sumDim": lambda: x.sum(1),
        "mean": lambda: x.mean(),
        "meanDim": lambda: x.mean(0, keepdim=True),
        "prod": lambda: x.prod(),
        "prodDim": lambda: x.prod(1),
        "max": lambda: x.max(),
        "maxDim": lambda: x.max(1).values,
        "min": lambda: x.min(),
        "minDim": lambda: x.min(0).values,
        "amax": lambda: x.amax(1),
        "amin": lambda: x.amin(1),
        "norm": lambda: x.norm(),
        "normDim": lambda: torch.linalg.vector_norm(x, ord=1, dim=1),
        "var": lambda: x.var(),
        "std": lambda: x.std(1),
        "logsumexp": lambda: x.logsumexp(1),
        "cumsum": lambda: x.cumsum(1),
        "softmax": lambda: x.softmax(1),
        "logSoftmax": lambda: x.log_softmax(1),
        "dot": lambda: v.dot(v),
        "mm": lambda: x.mm(m),
        "mv": lambda: x.mv(v),
        "matmulMatrix": lambda: x.matmul(m),
        "bmm": lambda: b.bmm(b.transpose(1, 2)),
        "outer": lambda: torch.outer(v, v),
        "reshapeView": lambda: x.reshape(3, 2),
        "reshapeCopy": lambda: x.t().reshape(6),
        "flatten": lambda: x.flatten(),
        "t": lambda: x.t(),
        "transpose": lambda: x.transpose(0, 1),
        "permute": lambda: b.permute(2, 0, 1),
        "expand": lambda: v.expand(2, 3),
        "squeeze": lambda: x.reshape(1, 6).squeeze(),
        "squeezeDim": lambda: x.unsqueeze(0).squeeze(0),
        "unsqueeze": lambda: x.unsqueeze(1),
        "select": lambda: x[0],
        "slice": lambda: x[:, 1:],
        "narrow": lambda: x.narrow(1, 0, 2),
        "indexTensor": lambda: x[idx],
        "indexMask": lambda: x[x > 1],
        "indexSelect": lambda: x.index_select(1, idx),
        "cat": lambda: torch.cat([x, x2]),
        "stack": lambda: torch.stack([x, x2]),
        "split": lambda: x.split(2, dim=1)[0],
        "chunk": lambda: x.chunk(3, dim=1)[1],
        "clone": lambda: x.clone(),
        "contiguous": lambda: x.t().contiguous(),
        "toFloat64": lambda: x.to(torch.float64),
        "mseLoss": lambda: F.mse_loss(x, x2),
    }
    emit("    /// `gradFn.name` of each op's result, by the label the Swift table uses.")
    emit("    static let gradFnNames: [String: String] = [")
    for label, f in cases.items():
        emit(f"        {swift_string(label)}: {swift_string(node_name(f().grad_fn))},")
    emit("    ]")
    emit()


# MARK: Printed text -----------------------------------------------------------

def description_cases():
    def printed(t):
        return str(t).replace("dtype=torch.", "dtype=")

    x = torch.arange(4.0).requires_grad_()
    x64 = torch.tensor([1.5, -2.0], dtype=torch.float64, requires_grad=True)
    w = torch.arange(8.0, dtype=torch.float64, requires_grad=True)
    rebased = x * 2
    rebased += 1
    y = x.pow(3).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    with torch.no_grad():
        no_grad = x * 2
    cases = [
        ("leaf", x),
        ("leaf2d", torch.ones(2, 3, requires_grad=True)),
        ("leafFloat64", x64),
        ("dot", 2 * x.dot(x)),
        ("mul", x * x),
        ("sumFloat64", x64.sum()),
        ("meanFloat64", x64.mean()),
        ("wrappedFloat64", w * 1.5),
        ("wrappedFloat32", torch.arange(24.0, requires_grad=True).reshape(4, 6) * 1000.5),
        ("view", x.reshape(2, 2)),
        ("rebased", rebased),
        ("gradWithGraph", g),
        ("detached", (x * x).detach()),
        ("noGrad", no_grad),
        ("integer", torch.arange(3)),
    ]
    emit("    /// `str(t)` for tensors produced by autograd, by the label the Swift test uses.")
    emit("    static let descriptions: [String: String] = [")
    for label, t in cases:
        emit(f"        {swift_string(label)}: {swift_string(printed(t))},")
    emit("    ]")
    emit()


# MARK: Second and higher derivatives -----------------------------------------

X6 = [0.5, -1.2, 2.0, 0.3, 1.1, -0.7]
P6 = [0.5, 1.2, 2.0, 0.3, 1.1, 0.7]
V6 = [1.0, 0.5, -1.0, 2.0, 0.0, -0.5]


def higher_order_cases():
    """g = d(sum(f(x) * w))/dx with create_graph, then the Hessian-vector
    product d(sum(g * v))/dx; w = linspace(-1, 2, f(x).numel()) in f(x)'s shape."""
    cases = [
        ("cube", X6, lambda x: x.pow(3)),
        ("sin", X6, lambda x: x.sin()),
        ("mul", X6, lambda x: x * (x + 1)),
        ("div", X6, lambda x: x / (x * x + 1)),
        ("numberDiv", P6, lambda x: 2 / x),
        ("powNumber", P6, lambda x: x.pow(2.5)),
        ("powTensor", P6, lambda x: x.pow(x)),
        ("exp", X6, lambda x: x.exp()),
        ("log", P6, lambda x: x.log()),
        ("sqrt", P6, lambda x: x.sqrt()),
        ("tanh", X6, lambda x: x.tanh()),
        ("sigmoid", X6, lambda x: x.sigmoid()),
        ("softmax", X6, lambda x: x.reshape(2, 3).softmax(1)),
        ("logSoftmax", X6, lambda x: x.reshape(2, 3).log_softmax(0)),
        ("matmul", X6, lambda x: x.reshape(2, 3).matmul(x.reshape(3, 2))),
        ("sum", X6, lambda x: x.sum() * x.sum()),
        ("mean", X6, lambda x: (x - x.mean()).pow(2)),
        ("norm", X6, lambda x: x.norm()),
        ("normDim", X6, lambda x: x.reshape(2, 3).norm(dim=1)),
        ("prod", X6, lambda x: x.prod()),
        ("std", X6, lambda x: x.reshape(3, 2).std(0)),
        ("logsumexp", X6, lambda x: x.reshape(2, 3).logsumexp(1)),
    ]
    v = f64(V6, requires_grad=False)
    emit("    /// One row per op: input, first derivative of `sum(f(x) * w)` and its Hessian times `v`.")
    emit("    static let higherOrder: [String: (x: [Double], gradient: [Double], hessianVector: [Double])] = [")
    for label, xs, f in cases:
        x = f64(xs)
        y = f(x)
        w = torch.linspace(-1, 2, y.numel(), dtype=torch.float64).reshape(y.shape)
        (g,) = torch.autograd.grad((y * w).sum(), x, create_graph=True)
        (h,) = torch.autograd.grad((g * v).sum(), x)
        emit(f"        {swift_string(label)}: ({values(x)}, {values(g)}, {values(h)}),")
    emit("    ]")
    emit(f"    static let hessianVector = {values(v)}")
    emit()

    # Third derivative of a polynomial, three times through create_graph.
    x = f64([-1.0, 0.5, 2.0])
    y = (x.pow(4) + 2 * x.pow(3) - x).sum()
    (g1,) = torch.autograd.grad(y, x, create_graph=True)
    (g2,) = torch.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = torch.autograd.grad(g2.sum(), x)
    emit("    /// x^4 + 2x^3 - x at `polynomialX`: its first, second and third derivatives.")
    emit(f"    static let polynomialX = {values(x)}")
    emit(f"    static let polynomialDerivatives = [{values(g1)}, {values(g2)}, {values(g3)}]")

    # A Hessian-vector product of a function mixing several inputs.
    x = f64([0.3, -0.8, 1.5])
    v = f64([1.0, -1.0, 0.5], requires_grad=False)
    y = x.pow(3).sum() + x[0] * x[1] * x[2] + x.exp().dot(x)
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    (hv,) = torch.autograd.grad(g, x, grad_outputs=v)
    emit("    /// f(x) = sum(x^3) + x0 x1 x2 + exp(x)·x: gradient, and Hessian times `hvpV` (grad with a gradient).")
    emit(f"    static let hvpX = {values(x)}")
    emit(f"    static let hvpV = {values(v)}")
    emit(f"    static let hvpGradient = {values(g)}")
    emit(f"    static let hvpProduct = {values(hv)}")

    # backward(create_graph=True), then backward of the gradient.
    x = f64([0.5, -1.0, 2.0])
    x.pow(3).sum().backward(create_graph=True)
    g = x.grad
    x.grad = None
    g.sum().backward()
    emit(f"    static let backwardCreateGraphSecond = {values(x.grad)}")

    # grad(of:wrt:) with a non-leaf and a leaf.
    x = f64([0.1, 0.2, 0.3])
    u = x * 2
    y = u.exp().sum()
    gu, gx = torch.autograd.grad(y, [u, x])
    emit("    /// y = sum(exp(2x)) at `nonLeafX`: dy/du for u = 2x, and dy/dx.")
    emit(f"    static let nonLeafX = {values(x)}")
    emit(f"    static let nonLeafGradU = {values(gu)}")
    emit(f"    static let nonLeafGradX = {values(gx)}")
    emit()


# MARK: Ties, non-differentiable points, broadcasting, promotion -------------

def tie_cases():
    rows = []
    a = f64([1.0, 3.0, 3.0, 2.0])
    rows.append(("max", a, lambda: a.max()))
    rows.append(("min", a, lambda: a.min()))
    b = f64([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    rows.append(("maxDim", b, lambda: b.max(1).values))
    rows.append(("minDim", b, lambda: b.min(1).values))
    rows.append(("amax", b, lambda: b.amax(1)))
    rows.append(("amin", b, lambda: b.amin(0)))
    rows.append(("normInfinity", b, lambda: torch.linalg.vector_norm(b, ord=math.inf)))
    c = f64([-1.0, 0.0, 0.5, 1.0, 2.0])
    rows.append(("clamp", c, lambda: c.clamp(0, 1)))
    rows.append(("clampMin", c, lambda: c.clamp(min=0)))
    rows.append(("clampMax", c, lambda: c.clamp(max=1)))
    rows.append(("relu", c, lambda: c.relu()))
    rows.append(("abs", c, lambda: c.abs()))
    rows.append(("sign", c, lambda: c.sign()))
    rows.append(("floor", c, lambda: c.floor()))
    rows.append(("round", c, lambda: c.round()))
    z = f64([0.0, 0.0, 0.0])
    rows.append(("normAtZero", z, lambda: z.norm()))
    rows.append(("norm1AtZero", z, lambda: torch.linalg.vector_norm(z, ord=1)))
    rows.append(("norm3AtZero", z, lambda: torch.linalg.vector_norm(z, ord=3)))
    rows.append(("sqrtSumAtZero", z, lambda: (z * z).sum().sqrt()))
    emit("    /// Gradients of `sum(f(x))` at ties and kinks: input, gradient.")
    emit("    static let ties: [String: (x: [Double], gradient: [Double])] = [")
    for label, x, f in rows:
        x.grad = None
        f().sum().backward()
        emit(f"        {swift_string(label)}: ({values(x)}, {values(x.grad)}),")
    emit("    ]")

    p = f64([1.0, 2.0, 3.0])
    q = f64([1.0, 1.0, 4.0])
    torch.maximum(p, q).sum().backward()
    emit(f"    static let maximumTies = (x: {values(p)}, y: {values(q)}, gradX: {values(p.grad)}, gradY: {values(q.grad)})")
    p.grad = None
    q.grad = None
    torch.minimum(p, q).sum().backward()
    emit(f"    static let minimumTies = (gradX: {values(p.grad)}, gradY: {values(q.grad)})")
    v, i = b.detach().max(1)
    emit(f"    static let maxDimIndices = {values(i)}")
    emit()

    # Broadcasting: every operand's gradient summed back to its own shape.
    A = torch.arange(6.0, dtype=torch.float64).reshape(2, 3).requires_grad_()
    B = f64([1.0, 2.0, 3.0])
    C = f64(5.0)
    D = f64([[1.0], [-1.0]])
    E = f64([[0.5, 1.0, 1.5]])
    y = (A * B * C + D * E - B / D).pow(2)
    y.sum().backward()
    emit("    /// y = sum((A * B * C + D * E - B / D)^2) with A [2, 3], B [3], C 0-d, D [2, 1], E [1, 3].")
    for name, t in [("A", A), ("B", B), ("C", C), ("D", D), ("E", E)]:
        emit(f"    static let broadcast{name}: (x: [Double], shape: [Int], gradient: [Double]) = (x: {values(t)}, shape: {shape(t)}, gradient: {values(t.grad)})")

    # Type promotion: a float32 leaf times a float64 tensor.
    a32 = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b64 = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    r = a32 * b64
    (r * r).sum().backward()
    emit(f"    static let promotionResultDType = {swift_string(str(r.dtype).replace('torch.', ''))}")
    emit(f"    static let promotionGradient = {values(a32.grad)}  // float32 values")
    emit(f"    static let promotionGradDType = {swift_string(str(a32.grad.dtype).replace('torch.', ''))}")
    i64 = torch.tensor([2, 3, 4])
    a32.grad = None
    r = a32 * i64
    r.sum().backward()
    emit(f"    static let promotionIntResultDType = {swift_string(str(r.dtype).replace('torch.', ''))}")
    emit(f"    static let promotionIntGradient = {values(a32.grad)}")
    emit()


def non_differentiable_cases():
    x = torch.tensor([[0.5, -1.25, 2.0], [0.0, 1.5, -3.0]], requires_grad=True)
    x2 = torch.tensor([[1.5, 0.25, 2.0], [2.5, 1.0, 0.5]], requires_grad=True)
    cases = {
        "greater": lambda: x > 0,
        "equal": lambda: x == x2,
        "logicalNot": lambda: ~(x > 0),
        "isNaN": lambda: x.isnan(),
        "argmax": lambda: x.argmax(),
        "argmaxDim": lambda: x.argmax(1),
        "maxDimIndices": lambda: x.max(1).indices,
        "countPositive": lambda: (x > 0).sum(),
        "toInt64": lambda: x.to(torch.int64),
        "floorDivide": lambda: x.floor_divide(x2),
        "floor": lambda: x.floor(),
        "sign": lambda: x.sign(),
    }
    emit("    /// Whether results of non-differentiable ops require grad, and their dtype.")
    emit("    static let nonDifferentiable: [String: (requiresGrad: Bool, dtype: String)] = [")
    for label, f in cases.items():
        r = f()
        emit(f"        {swift_string(label)}: ({'true' if r.requires_grad else 'false'}, {swift_string(str(r.dtype).replace('torch.', ''))}),")
    emit("    ]")
    emit()


# MARK: Seed notebook: control flow and MSE -----------------------------------

def seed_cases():
    def f2(a):
        b = a * 2
        while b.norm() < 1000:
            b = b * 2
        if b.sum() > 0:
            c = b
        else:
            c = 100 * b
        return c

    emit("    /// The seed's f2 for `a = randn([])` after `manualSeed(seed)`: a, d, a.grad, a.grad == d / a.")
    emit("    static let controlFlow: [(seed: Int, a: Double, d: Double, gradient: Double, gradEqualsRatio: Bool)] = [")
    for seed in range(8):
        torch.manual_seed(seed)
        a = torch.randn(size=(), requires_grad=True)
        d = f2(a)
        d.backward()
        emit(f"        ({seed}, {num(a)}, {num(d)}, {num(a.grad)}, {'true' if bool(a.grad == d / a) else 'false'}),")
    emit("    ]")

    a = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[0.5, 1.0, 2.0], [-1.0, 0.25, 1.5]], dtype=torch.float64, requires_grad=True)
    wt = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], dtype=torch.float64)
    emit("    /// MSE of `mseA` against `mseB`, both requiring grad: loss and both gradients per reduction")
    emit("    /// (`.none` is backpropagated with `mseWeights`).")
    emit(f"    static let mseA = {values(a)}")
    emit(f"    static let mseB = {values(b)}")
    emit(f"    static let mseWeights = {values(wt)}")
    emit("    static let mse: [String: (loss: [Double], gradA: [Double], gradB: [Double])] = [")
    for reduction in ["mean", "sum", "none"]:
        a.grad = None
        b.grad = None
        loss = torch.nn.MSELoss(reduction=reduction)(a, b)
        if reduction == "none":
            loss.backward(wt)
        else:
            loss.backward()
        emit(f"        {swift_string(reduction)}: ({values(loss)}, {values(a.grad)}, {values(b.grad)}),")
        names = [node_name(n) for n, _ in loss.grad_fn.next_functions]
    emit("    ]")
    emit(f"    static let mseName = {swift_string(node_name(loss.grad_fn))}")
    emit(f"    static let mseNextFunctions = {swift_string(', '.join(names))}")
    # Broadcast target (PyTorch warns, then broadcasts).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.tensor([0.5, -0.5, 1.0], dtype=torch.float64, requires_grad=True)
        a.grad = None
        loss = F.mse_loss(a, t)
        loss.backward()
    emit(f"    static let mseBroadcastTarget = {values(t)}")
    emit(f"    static let mseBroadcast = (loss: {num(loss)}, gradA: {values(a.grad)}, gradTarget: {values(t.grad)})")
    emit()


# MARK: In-place ---------------------------------------------------------------

def in_place_cases():
    x = f64([0.0, 1.0, 2.0, 3.0])
    y = x * 2
    y += 1
    emit(f"    static let rebasedName = {swift_string(node_name(y.grad_fn))}")
    emit(f"    static let rebasedNext = {swift_string(', '.join(node_name(n) if n else 'nil' for n, _ in y.grad_fn.next_functions))}")
    y.sum().backward()
    emit(f"    static let rebasedGradient = {values(x.grad)}")

    x = f64([0.5, 1.0, 2.0, 3.0])
    w = f64([2.0, -1.0, 0.5, 4.0])
    y = x * 1
    y *= w
    y = y.exp()
    y.sum().backward()
    emit("    /// y = x * 1; y *= w; sum(exp(y)): the gradients of x and w.")
    emit(f"    static let mulInPlace = (x: {values(x)}, w: {values(w)}, gradX: {values(x.grad)}, gradW: {values(w.grad)})")

    x = f64([0.0, 1.0, 2.0, 3.0])
    y = x * 3
    y[1] = 10.0
    (y * y).sum().backward()
    emit(f"    static let subscriptAssignName = {swift_string(node_name(y.grad_fn))}")
    emit(f"    static let subscriptAssignGradient = {values(x.grad)}")

    x = f64([0.0, 1.0, 2.0, 3.0])
    q = torch.zeros(4, dtype=torch.float64)
    q.copy_(x * 3)
    emit(f"    static let copyIntoPlainName = {swift_string(node_name(q.grad_fn))}")
    emit(f"    static let copyIntoPlainNext = {swift_string(', '.join(node_name(n) if n else 'nil' for n, _ in q.grad_fn.next_functions))}")
    q.sum().backward()
    emit(f"    static let copyIntoPlainGradient = {values(x.grad)}")
    x.grad = None
    q = x * 1
    q.copy_(torch.ones(4, dtype=torch.float64))
    emit(f"    static let copyOverNonLeafName = {swift_string(node_name(q.grad_fn))}")
    emit(f"    static let copyOverNonLeafRequiresGrad = {'true' if q.requires_grad else 'false'}")
    q.sum().backward()
    emit(f"    static let copyOverNonLeafGradient = {values(x.grad)}")

    x = f64([0.0, 1.0, 2.0, 3.0])
    q = x * 1
    v = q[1:3]
    v.mul_(2)
    q.sum().backward()
    emit(f"    static let viewInPlaceBaseName = {swift_string(node_name(q.grad_fn))}")
    emit(f"    static let viewInPlaceGradient = {values(x.grad)}")

    for op in ["fill", "zero"]:
        x = f64([0.0, 1.0, 2.0, 3.0])
        q = x * 1
        q.fill_(2.0) if op == "fill" else q.zero_()
        emit(f"    static let {op}InPlaceName = {swift_string(node_name(q.grad_fn))}")
        emit(f"    static let {op}InPlaceNext = {swift_string(', '.join(node_name(n) if n else 'nil' for n, _ in q.grad_fn.next_functions))}")
    emit()


# MARK: Error messages ---------------------------------------------------------

def messages():
    """The part of each message that Cotangent prints word for word; where
    PyTorch names a Python spelling (var.detach(), allow_unused=True) or adds an
    anomaly-detection hint, the Swift message continues differently."""
    x = torch.arange(4.0).requires_grad_()

    def until(s, marker):
        i = s.find(marker)
        assert i >= 0, (s, marker)
        return s[: i + len(marker)]

    def set_false():
        y = x * 2
        y.requires_grad = False

    def set_true():
        y = x * 2
        y.requires_grad = True

    def backward_twice():
        y = (x * x).sum()
        y.backward()
        y.backward()

    def saved_input():
        q = x * 2
        r = q * q
        q += 1
        r.sum().backward()

    def saved_output():
        q = x.exp()
        q += 1
        q.sum().backward()

    def saved_plain():
        c = torch.ones(4)
        y = x * c
        c += 1
        y.sum().backward()

    def unused():
        a = torch.tensor(1.0, requires_grad=True)
        b = torch.tensor(2.0, requires_grad=True)
        torch.autograd.grad(a * 3, [a, b])

    def leaf_in_place():
        x.add_(1)

    def leaf_view_in_place():
        x[1:].mul_(2)

    def assign_size():
        x.grad = torch.zeros(3)

    def assign_dtype():
        x.grad = torch.zeros(4, dtype=torch.float64)

    def grad_of_plain():
        torch.autograd.grad(x.sum(), [torch.tensor(1.0)])

    cases = [
        ("nonLeafRequiresGradFalse", until(error_of(set_false), "subgraph that doesn't require differentiation use ")),
        ("nonLeafRequiresGradTrue", error_of(set_true)),
        ("integerRequiresGrad", error_of(lambda: torch.arange(3).requires_grad_())),
        ("backwardTwice", until(error_of(backward_twice), "Saved intermediate values of the graph are freed when you call ")),
        ("implicitNonScalar", error_of(lambda: (x * x).backward())),
        ("noGradFn", error_of(lambda: (torch.ones(2) * 2).sum().backward())),
        ("gradientShape", until(error_of(lambda: (x * x).backward(torch.ones(3))), "grad_output[0] has a shape of ")),
        ("savedInput", until(error_of(saved_input), "expected version 0 instead.")),
        ("savedOutput", until(error_of(saved_output), "expected version 0 instead.")),
        ("savedPlain", until(error_of(saved_plain), "expected version 0 instead.")),
        ("unused", until(error_of(unused), "appears to not have been used in the graph. Set ")),
        ("gradOfPlain", error_of(grad_of_plain)),
        ("leafInPlace", error_of(leaf_in_place)),
        ("leafViewInPlace", error_of(leaf_view_in_place)),
        ("retainGradPlain", error_of(lambda: torch.ones(2).retain_grad())),
        ("assignGradSize", error_of(assign_size)),
        ("assignGradDType", until(error_of(assign_dtype), "The gradient must match the tensor's grad_dtype")),
    ]
    emit("    /// PyTorch's error messages, up to where Cotangent's Swift spelling takes over.")
    emit("    static let messages: [String: String] = [")
    for label, text in cases:
        emit(f"        {swift_string(label)}: {swift_string(text)},")
    emit("    ]")
    emit()


emit("// Generated by Tests/Goldens/autograd_goldens.py from PyTorch " + torch.__version__.split("+")[0] + "; do not edit.")
emit("// swift-format-ignore-file")
emit()
emit("/// Values, names, printed text and messages from PyTorch for the autograd tests.")
emit("enum AutogradGoldens {")
name_cases()
description_cases()
higher_order_cases()
tie_cases()
non_differentiable_cases()
seed_cases()
in_place_cases()
messages()
while out[-1] == "":
    out.pop()
emit("}")
print("\n".join(out))
