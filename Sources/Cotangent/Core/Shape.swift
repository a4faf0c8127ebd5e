/// Shape and stride arithmetic shared by every op.
enum Shape {
    private static let unitStride = [1]

    /// Row-major strides for a shape.
    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        // Shared arrays for the common small ranks: no allocation per tensor.
        switch shape.count {
        case 0: return []
        case 1: return unitStride
        default: break
        }
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = running
            running *= max(shape[i], 1)
        }
        return strides
    }

    static func count(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape { n *= d }
        return n
    }

    /// Whether strides are the row-major strides of `shape` (ignoring size-1 dims).
    static func isRowMajor(shape: [Int], strides: [Int]) -> Bool {
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

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
        // A 0-d operand (a wrapped Swift number) takes the other's shape: no new array.
        if b.isEmpty { return a }
        if a.isEmpty || a == b { return b }
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

    /// Whether two shapes broadcast together.
    static func broadcastable(_ a: [Int], _ b: [Int]) -> Bool {
        zip(a.reversed(), b.reversed()).allSatisfy { $0 == $1 || $0 == 1 || $1 == 1 }
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

/// Builds a kernel's iteration space on the stack: dims of size 1 dropped and
/// neighbouring dims merged wherever every operand is contiguous across them.
///
/// `body` receives the number of dims, the sizes, and one stride array per
/// operand (in the order of `strides`), all valid only during the call.
/// Contiguous operands of the output's shape, and scalars, take a fast path.
@inline(__always)
func withKernelLayout<R>(shape: [Int], strides operands: [[Int]],
                         _ body: (Int32, UnsafePointer<Int64>, UnsafeBufferPointer<UnsafePointer<Int64>>) -> R) -> R {
    let k = operands.count, rank = shape.count
    return withUnsafeTemporaryAllocation(of: Int64.self, capacity: (k + 1) * Swift.max(rank, 1)) { buffer in
        let base = buffer.baseAddress!
        var ndim = 0
        for d in 0..<rank where shape[d] != 1 {
            var merges = ndim > 0
            if merges {
                for j in 0..<k where base[(j + 1) * rank + ndim - 1] != Int64(operands[j][d] * shape[d]) {
                    merges = false
                    break
                }
            }
            if merges {
                base[ndim - 1] *= Int64(shape[d])
                for j in 0..<k { base[(j + 1) * rank + ndim - 1] = Int64(operands[j][d]) }
            } else {
                base[ndim] = Int64(shape[d])
                for j in 0..<k { base[(j + 1) * rank + ndim] = Int64(operands[j][d]) }
                ndim += 1
            }
        }
        // The operands' stride pointers on the stack too (an array would be one allocation per call).
        return withUnsafeTemporaryAllocation(of: UnsafePointer<Int64>.self, capacity: k) { pointers in
            if ndim == 0 {
                // A single element: one dim of size 1 (strides are irrelevant).
                let stride = Swift.max(rank, 1)
                base[0] = 1
                for j in 0..<k {
                    base[(j + 1) * stride] = 0
                    pointers.initializeElement(at: j, to: UnsafePointer(base + (j + 1) * stride))
                }
                return body(1, base, UnsafeBufferPointer(pointers))
            }
            for j in 0..<k { pointers.initializeElement(at: j, to: UnsafePointer(base + (j + 1) * rank)) }
            return body(Int32(ndim), base, UnsafeBufferPointer(pointers))
        }
    }
}
