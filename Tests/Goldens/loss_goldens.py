# Goldens for Tests/CotangentTests/LossTests.swift (the losses of EmbeddingLosses.swift and CTCLoss.swift).
#   /work/shared/tools/torch-ref Tests/Goldens/loss_goldens.py > /tmp/l.swift && cp /tmp/l.swift Tests/CotangentTests/LossGoldens.swift
# Inputs come from formulas both sides share (`ramp`, `upstream` as in nn_goldens.py);
# each case lists its tensors, which of them require grad, and PyTorch's value,
# gradients of sum(loss * upstream(loss.shape)) and first-input node chain.
import math, warnings, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(1)
warnings.simplefilter("ignore")

out = []
def emit(line=""): out.append(line)
def num(v):
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, int): return str(v)
    if math.isnan(v): return ".nan"
    if math.isinf(v): return ".infinity" if v > 0 else "-.infinity"
    return repr(float(v))
def arr(t): return "[" + ", ".join(num(v) for v in t.detach().reshape(-1).tolist()) + "]"
def shape(t): return "[" + ", ".join(str(s) for s in t.shape) + "]"
def swift_string(s): return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
def ramp(shape, scale=0.37, shift=1.3):
    n = math.prod(shape)
    return (torch.sin(torch.arange(n, dtype=torch.float64) * scale + shift) * 2).reshape(shape)
def upstream(shape):
    n = math.prod(shape)
    return (torch.arange(n, dtype=torch.float64) * 0.1 + 0.5).reshape(shape)
def signs(n): return torch.tensor([1.0 if i % 3 != 1 else -1.0 for i in range(n)], dtype=torch.float64)
def positive(shape, scale=0.37, shift=1.3): return ramp(shape, scale, shift).abs() + 0.05

G, N = True, False   # requires grad or not
lp = lambda s: ramp(s).log_softmax(-1)
pr = lambda s: ramp(s, 0.61, -0.4).softmax(-1)
zero_pr = torch.tensor([[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]], dtype=torch.float64)
cases = [
    # name, [(tensor, requires grad)], function, gradcheck
    ("klDiv", [(lp((4, 3)), G), (pr((4, 3)), G)], lambda i, t: F.kl_div(i, t), True),
    ("klDivNone", [(lp((4, 3)), G), (pr((4, 3)), G)], lambda i, t: F.kl_div(i, t, reduction='none'), True),
    ("klDivSum", [(lp((4, 3)), G), (pr((4, 3)), G)], lambda i, t: F.kl_div(i, t, reduction='sum'), True),
    ("klDivBatchMean", [(lp((4, 3)), G), (pr((4, 3)), G)], lambda i, t: F.kl_div(i, t, reduction='batchmean'), True),
    ("klDivLogTarget", [(lp((4, 3)), G), (pr((4, 3)).log(), G)], lambda i, t: F.kl_div(i, t, log_target=True), True),
    ("klDivLogTargetBatchMean", [(lp((2, 3, 2)), G), (pr((2, 3, 2)).log(), G)], lambda i, t: F.kl_div(i, t, reduction='batchmean', log_target=True), True),
    ("klDivZeroTarget", [(lp((2, 3)), G), (zero_pr, N)], lambda i, t: F.kl_div(i, t, reduction='batchmean'), True),
    ("klDivBroadcast", [(lp((4, 3)), G), (pr((3,)), G)], lambda i, t: F.kl_div(i, t, reduction='sum'), True),
    ("cosineEmbedding", [(ramp((4, 5)), G), (ramp((4, 5), 0.23, -0.7), G), (signs(4), N)], lambda a, b, y: F.cosine_embedding_loss(a, b, y), True),
    ("cosineEmbeddingMarginNone", [(ramp((4, 5)), G), (ramp((4, 5), 0.23, -0.7), G), (signs(4), N)], lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=-0.2, reduction='none'), True),
    ("cosineEmbeddingSum", [(ramp((4, 5)), G), (ramp((4, 5), 0.23, -0.7), G), (-signs(4), N)], lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=0.1, reduction='sum'), True),
    ("cosineEmbeddingUnbatched", [(ramp((5,)), G), (ramp((5,), 0.23, -0.7), G), (torch.tensor(-1.0, dtype=torch.float64), N)], lambda a, b, y: F.cosine_embedding_loss(a, b, y, margin=-0.5), True),
    ("marginRanking", [(ramp((6,)), G), (ramp((6,), 0.23, -0.7), G), (signs(6), N)], lambda a, b, y: F.margin_ranking_loss(a, b, y), True),
    ("marginRankingMarginNone", [(ramp((6,)), G), (ramp((6,), 0.23, -0.7), G), (signs(6), N)], lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.5, reduction='none'), True),
    ("marginRankingSum", [(ramp((2, 3)), G), (ramp((2, 3), 0.23, -0.7), G), (signs(6).reshape(2, 3), N)], lambda a, b, y: F.margin_ranking_loss(a, b, y, margin=0.3, reduction='sum'), True),
    ("tripletMargin", [(ramp((4, 5)), G), (ramp((4, 5), 0.23, -0.7), G), (ramp((4, 5), 0.5, 0.9), G)], lambda a, p, n: F.triplet_margin_loss(a, p, n), True),
    ("tripletMarginP1None", [(ramp((4, 5)), G), (ramp((4, 5), 0.23, -0.7), G), (ramp((4, 5), 0.5, 0.9), G)], lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, p=1, reduction='none'), True),
    ("tripletMarginSwapSum", [(ramp((4, 5)), G), (ramp((4, 5), 0.23, -0.7), G), (ramp((4, 5), 0.5, 0.9), G)], lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0, p=3, eps=1e-3, swap=True, reduction='sum'), True),
    ("tripletMarginUnbatched", [(ramp((5,)), G), (ramp((5,), 0.23, -0.7), G), (ramp((5,), 0.5, 0.9), G)], lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=4.0), True),
    ("poissonNLL", [(ramp((4, 3)) * 0.5, G), (positive((4, 3), 0.3, 0.2) * 3, G)], lambda i, t: F.poisson_nll_loss(i, t), True),
    ("poissonNLLRatesFullNone", [(positive((4, 3)), G), (positive((4, 3), 0.3, 0.2) * 3, G)], lambda i, t: F.poisson_nll_loss(i, t, log_input=False, full=True, reduction='none'), True),
    ("poissonNLLFullSum", [(ramp((4, 3)) * 0.5, G), (positive((4, 3), 0.3, 0.2) * 3, G)], lambda i, t: F.poisson_nll_loss(i, t, full=True, eps=1e-4, reduction='sum'), True),
    ("gaussianNLL", [(ramp((4, 3)), G), (ramp((4, 3), 0.23, -0.7), G), (positive((4, 3), 0.5, 0.9), G)], lambda i, t, v: F.gaussian_nll_loss(i, t, v), True),
    ("gaussianNLLFullNone", [(ramp((4, 3)), G), (ramp((4, 3), 0.23, -0.7), G), (positive((4, 3), 0.5, 0.9), G)], lambda i, t, v: F.gaussian_nll_loss(i, t, v, full=True, reduction='none'), True),
    ("gaussianNLLShortVariance", [(ramp((4, 3)), G), (ramp((4, 3), 0.23, -0.7), G), (positive((4,), 0.5, 0.9), G)], lambda i, t, v: F.gaussian_nll_loss(i, t, v, reduction='sum'), True),
    ("gaussianNLLBroadcastVariance", [(ramp((2, 3, 2)), G), (ramp((2, 3, 2), 0.23, -0.7), G), (positive((2, 1, 2), 0.5, 0.9), G)], lambda i, t, v: F.gaussian_nll_loss(i, t, v), True),
    # Variances below eps: clamped without recording, so the gradient is not the numerical one.
    ("gaussianNLLClamped", [(ramp((4, 3)), G), (ramp((4, 3), 0.23, -0.7), G), (positive((4, 3), 0.5, 0.9) - 0.3, G)], lambda i, t, v: F.gaussian_nll_loss(i, t, v.abs(), eps=0.1), False),
]

emit("// Generated by Tests/Goldens/loss_goldens.py with torch " + torch.__version__ + "; do not edit.")
emit("enum LossGoldens {")
emit("    struct Case {")
emit("        let name: String; let inputs: [(values: [Double], shape: [Int], requiresGrad: Bool)]")
emit("        let value: [Double]; let valueShape: [Int]; let grads: [[Double]?]; let gradFns: [String]; let gradCheck: Bool")
emit("    }")
def chain(v):
    names = []; g = v.grad_fn
    while g is not None:
        names.append(g.name())
        nf = [n for n, _ in g.next_functions if n is not None and n.name() != 'torch::autograd::AccumulateGrad']
        g = nf[0] if nf else None
    return names
def emit_cases(var, cases):
    emit(f"    static let {var}: [Case] = [")
    for name, ins, f, gc in cases:
        ts = [t.clone().requires_grad_(g) for t, g in ins]
        v = f(*ts)
        (v * upstream(tuple(v.shape))).sum().backward()
        grads = ", ".join(arr(t.grad) if g else "nil" for t, (_, g) in zip(ts, ins))
        tensors = ", ".join(f"({arr(t)}, {shape(t)}, {num(g)})" for t, (_, g) in zip(ts, ins))
        emit(f"        Case(name: \"{name}\", inputs: [{tensors}],")
        emit(f"             value: {arr(v)}, valueShape: {shape(v)}, grads: [{grads}],")
        emit(f"             gradFns: [{', '.join(swift_string(c) for c in chain(v))}], gradCheck: {num(gc)}),")
    emit("    ]")
emit_cases("cases", cases)

# CTC: log-probabilities [T, N, C] from a ramp, padded or concatenated targets.
def ctc_lp(T, N, C): return ramp((T, N, C), 0.41, 0.3).log_softmax(2)
ctc_cases = [
    # name, log_probs, targets, input_lengths, target_lengths, kwargs
    ("ctc", ctc_lp(6, 3, 5), torch.tensor([[1, 2, 2], [3, 1, 0], [4, 4, 4]]), [6, 5, 6], [3, 2, 1], {}),
    ("ctcSum", ctc_lp(6, 3, 5), torch.tensor([[1, 2, 2], [3, 1, 0], [4, 4, 4]]), [6, 5, 6], [3, 2, 1], {"reduction": "sum"}),
    ("ctcNone", ctc_lp(6, 3, 5), torch.tensor([[1, 2, 2], [3, 1, 0], [4, 4, 4]]), [6, 5, 6], [3, 2, 1], {"reduction": "none"}),
    ("ctcConcatenatedBlank", ctc_lp(7, 2, 4), torch.tensor([0, 1, 1, 2, 0]), [7, 6], [3, 2], {"blank": 3}),
    ("ctcEmptyTarget", ctc_lp(5, 2, 4), torch.tensor([[1, 2], [0, 0]]), [5, 4], [2, 0], {"reduction": "none"}),
    ("ctcZeroInfinity", ctc_lp(4, 2, 4), torch.tensor([[1, 1, 1], [2, 3, 1]]), [2, 4], [3, 3], {"zero_infinity": True}),
    ("ctcZeroInfinityNone", ctc_lp(4, 2, 4), torch.tensor([[1, 1, 1], [2, 3, 1]]), [2, 4], [3, 3], {"zero_infinity": True, "reduction": "none"}),
]
emit("    struct CTCCase {")
emit("        let name: String; let logProbs: [Double]; let shape: [Int]; let targets: [Int64]; let targetShape: [Int]")
emit("        let inputLengths: [Int]; let targetLengths: [Int]; let blank: Int; let reduction: String; let zeroInfinity: Bool")
emit("        let value: [Double]; let valueShape: [Int]; let grad: [Double]; let gradFns: [String]")
emit("    }")
emit("    static let ctcCases: [CTCCase] = [")
for name, lp, tg, il, tl, kw in ctc_cases:
    x = lp.clone().requires_grad_()
    v = F.ctc_loss(x, tg, torch.tensor(il), torch.tensor(tl), **kw)
    (v * upstream(tuple(v.shape))).sum().backward()
    emit(f"        CTCCase(name: \"{name}\", logProbs: {arr(x)}, shape: {shape(x)}, targets: {[int(t) for t in tg.reshape(-1).tolist()]}, targetShape: {shape(tg)},")
    emit(f"                inputLengths: {il}, targetLengths: {tl}, blank: {kw.get('blank', 0)}, reduction: \"{kw.get('reduction', 'mean')}\", zeroInfinity: {num(kw.get('zero_infinity', False))},")
    emit(f"                value: {arr(v)}, valueShape: {shape(v)}, grad: {arr(x.grad)}, gradFns: [{', '.join(swift_string(c) for c in chain(v))}]),")
emit("    ]")

def message(f):
    try: f(); return "OK"
    except Exception as e: return str(e)
x = torch.zeros(4, 3)
LP2 = ctc_lp(5, 2, 4).requires_grad_()
errors = {
    "cosineTargetRank": lambda: F.cosine_embedding_loss(x, x, torch.zeros(4, 1)),
    "cosineInputRank": lambda: F.cosine_embedding_loss(x, torch.zeros(4), torch.zeros(4)),
    "cosineUnbatchedRank": lambda: F.cosine_embedding_loss(x, x, torch.tensor(1.0)),
    "marginRankingRank": lambda: F.margin_ranking_loss(torch.zeros(3), torch.zeros(3), torch.zeros(1, 3)),
    "tripletMargin": lambda: F.triplet_margin_loss(x, x, x, margin=0.0),
    "tripletRank": lambda: F.triplet_margin_loss(x, torch.zeros(3), x),
    "klIntegral": lambda: F.kl_div(torch.zeros(3, dtype=torch.long), torch.zeros(3)),
    "gaussianNegative": lambda: F.gaussian_nll_loss(x, x, -torch.ones(4, 3)),
    "gaussianSize": lambda: F.gaussian_nll_loss(x, x, torch.ones(3, 3)),
    "ctcInputLength": lambda: F.ctc_loss(ctc_lp(5, 2, 4), torch.tensor([[1, 2], [3, 3]]), torch.tensor([6, 4]), torch.tensor([2, 2])),
    "ctcTargetWidth": lambda: F.ctc_loss(ctc_lp(5, 2, 4), torch.tensor([[1, 2], [3, 3]]), torch.tensor([5, 4]), torch.tensor([3, 2])),
    "ctcBlank": lambda: F.ctc_loss(ctc_lp(5, 2, 4), torch.tensor([[1, 2], [3, 3]]), torch.tensor([5, 4]), torch.tensor([2, 2]), blank=4),
    "ctcBatch": lambda: F.ctc_loss(ctc_lp(5, 2, 4), torch.tensor([[1, 2], [3, 3]]), torch.tensor([5]), torch.tensor([2, 2])),
    "ctcConcatenated": lambda: F.ctc_loss(ctc_lp(5, 2, 4), torch.tensor([1, 2, 3]), torch.tensor([5, 4]), torch.tensor([2, 2])),
    "ctcSecondOrder": lambda: torch.autograd.grad(torch.autograd.grad(F.ctc_loss(LP2, torch.tensor([[1, 2], [3, 3]]), torch.tensor([5, 4]), torch.tensor([2, 2])), LP2, create_graph=True)[0].sum(), LP2),
}
emit("    /// PyTorch's messages for bad input.")
emit("    static let errors: [String: String] = [")
for k, f in errors.items(): emit(f"        \"{k}\": {swift_string(message(f))},")
emit("    ]")
emit("}")
print("\n".join(out))
