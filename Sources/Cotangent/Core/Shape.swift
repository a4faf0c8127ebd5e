/// Shape and stride arithmetic shared by every op.
enum Shape {
    /// Row-major strides for a shape.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = running
            running *= max(shape[i], 1)
        }
        return strides
    }

    static func count(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Wraps a possibly negative dim into `0..<rank`, failing as PyTorch does.
    /// A rank-0 tensor accepts dims -1 and 0, as in PyTorch.
    static func normalize(dim: Int, rank: Int, op: String) -> Int {
        let r = max(rank, 1)
        check(dim >= -r && dim < r, op,
              "Dimension out of range (expected to be in range of [\(-r), \(r - 1)], but got \(dim))")
        return dim < 0 ? dim + r : dim
    }

    /// The broadcast shape of two shapes (NumPy rules), or a PyTorch-worded failure.
    static func broadcast(_ a: [Int], _ b: [Int], op: String) -> [Int] {
        if a == b { return a }
        let n = max(a.count, b.count)
        var out = [Int](repeating: 1, count: n)
        for i in 0..<n {
            let da = i < n - a.count ? 1 : a[i - (n - a.count)]
            let db = i < n - b.count ? 1 : b[i - (n - b.count)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                fail(op, "The size of tensor a (\(da)) must match the size of tensor b (\(db)) at non-singleton dimension \(i)")
            }
        }
        return out
    }

    /// Strides that read a tensor of `shape`/`strides` as if expanded to `target`.
    static func broadcastStrides(shape: [Int], strides: [Int], to target: [Int]) -> [Int] {
        if shape == target { return strides }
        var out = [Int](repeating: 0, count: target.count)
        let lead = target.count - shape.count
        for i in 0..<shape.count where shape[i] != 1 || target[lead + i] == 1 {
            out[lead + i] = strides[i]
        }
        return out
    }
}

/// An iteration space ready for a kernel: dims of size 1 dropped and neighbouring
/// dims merged wherever every operand is contiguous across them.
struct KernelLayout {
    var shape: [Int64]
    var strides: [[Int64]]

    init(shape: [Int], strides operands: [[Int]]) {
        var dims: [Int] = []
        for d in 0..<shape.count where shape[d] != 1 { dims.append(d) }
        var outShape: [Int64] = []
        var outStrides = [[Int64]](repeating: [], count: operands.count)
        for d in dims {
            if let last = outShape.last,
               operands.indices.allSatisfy({ k in outStrides[k].last! == Int64(operands[k][d] * shape[d]) }) {
                outShape[outShape.count - 1] = last * Int64(shape[d])
                for k in operands.indices { outStrides[k][outStrides[k].count - 1] = Int64(operands[k][d]) }
            } else {
                outShape.append(Int64(shape[d]))
                for k in operands.indices { outStrides[k].append(Int64(operands[k][d])) }
            }
        }
        if outShape.isEmpty {
            outShape = [1]
            outStrides = [[Int64]](repeating: [0], count: operands.count)
        }
        self.shape = outShape
        self.strides = outStrides
    }

    var ndim: Int32 { Int32(shape.count) }
}
