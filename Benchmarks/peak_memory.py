#!/usr/bin/env python3
"""Peak resident memory of a 10-epoch MLP training run on the digits:
`cotangent train mlp --epochs 10` against the same training in PyTorch
(Linear(64,256)-ReLU-Linear(256,10), cross-entropy, SGD lr 0.1 momentum 0.9,
batch 64, the same randperm(seed 0) split), each in its own child process.

    ../shared/tools/torch-ref Benchmarks/peak_memory.py [--binary PATH]
"""
import argparse, os, resource, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TORCH_RUN = r'''
import torch, torch.nn as nn
torch.manual_seed(0)
rows = [list(map(int, l.split(","))) for l in open(%r) if l.strip()]
data = torch.tensor(rows)
x, y = data[:, :64].float() / 16, data[:, 64]
perm = torch.randperm(len(rows), generator=torch.Generator().manual_seed(0))
train, test = perm[:1437], perm[1437:]
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[train], y[train]), batch_size=64, shuffle=True)
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(10):
    for xb, yb in loader:
        opt.zero_grad(); loss_fn(model(xb), yb).backward(); opt.step()
with torch.no_grad():
    print("torch test accuracy", (model(x[test]).argmax(1) == y[test]).float().mean().item())
'''


def peak_rss_mib(args):
    """Runs a command in a fresh child and returns its peak RSS in MiB."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True).stdout
    return int(out.split()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "cotangent"))
    args = parser.parse_args()
    ours = peak_rss_mib([args.binary, "train", "mlp", "--epochs", "10"])
    csv = os.path.join(ROOT, "Sources", "Cotangent", "Resources", "digits.csv")
    theirs = peak_rss_mib([sys.executable, "-c", TORCH_RUN % csv])
    print(f"peak RSS, 10-epoch MLP on the digits: Cotangent {ours:.1f} MiB, PyTorch {theirs:.1f} MiB, "
          f"ratio {ours / theirs:.3f}")


if __name__ == "__main__":
    main()
