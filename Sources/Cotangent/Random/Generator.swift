import CCotangentKernels
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Every algorithm here reproduces PyTorch's CPU generator bit for bit, as
// specified in shared/notes/pytorch-rng.md ("the spec"); section numbers (§)
// refer to it. Float32 block normals and uniforms follow its AVX2 profile [A].

/// A pseudo-random number generator that reproduces PyTorch's CPU generator
/// (`torch.Generator`) bit for bit.
///
/// The engine is MT19937, seeded as `torch.manual_seed` seeds it, and the
/// distributions (uniform, normal, random integers, permutations) consume its
/// output exactly as PyTorch's CPU kernels on an AVX2 machine do. So after
/// `manualSeed(s)`, Cotangent's `rand`, `randn`, `randint` and `randperm`
/// produce the same bits as PyTorch's after `torch.manual_seed(s)`.
///
/// A generator is safe to share between tasks: every draw happens under an
/// internal lock, so a fill is never interleaved with another.
///
/// ```swift
/// let g = Generator(seed: 0)   // like torch.Generator().manual_seed(0)
/// let saved = g.state()        // like torch.get_rng_state()
/// // ... draw from g ...
/// g.setState(saved)            // the same draws again
/// ```
public final class Generator: @unchecked Sendable {
    // All mutable state lives inside the Mutex; nothing else is stored.
    private let engine: Mutex<GeneratorState>

    /// Creates a generator seeded with `seed`.
    ///
    /// - Parameter seed: The seed. Only `seed % 2^32` affects the stream, as in
    ///   PyTorch. The default is the seed of a fresh `torch.Generator()`.
    public init(seed: UInt64 = 67_280_421_310_721) {
        engine = Mutex(GeneratorState(seed: seed))
    }

    /// The generator that tensor factories such as `rand` and `randn` use when
    /// no generator is given (PyTorch's default CPU generator).
    public static let `default` = Generator()

    /// Reseeds the generator, like `torch.manual_seed`.
    ///
    /// Only `seed % 2^32` affects the stream, so seeds congruent modulo 2^32
    /// give identical streams; ``initialSeed`` still reports the full value.
    /// Any cached normal sample is discarded.
    ///
    /// - Parameter seed: The new seed.
    public func manualSeed(_ seed: UInt64) {
        engine.withLock { $0 = GeneratorState(seed: seed) }
    }

    /// The seed last given to ``init(seed:)`` or ``manualSeed(_:)``, in full
    /// (like `torch.initial_seed()`).
    public var initialSeed: UInt64 {
        engine.withLock { $0.seed }
    }

    /// A snapshot of the complete generator state (like `torch.get_rng_state`).
    ///
    /// - Returns: A value that ``setState(_:)`` accepts, on this generator or another.
    public func state() -> GeneratorState {
        engine.withLock { $0 }
    }

    /// Restores a state taken with ``state()`` (like `torch.set_rng_state`);
    /// the draws that follow repeat those that followed the snapshot.
    ///
    /// - Parameter state: A snapshot from ``state()``.
    public func setState(_ state: GeneratorState) {
        engine.withLock { $0 = state }
    }

    // MARK: Raw draws

    /// One 32-bit MT19937 output (PyTorch's `random()`).
    func nextUInt32() -> UInt32 {
        engine.withLock { $0.next32() }
    }

    /// One 64-bit output: two 32-bit outputs, the first in the high half
    /// (PyTorch's `random64()`).
    func nextUInt64() -> UInt64 {
        engine.withLock { $0.next64() }
    }

    /// Fills `out` with consecutive 32-bit outputs: the same words as as many
    /// ``nextUInt32()`` calls, drawn in one go.
    func fillUInt32(_ out: UnsafeMutableBufferPointer<UInt32>) {
        guard let base = out.baseAddress else { return }
        engine.withLock { $0.fillWords(UnsafeMutableRawPointer(base), count: out.count) }
    }

    // MARK: Uniform (§2.1)

    /// Fills `out` with float32 samples uniform in [`from`, `to`), like
    /// `uniform_(from, to)` on a contiguous float32 tensor.
    ///
    /// Uses one 32-bit draw per element, in buffer order. The bounds are
    /// rounded to float32 first.
    ///
    /// - Parameters:
    ///   - out: The buffer to fill.
    ///   - from: The inclusive lower bound.
    ///   - to: The exclusive upper bound; must not be less than `from`.
    func fillUniform(_ out: UnsafeMutableBufferPointer<Float>, from: Double, to: Double) {
        precondition(from <= to, "uniform expects from <= to, got from=\(from) > to=\(to)")
        guard let base = out.baseAddress, out.count > 0 else { return }
        engine.withLock { $0.fillWords(UnsafeMutableRawPointer(base), count: out.count) }
        ct_rng_uniform_f32(base, Int64(out.count), Float(from), Float(to))
    }

    /// Fills `out` with float64 samples uniform in [`from`, `to`), like
    /// `uniform_(from, to)` on a contiguous float64 tensor.
    ///
    /// Uses one 64-bit draw (two 32-bit draws) per element, in buffer order.
    ///
    /// - Parameters:
    ///   - out: The buffer to fill.
    ///   - from: The inclusive lower bound.
    ///   - to: The exclusive upper bound; must not be less than `from`.
    func fillUniform(_ out: UnsafeMutableBufferPointer<Double>, from: Double, to: Double) {
        precondition(from <= to, "uniform expects from <= to, got from=\(from) > to=\(to)")
        guard let base = out.baseAddress, out.count > 0 else { return }
        engine.withLock { $0.fillWords(UnsafeMutableRawPointer(base), count: 2 * out.count) }
        ct_rng_uniform_f64(base, Int64(out.count), from, to)
    }

    // MARK: Normal (§2.2)

    /// Fills `out` with float32 normal samples, like `normal_(mean, std)` on a
    /// contiguous float32 tensor.
    ///
    /// With 16 or more elements this is PyTorch's block path (§2.2.3): one
    /// 32-bit draw per element, 16 more if the count is not a multiple of 16,
    /// and the cached scalar-path sample is neither used nor cleared. With
    /// fewer elements it is `fillNormalScalarPath(_:mean:std:)`.
    ///
    /// - Parameters:
    ///   - out: The buffer to fill, in element order.
    ///   - mean: The mean, rounded to float32 on the block path.
    ///   - std: The standard deviation, rounded to float32 on the block path;
    ///     must not be negative.
    func fillNormal(_ out: UnsafeMutableBufferPointer<Float>, mean: Double, std: Double) {
        guard out.count >= 16, let base = out.baseAddress else {
            return fillNormalScalarPath(out, mean: mean, std: std)
        }
        precondition(std >= 0, "normal expects std >= 0, got \(std)")
        let mean = Float(mean), std = Float(std)
        fillNormalBlocks(UnsafeMutableRawPointer(base), count: out.count, elementSize: 4) { start, blocks in
            let data = start.assumingMemoryBound(to: Float.self)
            ct_rng_uniform_f32(start, Int64(16 * blocks), 0, 1)
            ct_rng_normal_f32(data, Int64(blocks), mean, std)
        }
    }

    /// Fills `out` with float64 normal samples, like `normal_(mean, std)` on a
    /// contiguous float64 tensor.
    ///
    /// With 16 or more elements this is PyTorch's block path (§2.2.2): one
    /// 64-bit draw per element, 16 more if the count is not a multiple of 16,
    /// and the cached scalar-path sample is neither used nor cleared. With
    /// fewer elements it is `fillNormalScalarPath(_:mean:std:)`.
    ///
    /// - Parameters:
    ///   - out: The buffer to fill, in element order.
    ///   - mean: The mean.
    ///   - std: The standard deviation; must not be negative.
    func fillNormal(_ out: UnsafeMutableBufferPointer<Double>, mean: Double, std: Double) {
        guard out.count >= 16, let base = out.baseAddress else {
            return fillNormalScalarPath(out, mean: mean, std: std)
        }
        precondition(std >= 0, "normal expects std >= 0, got \(std)")
        fillNormalBlocks(UnsafeMutableRawPointer(base), count: out.count, elementSize: 8) { start, blocks in
            let data = start.assumingMemoryBound(to: Double.self)
            ct_rng_uniform_f64(start, Int64(16 * blocks), 0, 1)
            ct_rng_normal_f64(data, Int64(blocks), mean, std)
        }
    }

    /// Fills `out` with float32 normal samples one at a time, as PyTorch does
    /// for tensors that are small (under 16 elements) or not contiguous.
    ///
    /// Samples are computed in double (§2.2.1) and rounded to float32. A pair of
    /// 64-bit draws yields two samples: one is used, the other cached for the
    /// next scalar-path sample of any dtype, mean or standard deviation.
    ///
    /// - Parameters:
    ///   - out: The buffer to fill; for a strided tensor, its elements in
    ///     increasing memory order.
    ///   - mean: The mean.
    ///   - std: The standard deviation; must not be negative.
    func fillNormalScalarPath(_ out: UnsafeMutableBufferPointer<Float>, mean: Double, std: Double) {
        precondition(std >= 0, "normal expects std >= 0, got \(std)")
        engine.withLock { state in
            for i in out.indices { out[i] = Float(state.nextNormal(mean: mean, std: std)) }
        }
    }

    /// Fills `out` with float64 normal samples one at a time, as PyTorch does
    /// for tensors that are small (under 16 elements) or not contiguous.
    ///
    /// A pair of 64-bit draws yields two samples (§2.2.1): one is used, the
    /// other cached for the next scalar-path sample of any dtype, mean or
    /// standard deviation.
    ///
    /// - Parameters:
    ///   - out: The buffer to fill; for a strided tensor, its elements in
    ///     increasing memory order.
    ///   - mean: The mean.
    ///   - std: The standard deviation; must not be negative.
    func fillNormalScalarPath(_ out: UnsafeMutableBufferPointer<Double>, mean: Double, std: Double) {
        precondition(std >= 0, "normal expects std >= 0, got \(std)")
        engine.withLock { state in
            for i in out.indices { out[i] = state.nextNormal(mean: mean, std: std) }
        }
    }

    /// Fills `out` with the float32 values PyTorch computes, before rounding,
    /// for `normal_` on a float16 or bfloat16 tensor.
    ///
    /// Under 16 elements (or for a strided target) this is the scalar path, in
    /// double. Otherwise each block of 16 takes 16 fresh float32 uniforms and
    /// a Box–Muller in float with libm's functions; a partial last block takes
    /// 16 more draws and is written over the last 16 elements. Unlike float32's
    /// path, no draws are spent on the elements of the partial block first.
    func fillNormalForReducedFloat(_ out: UnsafeMutableBufferPointer<Float>, mean: Double, std: Double,
                                   contiguous: Bool = true) {
        guard out.count >= 16, contiguous, let base = out.baseAddress else {
            return fillNormalScalarPath(out, mean: mean, std: std)
        }
        precondition(std >= 0, "normal expects std >= 0, got \(std)")
        let n = out.count, blocks = n / 16
        let mean = Float(mean), std = Float(std)
        fillUniform(UnsafeMutableBufferPointer(start: base, count: 16 * blocks), from: 0, to: 1)
        ct_rng_normal_f32_libm(base, Int64(blocks), mean, std)
        if n % 16 != 0 {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { tail in
                fillUniform(tail, from: 0, to: 1)
                ct_rng_normal_f32_libm(tail.baseAddress!, 1, mean, std)
                for j in 0..<16 { base[n - 16 + j] = tail[j] }
            }
        }
    }

    /// The block path's draws and transforms, shared by both dtypes.
    ///
    /// `transform(start, blocks)` turns the raw words of `blocks` blocks of 16
    /// elements at `start` into normal samples.
    private func fillNormalBlocks(
        _ base: UnsafeMutableRawPointer, count n: Int, elementSize: Int,
        transform: (UnsafeMutableRawPointer, Int) -> Void
    ) {
        let wordsPerElement = elementSize / 4
        let hasTail = n % 16 != 0
        withUnsafeTemporaryAllocation(byteCount: 16 * elementSize, alignment: 16) { tailWords in
            engine.withLock { state in
                state.fillWords(base, count: wordsPerElement * n)
                // A partial last block is redone over the last 16 elements with
                // 16 fresh draws, taken after all the others (§2.2.2 step 3).
                if hasTail { state.fillWords(tailWords.baseAddress!, count: wordsPerElement * 16) }
            }
            transform(base, n / 16)
            if hasTail {
                // It overwrites outputs of the last full block, so it goes last.
                let tail = base + elementSize * (n - 16)
                tail.copyMemory(from: tailWords.baseAddress!, byteCount: 16 * elementSize)
                transform(tail, 1)
            }
        }
    }

    // MARK: Integers and permutations (§2.3, §2.4)

    /// Fills `out` with integers in [`low`, `high`), like
    /// `torch.randint(low, high, size)` or `random_(low, high)` on int64.
    ///
    /// Each element is `draw % (high − low) + low`, with no rejection sampling
    /// (so not exactly uniform), where the draw is 64-bit if the range is at
    /// least 2^28 and 32-bit otherwise.
    ///
    /// - Parameters:
    ///   - out: The buffer to fill, in element order.
    ///   - low: The inclusive lower bound.
    ///   - high: The exclusive upper bound; must exceed `low`.
    func fillRandomInt(_ out: UnsafeMutableBufferPointer<Int64>, low: Int64, high: Int64) {
        precondition(low < high, "random_ expects low < high, got low=\(low) >= high=\(high)")
        let range = UInt64(bitPattern: high &- low)
        let offset = UInt64(bitPattern: low)
        engine.withLock { state in
            if range >= 1 << 28 {
                for i in out.indices { out[i] = Int64(bitPattern: state.next64() % range &+ offset) }
            } else {
                for i in out.indices { out[i] = Int64(bitPattern: UInt64(state.next32()) % range &+ offset) }
            }
        }
    }

    /// A random permutation of `0..<n`, like `torch.randperm(n)`.
    ///
    /// - Parameter n: The number of elements; must not be negative.
    /// - Returns: The permutation. It uses `n − 1` 32-bit draws (none when
    ///   `n ≤ 1`); from `n = 214_748_364` on, `n` 64-bit draws.
    /// - Complexity: O(*n*).
    func randperm(_ n: Int) -> [Int64] {
        precondition(n >= 0, "randperm expects n >= 0, got \(n)")
        var r = [Int64](repeating: 0, count: n)
        engine.withLock { state in
            if n < 214_748_364 {  // ⌊(2^32 − 1) / 20⌋: PyTorch keeps its old algorithm below it
                for i in 0..<n { r[i] = Int64(i) }
                for i in 0..<max(n - 1, 0) {
                    r.swapAt(i, i + Int(UInt64(state.next32()) % UInt64(n - i)))
                }
            } else {
                // Inside-out Fisher–Yates with 64-bit draws, keeping the modulo bias negligible.
                for i in 0..<n {
                    let z = Int(state.next64() % UInt64(i + 1))
                    r[i] = r[z]
                    r[z] = Int64(i)
                }
            }
        }
        return r
    }
}

/// A snapshot of a ``Generator``'s complete state: the MT19937 words and
/// position, the seed, and the cached normal sample.
///
/// Take one with ``Generator/state()`` and restore it with
/// ``Generator/setState(_:)``, as with `torch.get_rng_state` and
/// `torch.set_rng_state`.
public struct GeneratorState: Sendable, Equatable {
    /// The MT19937 state size, in 32-bit words.
    static let wordCount = 624

    /// The seed as given, all 64 bits (only the low 32 seed the engine).
    var seed: UInt64
    /// The MT19937 state words.
    var words: [UInt32]
    /// PyTorch's countdown to the next twist: the words left in `words` plus one.
    var left: Int
    /// The index in `words` of the next word to temper and return.
    var next: Int
    /// The second sample of the last scalar-path Box–Muller pair, if unused (§3).
    var cachedNormal: Double?

    /// The state right after `manual_seed(seed)` (§1).
    init(seed: UInt64) {
        self.seed = seed
        var mt = [UInt32](repeating: 0, count: Self.wordCount)
        mt[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<Self.wordCount {
            mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i)
        }
        words = mt
        left = 1  // so the first draw twists
        next = 0
        cachedNormal = nil
    }

    public static func == (a: GeneratorState, b: GeneratorState) -> Bool {
        // Compare the cache by bits: a cached -0.0 is not the same state as +0.0.
        a.seed == b.seed && a.words == b.words && a.left == b.left && a.next == b.next
            && a.cachedNormal?.bitPattern == b.cachedNormal?.bitPattern
    }

    // MARK: Engine

    /// MT19937's tempering of one state word.
    @inline(__always)
    private static func temper(_ word: UInt32) -> UInt32 {
        var y = word
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// Regenerates all 624 words in place (reference MT19937).
    private static func twist(_ mt: UnsafeMutablePointer<UInt32>) {
        @inline(__always) func mix(_ upper: UInt32, _ lower: UInt32) -> UInt32 {
            let y = (upper & 0x8000_0000) | (lower & 0x7FFF_FFFF)
            return (y >> 1) ^ ((0 &- (lower & 1)) & 0x9908_B0DF)
        }
        // The three ranges avoid `% 624`; words past k are already regenerated,
        // exactly as in the in-place reference loop.
        for k in 0..<227 { mt[k] = mt[k + 397] ^ mix(mt[k], mt[k + 1]) }
        for k in 227..<623 { mt[k] = mt[k - 227] ^ mix(mt[k], mt[k + 1]) }
        mt[623] = mt[396] ^ mix(mt[623], mt[0])
    }

    /// One 32-bit output (PyTorch's `random()`).
    @inline(__always)
    mutating func next32() -> UInt32 {
        left -= 1
        if left == 0 {
            words.withUnsafeMutableBufferPointer { Self.twist($0.baseAddress!) }
            left = Self.wordCount
            next = 0
        }
        let word = words[next]
        next += 1
        return Self.temper(word)
    }

    /// One 64-bit output, the first 32-bit draw in the high half (`random64()`).
    @inline(__always)
    mutating func next64() -> UInt64 {
        let high = UInt64(next32())
        return high << 32 | UInt64(next32())
    }

    /// Writes the next `count` 32-bit outputs to `dest`, in draw order; the same
    /// words and final state as `count` calls of ``next32()``, without per-word checks.
    mutating func fillWords(_ dest: UnsafeMutableRawPointer, count: Int) {
        var left = self.left, next = self.next, written = 0
        words.withUnsafeMutableBufferPointer { buffer in
            let mt = buffer.baseAddress!
            while written < count {
                if left == 1 {
                    // One past a full state, as `next32` would have it just before its decrement.
                    Self.twist(mt)
                    left = Self.wordCount + 1
                    next = 0
                }
                let take = min(count - written, left - 1)
                for i in 0..<take {
                    dest.storeBytes(of: Self.temper(mt[next + i]), toByteOffset: 4 * (written + i), as: UInt32.self)
                }
                next += take
                left -= take
                written += take
            }
        }
        self.left = left
        self.next = next
    }

    // MARK: Scalar distributions

    /// A double uniform in [0, 1) with 53 random bits (`uniform_real_distribution<double>(0, 1)`).
    @inline(__always)
    private mutating func uniform53() -> Double {
        Double(next64() & (1 << 53 - 1)) * 0x1p-53
    }

    /// One scalar-path normal sample (§2.2.1), using and refilling the cache.
    mutating func nextNormal(mean: Double, std: Double) -> Double {
        let z: Double
        if let cached = cachedNormal {
            z = cached
            cachedNormal = nil
        } else {
            let u1 = uniform53()
            let u2 = uniform53()
            let r = (-2 * log1p(-u2)).squareRoot()
            let theta = 6.283185307179586 * u1  // 2π rounded to double
            cachedNormal = r * sin(theta)
            z = r * cos(theta)
        }
        return mean.addingProduct(z, std)  // fma(z, std, mean), as PyTorch's AVX2 build
    }
}

// MARK: PyTorch's byte layout

extension GeneratorState {
    /// The size of `torch.get_rng_state()`'s tensor, in bytes.
    static let torchByteCount = 5056

    /// The state in the byte layout of `torch.get_rng_state()` (§1), for
    /// exchanging states with PyTorch: the bytes are identical to PyTorch's for
    /// the same history of draws.
    var torchBytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.torchByteCount)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: seed.littleEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: Int32(left).littleEndian, toByteOffset: 8, as: Int32.self)
            raw.storeBytes(of: Int32(1).littleEndian, toByteOffset: 12, as: Int32.self)  // "seeded"
            raw.storeBytes(of: UInt64(next).littleEndian, toByteOffset: 16, as: UInt64.self)
            for (k, word) in words.enumerated() {
                raw.storeBytes(of: UInt64(word).littleEndian, toByteOffset: 24 + 8 * k, as: UInt64.self)
            }
            if let cachedNormal {
                raw.storeBytes(of: cachedNormal.bitPattern.littleEndian, toByteOffset: 5024, as: UInt64.self)
                raw.storeBytes(of: Int32(1).littleEndian, toByteOffset: 5040, as: Int32.self)
            }
        }
        return bytes
    }

    /// Reads a state in the byte layout of `torch.get_rng_state()`; nil if the
    /// size is wrong or the position is out of range.
    init?(torchBytes bytes: [UInt8]) {
        guard bytes.count == Self.torchByteCount else { return nil }
        func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) -> T {
            bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        seed = load(0, as: UInt64.self)
        left = Int(load(8, as: Int32.self))
        next = Int(load(16, as: UInt64.self))
        words = (0..<Self.wordCount).map { UInt32(truncatingIfNeeded: load(24 + 8 * $0, as: UInt64.self)) }
        let valid = load(5040, as: Int32.self) != 0
        cachedNormal = valid ? Double(bitPattern: load(5024, as: UInt64.self)) : nil
        guard (1...Self.wordCount).contains(left), next >= 0, next + left - 1 <= Self.wordCount else { return nil }
    }
}
