// Contractions built on the GEMM: einsum and tensordot (composites, contracted
// through mm/bmm after permuting and reshaping), kron (a composite), and the
// fused primitives baddbmm, addmv, addr and cdist, which PyTorch records as
// nodes of their own.

/// One operand of an einsum: its tensor and a label per dim (0..<52 for
/// letters, 52 + k for the k-th ellipsis dim, counted from the left).
private struct LabeledOperand {
    var tensor: Tensor
    var labels: [Int]
}

private let ellipsisLabel = -1

extension Tensor {
    /// Sums products of the operands' elements over the indices an equation
    /// names (`torch.einsum`).
    ///
    /// Accepts every equation PyTorch accepts: an explicit output (`"ij,jk->ik"`)
    /// or the implicit one (the labels that appear once, in alphabetical order,
    /// after the ellipsis dims), `...` for broadcast dims, a label repeated in
    /// one operand for a diagonal (`"ii->i"`, or the trace `"ii"`), and labels
    /// absent from the output summed over. Size-1 dims broadcast. Operands are
    /// contracted pairwise from left to right, each pair through one `mm`/`bmm`
    /// after permuting and reshaping (or a broadcast multiply when nothing is
    /// summed), so large contractions run on the GEMM.
    ///
    /// ```swift
    /// let c = Tensor.einsum("bij,bjk->bik", [a, b])   // batched matmul
    /// ```
    ///
    /// - Parameters:
    ///   - equation: Subscripts in `[a-zA-Z]` per operand, separated by commas,
    ///     optionally `->` and the output subscripts; spaces are ignored.
    ///   - operands: The tensors, one per comma-separated term.
    /// - Returns: The contraction; its node is the one of the last op it ran.
    public static func einsum(_ equation: String, _ operands: [Tensor]) -> Tensor {
        let op = "einsum"
        check(!operands.isEmpty, op, "einsum(): must specify the equation string and at least one operand, or at least one operand and its subscripts list")
        let chars = Array(equation.utf8)
        var arrow: Int? = nil
        if chars.count >= 2 {
            for i in 0..<(chars.count - 1) where chars[i] == UInt8(ascii: "-") && chars[i + 1] == UInt8(ascii: ">") {
                arrow = i; break
            }
        }
        let lhs = Array(chars[0..<(arrow ?? chars.count)])

        func labelIndex(_ c: UInt8) -> Int? {
            if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { return Int(c - UInt8(ascii: "A")) }
            if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") { return 26 + Int(c - UInt8(ascii: "a")) }
            return nil
        }
        func labelText(_ l: Int) -> String {
            String(UnicodeScalar(UInt8(l < 26 ? Int(UInt8(ascii: "A")) + l : Int(UInt8(ascii: "a")) + l - 26)))
        }

        // Parse the operands' subscripts, as PyTorch's parser does.
        var opLabels: [[Int]] = [[]]
        var foundEllipsis = false
        var i = 0
        while i < lhs.count {
            let c = lhs[i]
            switch c {
            case UInt8(ascii: " "): break
            case UInt8(ascii: "."):
                let current = opLabels.count - 1
                check(!foundEllipsis, op, "einsum(): found '.' for operand \(current) for which an ellipsis was already found")
                check(i + 2 < lhs.count && lhs[i + 1] == UInt8(ascii: ".") && lhs[i + 2] == UInt8(ascii: "."), op,
                      "einsum(): found '.' for operand \(current) that is not part of any ellipsis")
                i += 2
                opLabels[current].append(ellipsisLabel)
                foundEllipsis = true
            case UInt8(ascii: ","):
                check(opLabels.count < operands.count, op, "einsum(): fewer operands were provided than specified in the equation")
                opLabels.append([])
                foundEllipsis = false
            default:
                guard let l = labelIndex(c) else {
                    fail(op, "einsum(): invalid subscript given at index \(i) in the equation string, subscripts must be in [a-zA-Z]")
                }
                opLabels[opLabels.count - 1].append(l)
            }
            i += 1
        }
        check(opLabels.count == operands.count, op, "einsum(): more operands were provided than specified in the equation")

        // Count labels and find how many dims the ellipsis covers.
        var labelCount = [Int](repeating: 0, count: 52)
        var ellipsisDims = 0
        for (k, labels) in opLabels.enumerated() {
            let dims = operands[k].rank
            var named = 0, hasEllipsis = false
            for l in labels {
                if l == ellipsisLabel { hasEllipsis = true } else { named += 1; labelCount[l] += 1 }
            }
            if hasEllipsis {
                check(named <= dims, op, "einsum(): the number of subscripts in the equation (\(named)) is more than the number of dimensions (\(dims)) for operand \(k)")
                ellipsisDims = Swift.max(ellipsisDims, dims - named)
            } else {
                check(named == dims, op, "einsum(): the number of subscripts in the equation (\(named)) does not match the number of dimensions (\(dims)) for operand \(k) and no ellipsis was given")
            }
        }
        let anyEllipsis = opLabels.contains { $0.contains(ellipsisLabel) }
        let ellipsisLabels = (0..<ellipsisDims).map { 52 + $0 }

        // The output's labels.
        var output: [Int] = []
        if let arrow {
            let rhs = Array(chars[(arrow + 2)...])
            var seen = Set<Int>(), outEllipsis = false
            var j = 0
            while j < rhs.count {
                let c = rhs[j]
                switch c {
                case UInt8(ascii: " "): break
                case UInt8(ascii: "."):
                    check(!outEllipsis, op, "einsum(): found '.' for output but an ellipsis (...) was already found")
                    check(j + 2 < rhs.count && rhs[j + 1] == UInt8(ascii: ".") && rhs[j + 2] == UInt8(ascii: "."), op,
                          "einsum(): found '.' for output that is not part of any ellipsis (...)")
                    j += 2
                    outEllipsis = true
                    output += ellipsisLabels
                default:
                    guard let l = labelIndex(c) else {
                        fail(op, "einsum(): invalid subscript given at index \(lhs.count + 2 + j) in the equation string, subscripts must be in [a-zA-Z]")
                    }
                    check(labelCount[l] > 0 && !seen.contains(l), op, "einsum(): output subscript \(labelText(l))"
                          + (seen.contains(l) ? " appears more than once in the output" : " does not appear in the equation for any input operand"))
                    seen.insert(l)
                    output.append(l)
                }
                j += 1
            }
        } else {
            output = (anyEllipsis ? ellipsisLabels : []) + (0..<52).filter { labelCount[$0] == 1 }
        }

        // Each operand with its labels: ellipsis expanded (right-aligned), sizes
        // checked, repeated labels turned into diagonals.
        var sizes = [Int: Int]()
        var labeled: [LabeledOperand] = []
        for (k, labels) in opLabels.enumerated() {
            let t = operands[k]
            var expanded: [Int] = []
            let named = labels.filter { $0 != ellipsisLabel }.count
            for l in labels {
                if l == ellipsisLabel {
                    let e = t.rank - named
                    expanded += ellipsisLabels.suffix(e)
                } else {
                    expanded.append(l)
                }
            }
            var firstSize = [Int: Int]()
            for (d, l) in expanded.enumerated() {
                let s = t.shape[d]
                if let previous = firstSize[l] {
                    check(previous == s, op, "einsum(): subscript \(labelText(l)) is repeated for operand \(k) but the sizes don't match, \(s) != \(previous)")
                    continue
                }
                firstSize[l] = s
                if let seen = sizes[l] {
                    if l < 52 {
                        check(seen == s || seen == 1 || s == 1, op, "einsum(): subscript \(labelText(l)) has size \(s) for operand \(k) which does not broadcast with previously seen size \(seen)")
                    } else {
                        check(seen == s || seen == 1 || s == 1, op, "einsum(): dimension \(l - 52) covered by ellipsis in operand \(k)has size \(s) which does not broadcast with previously seen ellipsis with size \(seen) for the respective dimension")
                    }
                    sizes[l] = Swift.max(seen, s)
                } else {
                    sizes[l] = s
                }
            }
            var operand = LabeledOperand(tensor: t, labels: expanded)
            while let (p, q) = Self.firstRepeat(operand.labels) {
                let l = operand.labels[p]
                operand.tensor = operand.tensor.diagonal(dim1: p, dim2: q)
                operand.labels.remove(at: q)
                operand.labels.remove(at: p)
                operand.labels.append(l)
            }
            labeled.append(operand)
        }

        // Sum out labels that appear in one operand only and not in the output.
        let outputSet = Set(output)
        var summedAlone = false
        for k in labeled.indices {
            let others = Set(labeled.indices.filter { $0 != k }.flatMap { labeled[$0].labels })
            let lonely = labeled[k].labels.indices.filter { !outputSet.contains(labeled[k].labels[$0]) && !others.contains(labeled[k].labels[$0]) }
            if !lonely.isEmpty {
                summedAlone = true
                labeled[k].tensor = labeled[k].tensor.sum(dim: lonely)
                labeled[k].labels = labeled[k].labels.indices.filter { !lonely.contains($0) }.map { labeled[k].labels[$0] }
            }
        }

        // Contract pairwise, left to right.
        var current = labeled[0]
        var lastSummed = 0
        for k in 1..<labeled.count {
            let keep = outputSet.union(labeled[(k + 1)...].flatMap(\.labels))
            (current, lastSummed) = Self.contract(current, labeled[k], keeping: keep, sizes: sizes)
        }

        // Put the dims in the output's order.
        // PyTorch permutes every operand into the output's order, so one
        // operand with nothing summed ends in a permute even when the order is
        // already right (`"ij"`, `"ii->i"` show PermuteBackward0 there too).
        let order = output.map { l in current.labels.firstIndex(of: l)! }
        let lone = labeled.count == 1 && !summedAlone
        if order != Array(0..<order.count) && lastSummed > 0 {
            // As PyTorch's sumproduct_pair: the summed dims stay as size 1 through
            // the permute and a view drops them, so the result is a view.
            let r = current.tensor.rank, outShape = order.map { current.tensor.shape[$0] }
            current.tensor = current.tensor.reshaped(current.tensor.shape + [Int](repeating: 1, count: lastSummed))
                .permuted(order + Array(r..<(r + lastSummed))).viewed(outShape, op: "einsum")
        } else if order != Array(0..<order.count) || lone {
            current.tensor = current.tensor.permuted(order)
        }
        return current.tensor
    }

    /// The first pair of positions holding the same label.
    private static func firstRepeat(_ labels: [Int]) -> (Int, Int)? {
        for q in labels.indices {
            if let p = labels[..<q].firstIndex(of: labels[q]) { return (p, q) }
        }
        return nil
    }

    /// Contracts two labelled operands, summing the labels they share that
    /// `keep` does not hold: one mm/bmm over (batch, left, summed) x (batch,
    /// summed, right), or a broadcast multiply when nothing is summed. Also
    /// returns how many labels it summed.
    private static func contract(_ a: LabeledOperand, _ b: LabeledOperand, keeping keep: Set<Int>,
                                 sizes: [Int: Int]) -> (LabeledOperand, summed: Int) {
        let inB = Set(b.labels), inA = Set(a.labels)
        let batch = a.labels.filter { inB.contains($0) && keep.contains($0) }
        let summed = a.labels.filter { inB.contains($0) && !keep.contains($0) }
        let left = a.labels.filter { !inB.contains($0) }
        let right = b.labels.filter { !inA.contains($0) }
        func arranged(_ x: LabeledOperand, _ labels: [Int]) -> Tensor {
            let order = labels.map { x.labels.firstIndex(of: $0)! }
            return order == Array(0..<order.count) ? x.tensor : x.tensor.permuted(order)
        }
        if summed.isEmpty {
            // Nothing to sum: line the dims up (batch, left, right) and multiply.
            var ta = arranged(a, batch + left), tb = arranged(b, batch + right)
            if !right.isEmpty { ta = ta.reshaped(ta.shape + [Int](repeating: 1, count: right.count)) }
            if !left.isEmpty {
                let batchShape = Array(tb.shape[..<batch.count]), rightShape = Array(tb.shape[batch.count...])
                tb = tb.reshaped(batchShape + [Int](repeating: 1, count: left.count) + rightShape)
            }
            return (LabeledOperand(tensor: ta * tb, labels: batch + left + right), 0)
        }
        // Broadcast size-1 dims the other operand has in full.
        func full(_ t: Tensor, _ labels: [Int]) -> Tensor {
            let target = labels.map { sizes[$0]! }
            return t.shape == target ? t : t.expanded(to: target)
        }
        let size = { (labels: [Int]) in labels.reduce(1) { $0 * sizes[$1]! } }
        let ta = full(arranged(a, batch + left + summed), batch + left + summed)
        let tb = full(arranged(b, batch + summed + right), batch + summed + right)
        let (n, m, k, p) = (size(batch), size(left), size(summed), size(right))
        let product: Tensor
        if batch.isEmpty {
            product = ta.reshaped([m, k]).mm(tb.reshaped([k, p]))
        } else {
            product = ta.reshaped([n, m, k]).bmm(tb.reshaped([n, k, p]))
        }
        let labels = batch + left + right
        return (LabeledOperand(tensor: product.reshaped(labels.map { sizes[$0]! }), labels: labels), summed.count)
    }

    /// Sums products over the last `dims` dims of `a` and the first `dims` of
    /// `b` (`torch.tensordot` with an integer), through one `mm`.
    public static func tensordot(_ a: Tensor, _ b: Tensor, dims: Int) -> Tensor {
        check(dims >= 0, "tensordot", "tensordot expects dims >= 0, but got dims=\(dims)")
        check(dims <= a.rank && dims <= b.rank, "tensordot", "tensordot expects dims < ndim_a or ndim_b, but got dims=\(dims)")
        // As torch.tensordot: the dims of `a` are counted from the end (-dims..<0).
        return tensordot(a, b, dims: (Array(-dims..<0), Array(0..<dims)))
    }

    /// Sums products over the listed dims of `a` and `b`, paired in order
    /// (`torch.tensordot` with two lists): `a`'s other dims, then `b`'s, in order.
    ///
    /// - Parameters:
    ///   - a: The first tensor.
    ///   - b: The second tensor.
    ///   - dims: The dims of `a` and the dims of `b` to contract, of equal sizes.
    /// - Returns: A tensor of shape (`a`'s free dims) + (`b`'s free dims).
    public static func tensordot(_ a: Tensor, _ b: Tensor, dims: ([Int], [Int])) -> Tensor {
        let op = "tensordot"
        check(dims.0.count == dims.1.count, op, "both dimension lists should have same length")
        let da = dims.0.map { Shape.normalize(dim: $0, rank: a.rank, op: op) }
        let db = dims.1.map { Shape.normalize(dim: $0, rank: b.rank, op: op) }
        for (k, (x, y)) in zip(da, db).enumerated() {
            check(a.shape[x] == b.shape[y], op, "contracted dimensions need to match, but first has size \(a.shape[x]) in dim \(dims.0[k]) and second has size \(b.shape[y]) in dim \(dims.1[k])")
        }
        let freeA = (0..<a.rank).filter { !da.contains($0) }, freeB = (0..<b.rank).filter { !db.contains($0) }
        let k = da.reduce(1) { $0 * a.shape[$1] }
        let m = freeA.reduce(1) { $0 * a.shape[$1] }, n = freeB.reduce(1) { $0 * b.shape[$1] }
        let left = a.permuted(freeA + da).reshaped([m, k])
        let right = b.permuted(db + freeB).reshaped([k, n])
        return left.mm(right).reshaped(freeA.map { a.shape[$0] } + freeB.map { b.shape[$0] })
    }

    /// The Kronecker product (`torch.kron`): for matrices, the block matrix
    /// whose (i, j) block is `self[i, j] * other`; lower ranks gain leading 1s.
    public func kron(_ other: Tensor) -> Tensor {
        let r = Swift.max(rank, other.rank)
        let sa = [Int](repeating: 1, count: r - rank) + shape, sb = [Int](repeating: 1, count: r - other.rank) + other.shape
        // Interleave: a as (a0, 1, a1, 1, ...), b as (1, b0, 1, b1, ...), multiply, merge pairs.
        let a = reshaped(sa.flatMap { [$0, 1] }), b = other.reshaped(sb.flatMap { [1, $0] })
        // PyTorch ends with `_unsafe_view` of the fresh product, so the node it shows is `UnsafeViewBackward0`.
        return (a * b).unsafeViewed(zip(sa, sb).map { $0 * $1 })
    }

    // MARK: Fused products with a term added

    /// `beta * input + alpha * (batch1 @ batch2)`, batch by batch (`torch.baddbmm`);
    /// with `beta` 0, `input` is ignored (NaN in it does not propagate).
    ///
    /// - Parameters:
    ///   - input: Broadcasts to `[b, n, p]`.
    ///   - batch1: A `[b, n, m]` tensor.
    ///   - batch2: A `[b, m, p]` tensor.
    ///   - beta: The factor of `input`.
    ///   - alpha: The factor of the product.
    /// - Returns: A `[b, n, p]` tensor, recorded as `BaddbmmBackward0`.
    public static func baddbmm(_ input: Tensor, _ batch1: Tensor, _ batch2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        // PyTorch reads size(2) of each batch first: lower ranks stop with its dim-range message.
        _ = Shape.normalize(dim: 2, rank: batch1.rank, op: "baddbmm")
        _ = Shape.normalize(dim: 2, rank: batch2.rank, op: "baddbmm")
        check(batch1.rank == 3, "baddbmm", "batch1 must be a 3D tensor")
        check(batch2.rank == 3, "baddbmm", "batch2 must be a 3D tensor")
        let result = withNoGrad { fused(input, batch1.bmm(batch2), beta: beta, alpha: alpha, op: "baddbmm") }
        return record("BaddbmmBackward0", inputs: [input, batch1, batch2], result: result, saving: [batch1, batch2]) { grad, saved in
            [saved.needsGrad(0) ? scaled(grad, beta) : nil,
             saved.needsGrad(1) ? scaled(grad.bmm(saved[1].transposed(1, 2)), alpha) : nil,
             saved.needsGrad(2) ? scaled(saved[0].transposed(1, 2).bmm(grad), alpha) : nil]
        }
    }

    /// `beta * input + alpha * (mat @ vec)` (`torch.addmv`); with `beta` 0, `input` is ignored.
    ///
    /// - Parameters:
    ///   - input: Broadcasts to `[n]`.
    ///   - mat: An `n` x `m` matrix.
    ///   - vec: A vector of `m` elements.
    ///   - beta: The factor of `input`.
    ///   - alpha: The factor of the product.
    /// - Returns: A vector of `n` elements, recorded as `AddmvBackward0`.
    public static func addmv(_ input: Tensor, _ mat: Tensor, _ vec: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        let result = withNoGrad { fused(input, mat.mv(vec), beta: beta, alpha: alpha, op: "addmv") }
        return record("AddmvBackward0", inputs: [input, mat, vec], result: result, saving: [mat, vec]) { grad, saved in
            [saved.needsGrad(0) ? scaled(grad, beta) : nil,
             saved.needsGrad(1) ? scaled(grad.outer(saved[1]), alpha) : nil,
             saved.needsGrad(2) ? scaled(saved[0].t().mv(grad), alpha) : nil]
        }
    }

    /// `beta * input + alpha * outer(vec1, vec2)` (`torch.addr`); with `beta` 0, `input` is ignored.
    ///
    /// - Parameters:
    ///   - input: Broadcasts to `[n, m]`.
    ///   - vec1: A vector of `n` elements.
    ///   - vec2: A vector of `m` elements.
    ///   - beta: The factor of `input`.
    ///   - alpha: The factor of the outer product.
    /// - Returns: An `n` x `m` matrix, recorded as `AddrBackward0`.
    public static func addr(_ input: Tensor, _ vec1: Tensor, _ vec2: Tensor, beta: Double = 1, alpha: Double = 1) -> Tensor {
        check(vec1.rank == 1, "addr", "addr: Expected 1-D argument vec1, but got \(vec1.rank)-D")
        check(vec2.rank == 1, "addr", "addr: Expected 1-D argument vec2, but got \(vec2.rank)-D")
        let result = withNoGrad { fused(input, vec1.outer(vec2), beta: beta, alpha: alpha, op: "addr") }
        return record("AddrBackward0", inputs: [input, vec1, vec2], result: result, saving: [vec1, vec2]) { grad, saved in
            [saved.needsGrad(0) ? scaled(grad, beta) : nil,
             saved.needsGrad(1) ? scaled(grad.mv(saved[1]), alpha) : nil,
             saved.needsGrad(2) ? scaled(grad.t().mv(saved[0]), alpha) : nil]
        }
    }

    /// `t * factor`, skipping the multiply (and its promotion) when the factor is 1.
    private static func scaled(_ t: Tensor, _ factor: Double) -> Tensor { factor == 1 ? t : t * factor }

    /// `beta * input + alpha * product`, with `input` broadcast to the product's
    /// shape (not beyond it) and dropped when `beta` is 0, as PyTorch does.
    private static func fused(_ input: Tensor, _ product: Tensor, beta: Double, alpha: Double, op: String) -> Tensor {
        check(Shape.broadcastable(input.shape, product.shape) && Shape.broadcast(input.shape, product.shape, op: op) == product.shape,
              op, "The expanded size of the tensor (\(product.shape.last ?? 1)) must match the existing size (\(input.shape.last ?? 1)) at non-singleton dimension \(Swift.max(product.rank - 1, 0)).  Target sizes: \(shapeText(product.shape)).  Tensor sizes: \(shapeText(input.shape))")
        let term = scaled(product, alpha)
        if beta == 0 { return term.contiguous() }
        return scaled(input, beta) + term
    }

    // MARK: Pairwise distances

    /// The p-norm distance between each row of `x1` and each row of `x2`
    /// (`torch.cdist`), batch dims broadcast.
    ///
    /// - Parameters:
    ///   - x1: A `[..., P, M]` floating-point tensor.
    ///   - x2: A `[..., R, M]` tensor of the same dtype.
    ///   - p: The order: 2 (the default), 1, `.infinity`, 0 (the count of
    ///     differing coordinates), or any other positive value.
    /// - Returns: A `[..., P, R]` tensor, recorded as `CdistBackward0`.
    public static func cdist(_ x1: Tensor, _ x2: Tensor, p: Double = 2) -> Tensor {
        let op = "cdist"
        check(x1.rank >= 2, op, "cdist only supports at least 2D tensors, X1 got: \(x1.rank)D")
        check(x2.rank >= 2, op, "cdist only supports at least 2D tensors, X2 got: \(x2.rank)D")
        check(x1.dtype.isFloatingPoint, op, "cdist only supports floating-point dtypes, X1 got: \(x1.dtype.scalarTypeName)")
        check(x2.dtype.isFloatingPoint, op, "cdist only supports floating-point dtypes, X2 got: \(x2.dtype.scalarTypeName)")
        check(x1.shape.last == x2.shape.last, op, "X1 and X2 must have the same number of columns. X1: \(x1.shape.last!) X2: \(x2.shape.last!)")
        check(p >= 0, op, "cdist only supports non-negative p values")
        func difference(_ a: Tensor, _ b: Tensor) -> Tensor { a.unsqueezed(-2) - b.unsqueezed(-3) }  // [..., P, R, M]
        let result: Tensor = withNoGrad {
            let diff = difference(x1, x2)
            if p == 0 { return (diff .!= 0.0).sum(dim: -1).to(diff.dtype) }
            if diff.shape.last == 0 { return Tensor.zeros(Array(diff.shape.dropLast()), dtype: diff.dtype) }
            return diff.norm(p: p, dim: [-1])
        }
        return record("CdistBackward0", inputs: [x1, x2], result: result, saving: [x1, x2], savingResult: true) { grad, saved in
            // PyTorch's _cdist_backward, per pair of rows: the p-norm's gradient
            // with respect to their difference, zero where the distance is zero.
            let diff = difference(saved[0], saved[1])
            let dist = saved.result.unsqueezed(-1), g = grad.unsqueezed(-1)
            let local: Tensor
            if p == 0 {
                local = Tensor.zeros(like: diff)
            } else if p == 1 {
                local = diff.sign()
            } else if p == 2 {
                local = Tensor.where(dist .== 0.0, 0.0, diff / dist)
            } else if p == .infinity {
                local = diff.sign() * (diff.abs() .== dist).to(diff.dtype)
            } else if p < 2 {
                local = Tensor.where((dist .== 0.0) .|| (diff .== 0.0), 0.0, diff.sign() * (diff.abs() / dist).pow(p - 1))
            } else {
                local = Tensor.where(dist .== 0.0, 0.0, diff * diff.abs().pow(p - 2) / dist.pow(p - 1))
            }
            let pairwise = g * local
            return [saved.needsGrad(0) ? pairwise.sum(dim: -2) : nil,
                    saved.needsGrad(1) ? -pairwise.sum(dim: -3) : nil]
        }
    }
}
