"""Generates Tests/CotangentTests/HookGoldens.swift from the reference PyTorch.

Run from the package root:

    ../shared/tools/torch-ref Tests/Goldens/hook_goldens.py > Tests/CotangentTests/HookGoldens.swift

Each scenario is the PyTorch twin of a test in Tests/CotangentTests/HookTests.swift:
the same float64 inputs and ops, with hooks that append one line to a log each time
they run ("name: [values] rg" where rg marks a gradient that requires grad), and
the final gradients. The Swift test builds the same log and compares it line by line,
so both what each hook sees and the order in which hooks run are checked.
"""

import warnings

import torch

warnings.filterwarnings("ignore", message="Using backward\\(\\) with create_graph=True")
torch.set_default_dtype(torch.float64)


def fmt(t):
    if t is None:
        return "nil"
    s = "[" + ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist()) + "]"
    return s + (" rg" if t.requires_grad else "")


class Log:
    def __init__(self):
        self.lines = []

    def add(self, name, *ts):
        self.lines.append(name + ": " + " ".join(fmt(t) for t in ts))

    def tensor_hook(self, name, transform=None):
        def hook(g):
            self.add(name, g)
            return transform(g) if transform else None
        return hook


scenarios = []


def scenario(fn):
    log = Log()
    results = fn(log)
    scenarios.append((fn.__name__, log.lines, [(k, fmt(v)) for k, v in results]))
    return fn


def t(*v):
    return torch.tensor(list(v), requires_grad=True)


@scenario
def order(log):
    # Tensor hooks, retain_grad, node pre-hook, node hook, leaf hook, post-accumulate hook.
    x = t(1.0, 2.0, 3.0)
    w = t(0.5, -1.0, 2.0)
    u = x * w
    u.register_hook(log.tensor_hook("t1", lambda g: g * 10))
    u.retain_grad()
    u.register_hook(log.tensor_hook("t2", lambda g: g + 1))
    u.grad_fn.register_prehook(lambda go: (log.add("pre", go[0]), (go[0] * 3,))[1])
    u.grad_fn.register_hook(lambda gi, go: log.add("post", *gi, *go))
    x.register_hook(log.tensor_hook("x"))
    x.register_post_accumulate_grad_hook(lambda p: log.add("x.post", p.grad))
    w.register_post_accumulate_grad_hook(lambda p: log.add("w.post", p.grad))
    (u * u).sum().backward()
    return [("u.grad", u.grad), ("x.grad", x.grad), ("w.grad", w.grad)]


@scenario
def orderCreateGraph(log):
    x = t(1.0, 2.0, 3.0)
    w = t(0.5, -1.0, 2.0)
    u = x * w
    u.register_hook(log.tensor_hook("t1", lambda g: g * 10))
    u.retain_grad()
    u.register_hook(log.tensor_hook("t2", lambda g: g + 1))
    u.grad_fn.register_prehook(lambda go: (log.add("pre", go[0]), (go[0] * 3,))[1])
    u.grad_fn.register_hook(lambda gi, go: log.add("post", *gi, *go))
    x.register_hook(log.tensor_hook("x"))
    x.register_post_accumulate_grad_hook(lambda p: log.add("x.post", p.grad))
    w.register_post_accumulate_grad_hook(lambda p: log.add("w.post", p.grad))
    (u * u).sum().backward(create_graph=True)
    # The gradients are differentiable: one more backward through x.grad.
    gx = x.grad
    x.grad = None
    w.grad = None
    gx.sum().backward()
    return [("u.grad", u.grad), ("gx", gx), ("x.grad2", x.grad), ("w.grad2", w.grad)]


@scenario
def gradCapturesBeforeHooksWhenTheTargetLeadsOn(log):
    x = t(1.0, 2.0)
    u = x * x
    u.register_hook(log.tensor_hook("u", lambda g: g * 100))
    x.register_hook(log.tensor_hook("x", lambda g: g + 0.5))
    x.register_post_accumulate_grad_hook(lambda p: log.add("x.post (must not run)", p))
    gu, gx = torch.autograd.grad((u * u).sum(), [u, x])
    return [("gu", gu), ("gx", gx), ("x.grad", x.grad)]


@scenario
def gradCapturesAfterHooksAtTheEnd(log):
    x = t(1.0, 2.0)
    u = x * x
    u.register_hook(log.tensor_hook("u", lambda g: g * 100))
    u.retain_grad()
    x.register_hook(log.tensor_hook("x (must not run)"))
    (gu,) = torch.autograd.grad((u * u).sum(), [u])
    return [("gu", gu), ("u.grad", u.grad)]


@scenario
def hookBeforeInPlaceStaysWithTheOldValue(log):
    x = t(1.0, 2.0)
    u = x * x
    u.register_hook(log.tensor_hook("before", lambda g: g * 10))
    u.retain_grad()
    u.mul_(3)
    u.register_hook(log.tensor_hook("after"))
    u.sum().backward()
    return [("u.grad", u.grad), ("x.grad", x.grad)]


@scenario
def leafHookSeesTheTotal(log):
    x = t(1.0, 2.0)
    x.register_hook(log.tensor_hook("x", lambda g: g * 2))
    x.register_post_accumulate_grad_hook(lambda p: log.add("x.post", p.grad))
    (x * x + x * torch.tensor([3.0, 4.0])).sum().backward()
    (x * x).sum().backward()
    return [("x.grad", x.grad)]


@scenario
def leavesRunWhenReady(log):
    # w2 is used last in the forward pass, so its gradient is ready first.
    x = torch.tensor([0.5, -1.0])
    w1 = t(2.0, 3.0)
    w2 = t(-1.0, 0.25)
    h = x * w1
    h.register_hook(log.tensor_hook("h"))
    a = h * h
    a.register_hook(log.tensor_hook("a"))
    y = (a * w2).sum()
    y.register_hook(log.tensor_hook("y"))
    for name, p in [("w1", w1), ("w2", w2)]:
        p.register_hook(log.tensor_hook(name))
        p.register_post_accumulate_grad_hook(lambda q, name=name: log.add(name + ".post", q.grad))
    y.backward()
    return [("w1.grad", w1.grad), ("w2.grad", w2.grad)]


@scenario
def removedHooksDoNotRun(log):
    x = t(1.0, 2.0)
    h1 = x.register_hook(log.tensor_hook("first (removed)", lambda g: g * 0))
    x.register_hook(log.tensor_hook("second"))
    u = x * x
    h2 = u.grad_fn.register_prehook(lambda go: (log.add("pre (removed)", go[0]), None)[1])
    h3 = u.grad_fn.register_hook(lambda gi, go: (log.add("post (removed)", *gi), None)[1])
    for h in (h1, h2, h3):
        h.remove()
        h.remove()
    u.sum().backward()
    return [("x.grad", x.grad)]


@scenario
def nodeHookReplacesInputGradients(log):
    a = t(1.0, 2.0)
    b = t(3.0, 4.0)
    u = a * b
    u.grad_fn.register_hook(lambda gi, go: (log.add("post", *gi, *go), (gi[0] * 0, gi[1] * 2))[1])
    (u * u).sum().backward()
    return [("a.grad", a.grad), ("b.grad", b.grad)]


@scenario
def broadcastGradientsReachHooksReduced(log):
    a = t(1.0, 2.0, 3.0)
    b = t(10.0)
    u = a * b
    u.grad_fn.register_hook(lambda gi, go: log.add("post", *gi, *go))
    b.register_hook(log.tensor_hook("b"))
    u.sum().backward()
    return [("a.grad", a.grad), ("b.grad", b.grad)]


@scenario
def backwardInputsOnlyFillsTheGivenTensors(log):
    a = t(1.0, 2.0)
    b = t(3.0, 4.0)
    a.register_hook(log.tensor_hook("a"))
    b.register_hook(log.tensor_hook("b (must not run)"))
    u = a * b
    (u * u).sum().backward(inputs=[a])
    first = a.grad.clone()
    v = a * b
    v.register_hook(log.tensor_hook("v"))
    (v * v).sum().backward(inputs=[v])
    return [("a.grad first", first), ("b.grad", b.grad), ("v.grad", v.grad), ("a.grad", a.grad),
            ("v.retains_grad", torch.tensor([float(v.retains_grad)]))]


@scenario
def rootHook(log):
    x = t(1.0, 2.0)
    y = (x * x).sum()
    y.register_hook(log.tensor_hook("y", lambda g: g * 3))
    y.backward()
    x.register_hook(log.tensor_hook("leaf root"))
    x.backward(torch.tensor([1.0, 1.0]))
    return [("x.grad", x.grad)]


class Scale(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.tensor([2.0, -1.0]))

    def forward(self, x):
        return x * self.w


def module_with_all_hooks(log):
    m = Scale()
    m.register_forward_pre_hook(lambda mod, args: (log.add("forwardPre", args[0]), (args[0] + 1,))[1])
    m.register_forward_hook(lambda mod, args, out: (log.add("forward", args[0], out), out * 10)[1])
    m.register_full_backward_pre_hook(lambda mod, go: (log.add("backwardPre", go[0]), (go[0] * 2,))[1])
    m.register_full_backward_hook(lambda mod, gi, go: (log.add("backward", gi[0], go[0]), None)[1])
    return m


@scenario
def moduleHooks(log):
    m = module_with_all_hooks(log)
    m.register_full_backward_hook(lambda mod, gi, go: (log.add("backward2", gi[0], go[0]), (gi[0] + 100,))[1])
    x = t(1.0, 3.0)
    y = m(x)
    y.register_hook(log.tensor_hook("y"))
    log.add("gradFn " + y.grad_fn.name() + " " + y.grad_fn.next_functions[0][0].name())
    y.sum().backward()
    return [("x.grad", x.grad), ("w.grad", m.w.grad)]


@scenario
def moduleHooksWithoutInputGrad(log):
    m = module_with_all_hooks(log)
    y = m(torch.tensor([1.0, 3.0]))
    y.sum().backward()
    return [("w.grad", m.w.grad)]


@scenario
def moduleHooksInASequential(log):
    torch.manual_seed(0)
    inner = Scale()
    net = torch.nn.Sequential(inner, torch.nn.ReLU())
    for name, mod in [("net", net), ("inner", inner)]:
        mod.register_forward_hook(lambda m, a, o, name=name: log.add(name + ".forward", o))
        mod.register_full_backward_hook(lambda m, gi, go, name=name: log.add(name + ".backward", gi[0], go[0]))
    x = t(1.0, 3.0)
    net(x).sum().backward()
    return [("x.grad", x.grad)]


def errors():
    out = []

    def error_of(f):
        try:
            f()
        except RuntimeError as e:
            return str(e)
        return "no error"

    out.append(("noGrad", error_of(lambda: torch.tensor([1.0]).register_hook(lambda g: g))))
    out.append(("postAccumulateOnNonLeaf",
                error_of(lambda: (t(1.0) * 2).register_post_accumulate_grad_hook(lambda p: None))))

    def size():
        x = t(1.0, 2.0)
        x.register_hook(lambda g: g[:1])
        (x * 2).sum().backward()
    out.append(("changedSize", error_of(size).replace("'<lambda>'", "'<closure>'")))

    def count():
        x = t(1.0, 2.0)
        y = x.exp()
        y.grad_fn.register_prehook(lambda go: (go[0], go[0]))
        y.sum().backward()
    out.append(("wrongCount", error_of(count).replace("'<lambda>'", "'<closure>'")))

    def empty():
        (t(1.0) * 2).sum().backward(inputs=[])
    out.append(("emptyInputs", error_of(empty)))
    return out


print("// Generated by Tests/Goldens/hook_goldens.py under reference PyTorch " + torch.__version__.split("+")[0] + "; do not edit.")
print()
print("enum HookGoldens {")
print("    struct Scenario {")
print("        let log: [String]")
print("        let results: [(name: String, value: String)]")
print("    }")
print()
print("    static let scenarios: [String: Scenario] = [")
for name, lines, results in scenarios:
    print(f'        "{name}": Scenario(')
    print("            log: [")
    for line in lines:
        print(f'                "{line}",')
    print("            ],")
    print("            results: [")
    for k, v in results:
        print(f'                ("{k}", "{v}"),')
    print("            ]),")
print("    ]")
print()
print("    static let errors: [String: String] = [")
for k, v in errors():
    v = v.replace("\\", "\\\\").replace('"', '\\"')
    print(f'        "{k}": "{v}",')
print("    ]")
print("}")
