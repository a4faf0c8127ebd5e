# Development check: PyTorch and NumPy read the files Cotangent writes.
#   (write them with a small program calling Safetensors.write / NPY.write, then)
#   /work/shared/tools/torch-ref Tests/Goldens/check_cotangent_files.py DIR
# DIR holds cotangent.safetensors (a state dict of Sequential(Linear(4, 3), ReLU(),
# LayerNorm(3), Linear(3, 2)) after manualSeed(3), plus extra tensors) and t.npy,
# b.npy, i.npy, s.npy. The Linear weights must equal PyTorch's own after the same seed.
import sys, numpy as np, torch, torch.nn as nn
from safetensors.torch import load_file
from safetensors import safe_open

d = sys.argv[1]
tensors = load_file(f"{d}/cotangent.safetensors")
with safe_open(f"{d}/cotangent.safetensors", "pt") as f:
    assert f.metadata() == {"writer": "cotangent"}, f.metadata()
torch.manual_seed(3)
model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.LayerNorm(3), nn.Linear(3, 2))
model.load_state_dict({k: v for k, v in tensors.items() if k[0].isdigit()})   # strict: names and shapes agree
torch.manual_seed(3)
reference = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.LayerNorm(3), nn.Linear(3, 2))
for (k, a), (_, b) in zip(model.state_dict().items(), reference.state_dict().items()):
    assert torch.equal(a, b), k   # PyTorch's initialisation, bit for bit
assert tensors["ints"].tolist() == [-2**63, -1, 0, 5, 2**63 - 1]
assert tensors["int32"].dtype == torch.int32 and tensors["int32"].tolist() == [[1, -2, 3]]
assert tensors["mask"].tolist() == [True, False, False, True]
assert tensors["double"].dtype == torch.float64 and tensors["double"].shape == (2, 2)
assert tensors["scalar"].shape == () and tensors["scalar"].item() == 1.5
assert tensors["empty"].shape == (0, 5)
assert tensors["view"].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
assert np.load(f"{d}/t.npy").tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
assert np.load(f"{d}/b.npy").tolist() == [True, False]
assert np.load(f"{d}/i.npy").dtype == np.int64 and np.load(f"{d}/i.npy").tolist() == [7, 8]
assert np.load(f"{d}/s.npy").shape == () and float(np.load(f"{d}/s.npy")) == 2.5
print("PyTorch and NumPy read Cotangent's files:", sorted(tensors))
