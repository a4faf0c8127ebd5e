"""One epoch of `cotangent train lenet`'s network in PyTorch, for comparison.

    ../shared/tools/torch-ref Benchmarks/lenet_epoch.py

LeNet with ReLU and max pooling, Xavier-uniform weights, Adam (lr 1e-3),
batch 128, shuffled, on Debian's Fashion-MNIST; then the test set in eval
mode in chunks of 500, as the Swift command does. Prints the epoch's seconds
(training and test) and the process's peak resident memory.
"""
import gzip, resource, time
import numpy as np
import torch
from torch import nn

ROOT = "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(f"{ROOT}/{name}.gz") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


torch.manual_seed(0)
x = torch.from_numpy(idx("train-images-idx3-ubyte").copy()).float().div(255).unsqueeze(1)
y = torch.from_numpy(idx("train-labels-idx1-ubyte").copy()).long()
tx = torch.from_numpy(idx("t10k-images-idx3-ubyte").copy()).float().div(255).unsqueeze(1)
ty = torch.from_numpy(idx("t10k-labels-idx1-ubyte").copy()).long()
net = nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
    nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
for m in net.modules():
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=128, shuffle=True)
loss_fn = nn.CrossEntropyLoss()
start = time.perf_counter()
net.train()
for xb, yb in loader:
    opt.zero_grad()
    loss = loss_fn(net(xb), yb)
    loss.backward()
    opt.step()
net.eval()
correct = 0
with torch.no_grad():
    for i in range(0, len(ty), 500):
        correct += (net(tx[i:i + 500]).argmax(1) == ty[i:i + 500]).sum().item()
seconds = time.perf_counter() - start
print(f"pytorch lenet epoch: {seconds:.1f} s, test accuracy {correct / len(ty):.3f}, "
      f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB, threads {torch.get_num_threads()}")
