# Extra goldens for Tests/CotangentTests/RandomTests.swift, from the reference PyTorch.
import math, struct, torch
torch.set_num_threads(1)
print("# torch", torch.__version__, torch.backends.cpu.get_cpu_capability())

def bits(t):
    t = t.contiguous().flatten()
    if t.dtype == torch.float32: return [struct.unpack('<I', struct.pack('<f', v))[0] for v in t.tolist()]
    if t.dtype == torch.float64: return [struct.unpack('<Q', struct.pack('<d', v))[0] for v in t.tolist()]
    return t.tolist()

def fnv(t):
    t = t.contiguous().flatten()
    raw = t.numpy().tobytes()
    h = 0xcbf29ce484222325
    for b in raw:
        h ^= b; h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

def hx(vs, w): return ", ".join(("0x%0" + str(w) + "x") % v for v in vs)

def sampled(name, t, idx):
    b = bits(t); w = 8 if t.dtype == torch.float32 else 16
    print(f"{name}: n={t.numel()} hash=0x{fnv(t):016x}")
    print(f"   idx=[{', '.join(map(str, idx))}]")
    print(f"   bits=[{hx([b[i] for i in idx], w)}]")

def full(name, t):
    w = 8 if t.dtype == torch.float32 else 16
    print(f"{name}: [{hx(bits(t), w)}]")

torch.manual_seed(123); sampled("randn1000f32 seed123", torch.randn(1000), [0,1,7,8,15,16,500,983,984,998,999])
torch.manual_seed(123); sampled("randn1000f64 seed123", torch.randn(1000, dtype=torch.float64), [0,1,7,8,15,16,500,983,984,998,999])
torch.manual_seed(5); full("rand100f64 seed5", torch.rand(100, dtype=torch.float64))
torch.manual_seed(5); sampled("rand100f64 seed5", torch.rand(100, dtype=torch.float64), [0, 99])
torch.manual_seed(2024); sampled("randn100003f32 seed2024", torch.randn(100_003), [0,1,8,9,4242,50000,99984,99986,99990,99999,100002])
torch.manual_seed(77); sampled("randn200000f32 seed77", torch.randn(200_000), [0,12345,199999])
torch.manual_seed(2024); sampled("randn100003f64 seed2024", torch.randn(100_003, dtype=torch.float64), [0,50000,100002])
torch.manual_seed(9); sampled("rand100003f32 seed9", torch.rand(100_003), [0, 100002])
torch.manual_seed(9); sampled("uniform(-3,7) 100003 f32 seed9", torch.empty(100_003).uniform_(-3, 7), [0, 1, 2, 3, 100002])
torch.manual_seed(9); sampled("uniform(-3,7) 1003 f64 seed9", torch.empty(1003, dtype=torch.float64).uniform_(-3, 7), [0, 1, 2, 1002])
torch.manual_seed(11); sampled("normal(-1.5,0.3) 1000 f32 seed11", torch.empty(1000).normal_(-1.5, 0.3), [0, 1, 999])
torch.manual_seed(11); sampled("normal(-1.5,0.3) 1000 f64 seed11", torch.empty(1000, dtype=torch.float64).normal_(-1.5, 0.3), [0, 1, 999])
torch.manual_seed(11); sampled("normal(-1.5,0.3) 15 f32 seed11", torch.empty(15).normal_(-1.5, 0.3), [0, 14])

torch.manual_seed(7)
lin = torch.nn.Linear(20, 30)
sampled("linear20x30 weight seed7", lin.weight.detach(), [0, 1, 2, 19, 20, 599])
sampled("linear20x30 bias seed7", lin.bias.detach(), [0, 1, 29])
full("linear20x30 bias seed7", lin.bias.detach())

# randint ranges around the 2^28 switch and at the int64 extremes
for (lo, hi, seed) in [(0, 2**28 - 1, 3), (0, 2**28, 3), (0, 2**28 + 1, 3), (-2**40, 2**40, 4), (0, 2**32, 4), (-2**63, 2**63 - 1, 5), (1000, 1001, 6)]:
    torch.manual_seed(seed)
    print(f"randint({lo},{hi}) seed{seed}:", torch.randint(lo, hi, (6,)).tolist())
torch.manual_seed(12); sampled("randint(-7,100) 10000 seed12", torch.randint(-7, 100, (10000,)), [0, 9999])

for n in [0, 1, 2, 3]:
    torch.manual_seed(0); print(f"randperm({n}) seed0:", torch.randperm(n).tolist(), "then rand", bits(torch.rand(1)))
torch.manual_seed(31); sampled("randperm(1000) seed31", torch.randperm(1000), [0, 1, 999])

# Non-contiguous target: filled in memory order on the scalar path, though 20 >= 16.
torch.manual_seed(3); x = torch.empty(4, 5).t(); x.normal_()
full("transposed normal_ 4x5 seed3 (memory order)", x.t())

# Cache across dtypes, mean and std
torch.manual_seed(8)
a = torch.randn(1)
b = torch.normal(5.0, 2.0, size=(1,), dtype=torch.float64)
c = torch.randn(1, dtype=torch.float64)
full("cache seq a f32", a); full("cache seq b f64 normal(5,2)", b); full("cache seq c f64", c)

# Default generator seed and stream
g = torch.Generator()
print("fresh generator initial_seed", g.initial_seed(), "rand(3):", hx(bits(torch.rand(3, generator=g)), 8))

# Mixed sequence and the final state
torch.manual_seed(42)
s1 = torch.randn(5); s2 = torch.rand(3, dtype=torch.float64); s3 = torch.randint(0, 100, (4,))
s4 = torch.randn(20, dtype=torch.float64); s5 = torch.randn(1, dtype=torch.float64)
s6 = torch.normal(1.0, 2.0, size=(7,)); s7 = torch.randperm(5); s8 = torch.empty(33).uniform_(-2, 3)
s9 = torch.randn(3)
for n, t in [("s1", s1), ("s2", s2), ("s5", s5), ("s6", s6), ("s9", s9)]: full("mixed " + n, t)
print("mixed s3", s3.tolist(), "s7", s7.tolist())
sampled("mixed s4", s4, [0, 19]); sampled("mixed s8", s8, [0, 32])
st = torch.get_rng_state()
print("mixed final state hash", hex(fnv(st)), "left", struct.unpack('<i', bytes(st[8:12].tolist()))[0], "next", struct.unpack('<Q', bytes(st[16:24].tolist()))[0], "cache valid", st[5040].item())
torch.manual_seed(0); torch.randn(3); print("state after seed0 randn(3) hash", hex(fnv(torch.get_rng_state())))
torch.manual_seed(2**40 + 3); print("state after seed 2^40+3 hash", hex(fnv(torch.get_rng_state())), torch.initial_seed())
torch.manual_seed(1); torch.rand(700); print("state after seed1 rand(700) hash", hex(fnv(torch.get_rng_state())))
