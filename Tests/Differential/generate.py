"""The differential tester's program generator and PyTorch runner.

Generates random tensor programs (random shapes with empty and size-1 dims,
ranks 0-4, broadcasting pairs, float64/float32/int64/bool inputs, views with
steps, in-place ops on non-leaves, chains of 1-8 ops, backward with
`gradient:`, `retainGraph` and `createGraph`), runs each in PyTorch, and
writes one JSON object per line: the program and PyTorch's results (or the
fact that PyTorch raised). `DifferentialTests.swift` interprets the same
programs with Cotangent and compares.

Regenerate the corpus (after changing the generator; seeds are consecutive from --first):

    ../shared/tools/torch-ref Tests/Differential/generate.py --first 0 --count 2000 > Tests/Differential/corpus.jsonl
    ../shared/tools/torch-ref Tests/Differential/generate.py --first 5000 --count 1000 >> Tests/Differential/corpus.jsonl

The committed corpus holds seeds 0-1999, 5000-5999 and 7000-7999 (the latter two fresh runs,
appended). Append new seeds with `--first 8000 --count 1000 >> Tests/Differential/corpus.jsonl`, then run
`COTANGENT_DIFFERENTIAL_TRIAGE=1 swift test --filter DifferentialTests` to see each disagreeing program
(and `COTANGENT_DIFFERENTIAL_IN_PROCESS=<seed>` for its message), and fix it or list it in
`knownDisagreements`/`knownStops` with the reason.

A program is a list of ops, each making one register (`[name, arg...]`; args
are register numbers or constants; `["input", k]` makes input k). The same names are
implemented in `OPS` below and in the Swift interpreter; add an op to both.
"""

import argparse
import json
import math
import random
import sys
import warnings

import torch

warnings.filterwarnings("ignore")

DTYPES = {"float64": torch.float64, "float32": torch.float32, "int64": torch.int64, "bool": torch.bool}


def is_float(t):
    return t.dtype.is_floating_point


# name: (arity, torch function over (registers..., constants...))
OPS = {
    "neg": lambda a: -a,
    "exp": lambda a: a.exp(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "abs": lambda a: a.abs(),
    "sin": lambda a: a.sin(),
    "square": lambda a: a.square(),
    "sign": lambda a: a.sign(),
    "floor": lambda a: a.floor(),
    "clamp": lambda a, lo, hi: a.clamp(lo, hi),
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: torch.maximum(a, b),
    "where": lambda a, b: torch.where(a > b, a, b),
    "addNumber": lambda a, c: a + c,
    "mulNumber": lambda a, c: a * c,
    "powNumber": lambda a, c: a.pow(c),
    "sum": lambda a: a.sum(),
    "sumDim": lambda a, d, k: a.sum(dim=d, keepdim=bool(k)),
    "mean": lambda a: a.mean(),
    "amax": lambda a, d, k: a.amax(dim=[d], keepdim=bool(k)),
    "maxDim": lambda a, d, k: a.max(dim=d, keepdim=bool(k)).values,
    "logsumexp": lambda a, d: a.logsumexp(dim=d),
    "softmax": lambda a, d: a.softmax(dim=d),
    "cumsum": lambda a, d: a.cumsum(dim=d),
    "var": lambda a, d: a.var(dim=[d]),
    "norm": lambda a: torch.linalg.vector_norm(a),
    "transpose": lambda a, d0, d1: a.transpose(d0, d1),
    "unsqueeze": lambda a, d: a.unsqueeze(d),
    "squeeze": lambda a: a.squeeze(),
    "flatten": lambda a: a.flatten(),
    "reshapeRev": lambda a: a.reshape(list(reversed(a.shape))),
    "slice": lambda a, d, s, e, st: a[(slice(None),) * d + (slice(s, e, st),)],
    "select": lambda a, d, i: a.select(d, i),
    "expand": lambda a, n: a.expand([n] + list(a.shape)),
    "clone": lambda a: a.clone(),
    "matmul": lambda a, b: a.matmul(b),
    "iadd": None,  # in place: a += b
    "imul": None,  # in place: a *= b
}


def rand_shape(rng, rank=None):
    rank = rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4]) if rank is None else rank
    shape = [rng.choice([0, 1, 1, 2, 2, 3, 3]) if rng.random() < 0.9 else 0 for _ in range(rank)]
    while math.prod(shape) > 36:
        shape[rng.randrange(rank)] = 1
    return shape


def broadcasts(a, b):
    try:
        torch.broadcast_shapes(tuple(a), tuple(b))
        return True
    except RuntimeError:
        return False


def broadcast_partner(rng, shape):
    """A shape that broadcasts with `shape` (dims replaced by 1, leading dims dropped or added)."""
    s = [1 if rng.random() < 0.3 else d for d in shape]
    if s and rng.random() < 0.3:
        s = s[rng.randrange(len(s) + 1):]
    if rng.random() < 0.15 and len(s) < 4:
        s = [rng.choice([1, 2])] + s
    return s


def rand_values(rng, n, dtype):
    if dtype == "bool":
        return [rng.random() < 0.5 for _ in range(n)]
    if dtype == "int64":
        return [rng.randint(-4, 4) for _ in range(n)]
    return [round(rng.uniform(-2.5, 2.5), 2) for _ in range(n)]


def make_input(rng, shape, dtype, grad):
    return {"shape": shape, "dtype": dtype, "grad": grad, "values": rand_values(rng, math.prod(shape), dtype)}


def build_input(spec):
    t = torch.tensor(spec["values"], dtype=DTYPES[spec["dtype"]]).reshape(spec["shape"])
    if spec["grad"]:
        t.requires_grad_(True)
    return t


inputs_of_run = []


def apply(regs, op):
    """Applies one op to registers of tensors (appending the result), as both sides do."""
    name, args = op[0], op[1:]
    if name == "input":
        regs.append(build_input(inputs_of_run[args[0]]))
        return
    if name in ("iadd", "imul"):
        a, b = regs[args[0]], regs[args[1]]
        a.add_(b) if name == "iadd" else a.mul_(b)
        regs.append(a)
        return
    tensors = [regs[args[0]]] + ([regs[args[1]]] if name in BINARY else [])
    constants = [number(c) for c in args[len(tensors):]]
    regs.append(OPS[name](*tensors, *constants))


BINARY = ("add", "sub", "mul", "div", "maximum", "where", "matmul")


def candidate(rng, shapes, r, add_input, inputs):
    """A random op on register r (shapes are those of the registers so far)."""
    shape = shapes[r]
    rank = len(shape)
    kind = rng.choice(["unary", "unary", "binary", "binary", "number", "reduce", "view", "view", "inplace", "matmul"])
    if kind == "unary":
        name = rng.choice(["neg", "exp", "tanh", "sigmoid", "relu", "abs", "sin", "square", "sign", "floor", "clamp", "clone"])
        return [name, r] + ([-0.5, 1.0] if name == "clamp" else [])
    if kind in ("binary", "inplace"):
        other = [s for s in range(len(shapes)) if s != r and rng.random() < 0.5]
        b = other[0] if other else add_input(broadcast_partner(rng, shape))
        return [rng.choice(["iadd", "imul"]) if kind == "inplace" else rng.choice(["add", "sub", "mul", "div", "maximum", "where"]), r, b]
    if kind == "number":
        name = rng.choice(["addNumber", "mulNumber", "powNumber"])
        c = rng.choice([2, 3, 0.5, -1.5, 2.0]) if name == "powNumber" else rng.choice([2, -1, 0.5, 1.5])
        # Typed, since Swift picks an overload by the number's type (x.pow(2) vs x.pow(2.0)).
        return [name, r, f"{'i' if isinstance(c, int) else 'f'}:{c}"]
    if kind == "reduce":
        if rank == 0 or rng.random() < 0.3:
            return [rng.choice(["sum", "mean", "norm"]), r]
        d = rng.randrange(rank)
        name = rng.choice(["sumDim", "amax", "maxDim", "logsumexp", "softmax", "cumsum", "var"])
        return [name, r, d, rng.randint(0, 1)] if name in ("sumDim", "amax", "maxDim") else [name, r, d]
    if kind == "view":
        name = rng.choice(["unsqueeze", "squeeze", "flatten", "reshapeRev", "expand"] + (["transpose", "slice", "select"] if rank else []))
        if name == "transpose":
            return [name, r, rng.randrange(rank), rng.randrange(rank)]
        if name == "unsqueeze":
            return [name, r, rng.randrange(rank + 1)]
        if name == "expand":
            return [name, r, rng.choice([0, 1, 2])]
        if name == "slice":
            return [name, r, rng.randrange(rank), rng.choice([0, 1, -2]), rng.choice([2, 3, -1, 5]), rng.choice([1, 2])]
        if name == "select":
            d = rng.randrange(rank)
            return [name, r, d, rng.randrange(-shape[d], shape[d]) if shape[d] else 0]
        return [name, r]
    k = shape[-1] if rank else 1
    batch = rng.choice([1, shape[0] if rank >= 3 else 2])
    dtype = inputs[0]["dtype"] if rng.random() < 0.8 else None
    return ["matmul", r, add_input(rng.choice([[k], [k, rng.choice([1, 2])], [batch, k, 2]]), dtype)]


def generate(seed):
    """A random program. Ops are tried on zero-filled stand-ins of the inputs: one
    PyTorch refuses is drawn again, except in about one program in ten, which keeps
    its first refused op (Cotangent must then stop too)."""
    rng = random.Random(seed)
    inputs, ops, shapes, protos, pending = [], [], [], [], []
    allow_error = rng.random() < 0.1

    def add_input(shape=None, dtype=None):
        shape = rand_shape(rng) if shape is None else shape
        dtype = dtype or rng.choices(["float64", "float32", "int64", "bool"], [60, 20, 15, 5])[0]
        inputs.append(make_input(rng, shape, dtype, dtype.startswith("float") and rng.random() < 0.85))
        # An input is a register like an op's result, in the order it was made.
        pending.append(["input", len(inputs) - 1])
        shapes.append(shape)
        protos.append(build_input(inputs[-1]))
        return len(shapes) - 1

    add_input()
    ops.extend(pending)
    pending.clear()
    for _ in range(rng.randint(1, 8)):
        for attempt in range(20):
            mark = (len(inputs), len(shapes))
            op = candidate(rng, shapes, rng.randrange(len(shapes)), add_input, inputs)
            trial = [t.detach().clone().requires_grad_(t.requires_grad) if t.is_leaf else t for t in protos]
            try:
                inputs_of_run[:] = inputs
                apply(trial, op)
                protos = trial
                break
            except Exception:
                if allow_error:
                    break
                # Drop inputs the refused op added, and draw again.
                del inputs[mark[0]:], shapes[mark[1]:], protos[mark[1]:]
                pending.clear()
                op = None
        if op is None:
            continue
        ops.extend(pending)
        pending.clear()
        ops.append(op)
        if len(protos) == len(shapes):  # refused (allowed) op: the program ends here
            break
        shapes.append(list(protos[-1].shape))
    mode = rng.choice(["backward", "backward", "gradient", "retain", "createGraph"])
    return {"seed": seed, "inputs": inputs, "ops": ops, "mode": mode}


def run(program):
    """PyTorch's results: the last register, the inputs' gradients, or that it raised."""
    try:
        inputs_of_run[:] = program["inputs"]
        regs = []
        for op in program["ops"]:
            apply(regs, op)
        out = regs[-1]
        result = {"raises": False, "out": describe(out), "outRequiresGrad": out.requires_grad}
        made = [regs[i] for i, op in enumerate(program["ops"]) if op[0] == "input"]
        leaves = [t for t, spec in zip(made, program["inputs"]) if spec["grad"]]
        mode = program["mode"]
        if out.requires_grad and leaves:
            if mode == "createGraph":
                grads = torch.autograd.grad(out.sum(), leaves, create_graph=True, allow_unused=True)
                total = sum((g * g).sum() for g in grads if g is not None and g.requires_grad)
                if isinstance(total, torch.Tensor) and total.requires_grad:
                    total.backward()
                    result["second"] = True
                result["firstGrads"] = [describe(g) if g is not None else None for g in grads]
            else:
                seed = torch.ones_like(out) if mode != "gradient" else torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)
                out.backward(seed, retain_graph=(mode == "retain"))
                if mode == "retain":
                    out.backward(seed)
            result["grads"] = [describe(t.grad) if t.grad is not None else None for t in leaves]
        return result
    except Exception as e:  # PyTorch raising is a result too: Cotangent must stop
        return {"raises": True, "message": str(e).split("\n")[0][:200]}


def number(c):
    """A constant: typed numbers are written "i:2" or "f:2.0"."""
    if isinstance(c, str):
        kind, text = c.split(":")
        return int(text) if kind == "i" else float(text)
    return c


def describe(t):
    t = t.detach().clone()  # tolist() refuses some empty results without storage
    values = [float(v) for v in t.reshape(-1).tolist()]
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
            "values": [v if math.isfinite(v) else str(v) for v in values]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    for seed in range(args.first, args.first + args.count):
        program = generate(seed)
        program["expect"] = run(program)
        print(json.dumps(program, separators=(",", ":")))


if __name__ == "__main__":
    main()
