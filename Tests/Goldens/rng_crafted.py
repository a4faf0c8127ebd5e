# Crafted draws for RandomTests.swift: a state whose next tempered outputs are chosen words,
# written through set_rng_state (left = 624, next = 1, words[1...] = untempered outputs).
import struct, torch

def untemper(y):
    y ^= y >> 18
    y ^= (y << 15) & 0xEFC60000
    t = y
    for _ in range(5): t = y ^ ((t << 7) & 0x9D2C5680)
    y = t & 0xFFFFFFFF
    t = y
    for _ in range(3): t = y ^ (t >> 11)
    return t & 0xFFFFFFFF

def temper(y):
    y ^= y >> 11; y ^= (y << 7) & 0x9D2C5680; y ^= (y << 15) & 0xEFC60000; y ^= y >> 18
    return y & 0xFFFFFFFF

def set_outputs(outs):
    assert len(outs) <= 623
    st = torch.get_rng_state().clone()
    b = bytearray(st.numpy().tobytes())
    struct.pack_into('<i', b, 8, 624); struct.pack_into('<Q', b, 16, 1)
    for i in range(624):
        w = untemper(outs[i - 1]) if 1 <= i <= len(outs) else 0
        assert 1 > i or i > len(outs) or temper(w) == outs[i - 1]
        struct.pack_into('<Q', b, 24 + 8 * i, w)
    struct.pack_into('<i', b, 5040, 0)
    torch.set_rng_state(torch.tensor(list(b), dtype=torch.uint8))

def bits(t):
    t = t.contiguous().flatten()
    if t.dtype == torch.float32: return [struct.unpack('<I', struct.pack('<f', v))[0] for v in t.tolist()]
    return [struct.unpack('<Q', struct.pack('<d', v))[0] for v in t.tolist()]
def hx(vs, w): return ", ".join(("0x%0" + str(w) + "x") % v for v in vs)

# float32 block normal: radius half (lanes 0-7) and angle half (lanes 8-15)
radius = [0, 1, 2, 3, 0xFFFFFF, 0xFFFFFE, 0xFFFFFD, 1 << 23, (1 << 23) + 1, (1 << 23) - 1,
          4913932, 4913933, 4913934, 4913935, 1 << 22, 1 << 21, 1 << 20, 0xC00000, 0xE00000,
          0xF00000, 0xFF0000, 0xFFF000, 0xFFFF00, 12345]
angle = [m * (1 << 21) + d for m in range(9) for d in (-2, -1, 0, 1, 2) if 0 <= m * (1 << 21) + d < (1 << 24)]
blocks = max((len(radius) + 7) // 8, (len(angle) + 7) // 8)
ks = []
for b in range(blocks):
    ks += [radius[(8 * b + j) % len(radius)] for j in range(8)]
    ks += [angle[(8 * b + j) % len(angle)] for j in range(8)]
outs = [0xA5000000 | k for k in ks]   # high bits must be ignored
set_outputs(outs)
print(f"crafted f32 k ({len(ks)}): [{hx(ks, 6)}]")
print(f"crafted randn f32: [{hx(bits(torch.randn(len(ks))), 8)}]")
set_outputs(outs)
print(f"crafted normal(0.5,2.5) f32: [{hx(bits(torch.empty(len(ks)).normal_(0.5, 2.5)), 8)}]")

# float64 block normal with extreme 53-bit draws
k53 = [0, 1, (1 << 53) - 1, (1 << 53) - 2, 1 << 52, (1 << 52) - 1, 1 << 51, 12345678901234,
       0, 1 << 50, (1 << 53) - 1, 3 << 50, 5 << 50, 7 << 50, 1, 2]
outs64 = []
for k in k53: outs64 += [0xFFE00000 | (k >> 32), k & 0xFFFFFFFF]
set_outputs(outs64)
print(f"crafted f64 k53: [{hx(k53, 14)}]")
print(f"crafted randn f64: [{hx(bits(torch.randn(16, dtype=torch.float64)), 16)}]")
set_outputs(outs64)
print(f"crafted scalar randn f64 (8): [{hx(bits(torch.randn(8, dtype=torch.float64)), 16)}]")

# Upper-bound guard (§5.7)
set_outputs([0xFFFFFF, 0xFFFFFF, 0, 0xFFFFFF])
print(f"guard f32 uniform_(1,2) [k=max,max,0,max]: [{hx(bits(torch.empty(4).uniform_(1, 2)), 8)}]")
set_outputs([0xFFFFFFFF] * 4 + [0, 0])
print(f"guard f64 uniform_(1,2) [k=max,max,0]: [{hx(bits(torch.empty(3, dtype=torch.float64).uniform_(1, 2)), 16)}]")
set_outputs([0xFFFFFF] * 3)
print(f"guard f32 uniform_(-3,7) k=max: [{hx(bits(torch.empty(3).uniform_(-3, 7)), 8)}]")
