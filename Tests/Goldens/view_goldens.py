"""Generates Tests/CotangentTests/ViewHistoryGoldens.swift from the reference PyTorch.

Run from the package root:

    ../shared/tools/torch-ref Tests/Goldens/view_goldens.py > Tests/CotangentTests/ViewHistoryGoldens.swift

Each entry is the PyTorch twin of a case in Tests/CotangentTests/ViewHistoryTests.swift:
a view that existed before an in-place write to its base or to another view of
that base, whose history PyTorch regenerates on its next use (issue 9).
"""

import torch

values, names, messages = {}, {}, {}


def val(key, t):
    values[key] = [float(x) for x in t.detach().reshape(-1).tolist()]


def node(key, t):
    names[key] = type(t.grad_fn).__name__ if t.grad_fn is not None else "nil"


def leaf(data):
    return torch.tensor(data, dtype=torch.float64, requires_grad=True)


# The first example: a write into the base.
x = torch.ones(3, requires_grad=True)
y = x * 2
v = y[0:2]
node("base.before", v)
y *= 3
node("base.after", v)
names["base.afterNext"] = type(v.grad_fn.next_functions[0][0]).__name__
v.sum().backward()
val("base.xGrad", x.grad)

# The second example: a write into a base that did not require grad.
w = torch.ones(2, requires_grad=True)
base = torch.zeros(2, 2)
a = base[0]
base[0] = w
names["intoBase.requiresGrad"] = str(a.requires_grad).lower()
node("intoBase.a", a)
node("intoBase.base", base)
a.sum().backward()
val("intoBase.wGrad", w.grad)

# A view of a view, after a write into the base with a tensor.
x = leaf([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
c = leaf([[2.0, -1.0, 0.5], [3.0, 1.0, -2.0]])
y = x * 1.5
vv = y[1][0:2]
y.mul_(c)
node("viewOfView", vv)
vv.pow(2).sum().backward()
val("viewOfView.xGrad", x.grad)
val("viewOfView.cGrad", c.grad)

# A write through one view, seen by a sibling view and the base.
x = leaf([0.5, -1.0, 2.0])
c = leaf([3.0, -2.0])
y = x * 2
v1 = y[0:2]
v2 = y[1:3]
v1.mul_(c)
node("siblings.v1", v1)
node("siblings.v2", v2)
node("siblings.y", y)
(v2 * v2).sum().backward()
val("siblings.xGrad", x.grad)
val("siblings.cGrad", c.grad)

# Several views of one base, each made before the write.
makers = {
    "t": lambda y: y.t(),
    "select": lambda y: y[1],
    "diagonal": lambda y: y.diagonal(),
    "unsqueeze": lambda y: y.unsqueeze(0),
    "view": lambda y: y.reshape(4),
    "steps": lambda y: y[:, 0:2:2],
    "expand": lambda y: y[0].expand(3, 2),
}
for name, make in makers.items():
    x = leaf([[0.5, -1.0], [2.0, 1.5]])
    c = leaf([[2.0, -1.0], [0.5, 3.0]])
    y = x * x
    v = make(y)
    y.mul_(c)
    node(f"several.{name}", v)
    weights = torch.arange(1.0, v.numel() + 1, dtype=torch.float64).reshape(v.shape)
    (v * weights).sum().backward()
    val(f"several.{name}.xGrad", x.grad)
    val(f"several.{name}.cGrad", c.grad)

# retainGrad on a view keeps its gradient across the regeneration.
x = leaf([0.5, -1.0, 2.0])
y = x * 2
v = y[0:2]
v.retain_grad()
(v * v).sum().backward(retain_graph=True)
val("retain.first", v.grad)
y.mul_(3)
(v * v).sum().backward()
node("retain.after", v)
val("retain.second", v.grad)
val("retain.xGrad", x.grad)

# Backward twice through a regenerated view.
x = leaf([0.5, -1.0, 2.0])
y = x * 2
v = y[1:3]
y.mul_(x)
s = (v * v).sum()
s.backward(retain_graph=True)
val("twice.first", x.grad)
s.backward()
val("twice.second", x.grad)

# createGraph: the regenerated history is differentiable again.
x = leaf([0.5, -1.0, 2.0])
y = x * x
v = y[0:2]
y.mul_(x)
(g,) = torch.autograd.grad(v.pow(2).sum(), [x], create_graph=True)
node("create.g", g)
val("create.g", g)
g.pow(2).sum().backward()
val("create.xGrad", x.grad)

# A write with grad mode off still regenerates the view (the version changed).
x = leaf([0.5, -1.0, 2.0])
y = x * 2
v = y[0:2]
with torch.no_grad():
    y.mul_(3)
node("noGradWrite", v)
(v * v).sum().backward()
val("noGradWrite.xGrad", x.grad)

# Views that ops return internally: reshape of a non-contiguous view, matmul's broadcast path.
x = leaf([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
c = leaf([[2.0, -1.0, 0.5], [3.0, 1.0, -2.0]])
y = x * 2
r = y[:, 0:2].reshape(2, 1, 2)
y.mul_(c)
node("reshape", r)
(r * r).sum().backward()
val("reshape.xGrad", x.grad)
val("reshape.cGrad", c.grad)

a = leaf([[[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], [[1.0, 2.0, 3.0], [-1.0, -2.0, 0.5]]])
b = leaf([1.0, -2.0, 0.5])
c = leaf([[2.0, -1.0], [0.5, 3.0]])
m = a.matmul(b)
r = m[0]
m.mul_(c)
node("matmul.row", r)
(r * r).sum().backward()
val("matmul.aGrad", a.grad)
val("matmul.bGrad", b.grad)
val("matmul.cGrad", c.grad)


# A write into an empty view of a base without grad: the base's CopySlices has
# nothing to pass back, so a first-order gradient through it does not require grad.
base = torch.zeros(0, dtype=torch.float64)
e = base.unsqueeze(0)
s = leaf(-1.37)
e.mul_(s)
node("empty.view", e)
(g,) = torch.autograd.grad(e.exp().sum(), [s], create_graph=True)
names["empty.gRequiresGrad"] = str(g.requires_grad).lower()
val("empty.g", g)


# A base that is not contiguous (a detached transpose), written while recording.
d = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64).t().detach()
v = d[1]
w = leaf([[2.0, -1.0], [0.5, 3.0], [1.5, -2.0]])
d.mul_(w)
node("transposedBase.v", v)
(v * v).sum().backward()
val("transposedBase.wGrad", w.grad)



def err(key, f):
    try:
        f()
    except RuntimeError as e:
        messages[key] = str(e).split("\n")[0]
        return
    raise SystemExit(f"{key}: PyTorch did not raise")


def no_grad_view():
    x = torch.ones(3, requires_grad=True)
    y = x * 2
    with torch.no_grad():
        v = y[0:2]
    y.mul_(3)
    v.grad_fn


def split_then_write():
    x = torch.ones(4, requires_grad=True)
    y = x * 2
    p, q = y.split(2)
    y.mul_(3)
    q.grad_fn


def split_without_grad_then_write():
    base = torch.zeros(4)
    p, q = base.split(2)
    base[0:2] = torch.ones(2, requires_grad=True)
    q.grad_fn


# Where PyTorch refuses to regenerate a view's history.
err("noGradView", no_grad_view)
err("splitOutput", split_then_write)
err("splitOutputWithoutGrad", split_without_grad_then_write)


def num(v):
    return repr(float(v))


def swift_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


out = [
    f"// Generated by Tests/Goldens/view_goldens.py from PyTorch {torch.__version__.split('+')[0]}; do not edit.",
    "// swift-format-ignore-file",
    "",
    "/// PyTorch's gradients and node names for views after in-place writes (issue 9).",
    "enum ViewHistoryGoldens {",
    "    /// Gradients (row-major, float64 unless the case uses float32 leaves) by key.",
    "    static let values: [String: [Double]] = [",
]
out += [f"        {swift_string(k)}: [{', '.join(num(x) for x in v)}]," for k, v in values.items()]
out += ["    ]", "    /// Node names (`grad_fn`), or `true`/`false` for flags.", "    static let names: [String: String] = ["]
out += [f"        {swift_string(k)}: {swift_string(v)}," for k, v in names.items()]
out += ["    ]", "    /// PyTorch's error messages (first line).", "    static let messages: [String: String] = ["]
out += [f"        {swift_string(k)}: {swift_string(v)}," for k, v in messages.items()]
out += ["    ]", "}"]
print("\n".join(out))
