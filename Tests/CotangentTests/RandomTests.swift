import CCotangentKernels
import Testing

@testable import Cotangent

// Bit-exact checks of `Generator` against PyTorch's CPU generator (torch 2.15,
// AVX2 profile [A]; spec: shared/notes/pytorch-rng.md). The values in
// "Spec goldens" are §4 of the spec; all others were produced with the
// reference PyTorch (shared/tools/torch-ref) and are committed here. Long
// streams are checked by an FNV-1a hash of their bytes (as `numpy.tobytes()`
// lays them out) plus a few sampled elements that help locate a mismatch.

/// The random-number tests, grouped so that `swift test --filter RandomTests` selects them all.
@Suite struct RandomTests {}

// MARK: Helpers

/// `count` values from `fill`, which writes into a fresh buffer.
private func sample<T>(_ count: Int, _ zero: T, _ fill: (UnsafeMutableBufferPointer<T>) -> Void) -> [T] {
    var values = [T](repeating: zero, count: count)
    values.withUnsafeMutableBufferPointer { fill($0) }
    return values
}

/// `torch.empty(n).uniform_(from, to)` (so `rand` with the default range).
private func uniform32(_ g: Generator, _ n: Int, from: Double = 0, to: Double = 1) -> [UInt32] {
    sample(n, Float(0)) { g.fillUniform($0, from: from, to: to) }.map(\.bitPattern)
}

private func uniform64(_ g: Generator, _ n: Int, from: Double = 0, to: Double = 1) -> [UInt64] {
    sample(n, Double(0)) { g.fillUniform($0, from: from, to: to) }.map(\.bitPattern)
}

/// `torch.empty(n).normal_(mean, std)` on a contiguous tensor (so `randn` by default).
private func normal32(_ g: Generator, _ n: Int, mean: Double = 0, std: Double = 1) -> [UInt32] {
    sample(n, Float(0)) { g.fillNormal($0, mean: mean, std: std) }.map(\.bitPattern)
}

private func normal64(_ g: Generator, _ n: Int, mean: Double = 0, std: Double = 1) -> [UInt64] {
    sample(n, Double(0)) { g.fillNormal($0, mean: mean, std: std) }.map(\.bitPattern)
}

private func randint(_ g: Generator, _ n: Int, _ low: Int64, _ high: Int64) -> [Int64] {
    sample(n, Int64(0)) { g.fillRandomInt($0, low: low, high: high) }
}

/// FNV-1a (64-bit) over the bytes of `values`.
private func fnv1a<T>(_ values: [T]) -> UInt64 {
    values.withUnsafeBytes { bytes in
        bytes.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

/// Checks a long stream by its hash and by the elements at `samples` (index: expected).
private func expectStream<T: FixedWidthInteger>(
    _ values: [T], hash: UInt64, samples: KeyValuePairs<Int, T>,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    for (i, expected) in samples {
        #expect(values[i] == expected, "element \(i)", sourceLocation: sourceLocation)
    }
    #expect(fnv1a(values) == hash, "stream hash", sourceLocation: sourceLocation)
}

/// Expects equal arrays, reporting the first difference rather than both arrays.
private func expectIdentical<T: Equatable>(
    _ actual: [T], _ expected: [T], sourceLocation: SourceLocation = #_sourceLocation
) {
    let mismatches = (0..<min(actual.count, expected.count)).filter { actual[$0] != expected[$0] }
    #expect(actual.count == expected.count, sourceLocation: sourceLocation)
    let mismatchCount = mismatches.count
    #expect(mismatchCount == 0, "first mismatch at \(mismatches.first ?? 0)", sourceLocation: sourceLocation)
}

/// A copy of `words` after `kernel` ran over its bytes in place.
private func transformed(_ words: [UInt32], _ kernel: (UnsafeMutableRawPointer) -> Void) -> [UInt32] {
    var copy = words
    copy.withUnsafeMutableBytes { kernel($0.baseAddress!) }
    return copy
}

/// MT19937's tempering, inverted: the state word whose output is `y`.
private func untemper(_ output: UInt32) -> UInt32 {
    var y = output
    y ^= y >> 18
    y ^= (y << 15) & 0xEFC6_0000
    var t = y
    for _ in 0..<5 { t = y ^ ((t << 7) & 0x9D2C_5680) }
    y = t
    t = y
    for _ in 0..<3 { t = y ^ (t >> 11) }
    return t
}

/// A generator whose next 32-bit draws are `outputs`, through the same state
/// layout the PyTorch goldens were made with (`left` = 624, `next` = 1).
private func generatorDrawing(_ outputs: [UInt32]) -> Generator {
    var state = GeneratorState(seed: 0)
    state.words = [0] + outputs.map(untemper) + [UInt32](repeating: 0, count: 623 - outputs.count)
    state.left = 624
    state.next = 1
    let g = Generator()
    g.setState(state)
    return g
}

// MARK: - Spec goldens (§4)

extension RandomTests {
    @Suite struct SpecGoldens {
        @Test func rawDraws() {
            let g0 = Generator(seed: 0)
            #expect((0..<5).map { _ in g0.nextUInt32() } == [
                2_357_136_044, 2_546_248_239, 3_071_714_933, 3_626_093_760, 2_588_848_963,
            ])
            let g42 = Generator(seed: 42)
            #expect((0..<3).map { _ in g42.nextUInt32() } == [1_608_637_542, 3_421_126_067, 4_083_286_876])
            // next64 is two next32 draws, the first in the high half.
            let a = Generator(seed: 0), b = Generator(seed: 0)
            #expect(a.nextUInt64() == UInt64(b.nextUInt32()) << 32 | UInt64(b.nextUInt32()))
        }

        @Test func rand() {
            #expect(uniform32(Generator(seed: 0), 4) == [0x3efe1558, 0x3f44aa2f, 0x3db533a8, 0x3e073300])
            #expect(uniform64(Generator(seed: 0), 2) == [0x3fef0aac97c4aa2f, 0x3fe6a675d821ccc0])
        }

        @Test func seedsAreTakenModulo2To32() {
            let g = Generator(seed: 1 << 40 + 3)
            #expect(g.initialSeed == 1_099_511_627_779)
            #expect(uniform32(g, 3) == [0x3b8bb500, 0x3dd834c0, 0x3e9259f2])
            #expect(uniform32(Generator(seed: 3), 3) == [0x3b8bb500, 0x3dd834c0, 0x3e9259f2])
        }

        @Test func randnScalarPath() {
            #expect(normal32(Generator(seed: 0), 4) == [0x3fc53f5c, 0xbe963c50, 0xc00b7149, 0x3f1184b6])
            #expect(normal64(Generator(seed: 0), 2) == [0x3ff8a7eb8902be3a, 0xbfd2c78a087c6fea])
            // randn(3, 3): 9 elements take the scalar path whatever the shape.
            #expect(normal32(Generator(seed: 1), 9).prefix(3) == [0x3f294e60, 0x3e88aa47, 0x3d7ca14b])
        }

        @Test func randnBlockPath() {
            let r16 = normal32(Generator(seed: 0), 16)
            #expect(r16[0..<4] == [0xbf901b85, 0xbf93808a, 0xbe804bd6, 0xbede255d])
            #expect(r16[8..<12] == [0x3ea50138, 0xbfa1b4f4, 0x3eb330ff, 0x3e9dc3bb])
            #expect(normal64(Generator(seed: 0), 16).prefix(3) == [
                0xc0027bb92e9262dc, 0xbfd7e35794939460, 0xbff0f91ae8d685b6,
            ])
            let r17 = normal32(Generator(seed: 42), 17)
            #expect([r17[0], r17[8], r17[16]] == [0x3ff6a529, 0x3eb63345, 0xbe9e9482])
        }

        @Test func normalWithMeanAndStd() {
            #expect(normal32(Generator(seed: 0), 3, mean: 2, std: 3) == [0x40d3ef85, 0x3f8f52c4, 0xc09129ee])
            #expect(normal32(Generator(seed: 0), 16, mean: 2, std: 3).prefix(3) == [0xbfb0528f, 0xbfba819e, 0x3f9fc720])
        }

        @Test func uniformRange() {
            #expect(uniform32(Generator(seed: 0), 5, from: -0.5, to: 0.5) == [
                0xbb755400, 0x3e89545e, 0xbed2b316, 0xbebc6680, 0xbe4532f4,
            ])
        }

        @Test func randintGoldens() {
            #expect(randint(Generator(seed: 0), 12, 0, 10) == [4, 9, 3, 0, 3, 9, 7, 3, 7, 3, 1, 6])
            #expect(randint(Generator(seed: 42), 20, -5, 5) == [
                -3, 2, 1, -1, 1, 0, -5, -1, -5, -2, 3, -1, -5, -1, -4, -3, 0, 0, 2, 1,
            ])
            #expect(randint(Generator(seed: 1), 5, 0, 1 << 40) == [
                163_196_666_091, 605_300_724_808, 1_095_766_950_793, 876_169_207_429, 340_316_410_816,
            ])
        }

        @Test func randperm() {
            #expect(Generator(seed: 0).randperm(10) == [4, 1, 7, 5, 3, 9, 0, 8, 6, 2])
            #expect(Generator(seed: 42).randperm(100).prefix(12) == [42, 96, 62, 98, 46, 95, 60, 24, 78, 16, 68, 70])
        }

        /// nn.Linear(3, 2) from seed 7: kaiming_uniform_(a = √5) on the weight, then the bias (§2.5).
        @Test func linearInit() {
            let g = Generator(seed: 7)
            #expect(kaimingUniform(g, outFeatures: 2, inFeatures: 3) == [
                0x3d252be8, 0xbeb211cf, 0x3e3c4108, 0x3e398258, 0xbe9dfe3f, 0xbdb1377f,
            ])
            #expect(linearBias(g, outFeatures: 2, inFeatures: 3) == [0xbead2c36, 0x3e1966ea])
        }

        /// randn(3) leaves a cached sample; randn(16) (block path) leaves it alone; randn(1) returns it.
        @Test func cacheCarriesOverBlockPath() {
            let g = Generator(seed: 0)
            _ = normal32(g, 3)
            _ = normal32(g, 16)
            let before = g.state()
            #expect(normal32(g, 1) == [0x3f1184b6])
            // No draw was needed.
            #expect(g.state().words == before.words && g.state().next == before.next)
        }
    }
}

/// `nn.init.kaiming_uniform_(w, a: √5)` for an (out, in) weight, in float32.
private func kaimingUniform(_ g: Generator, outFeatures: Int, inFeatures: Int) -> [UInt32] {
    let a = 5.0.squareRoot()
    let gain = (2 / (1 + a * a)).squareRoot()
    let bound = 3.0.squareRoot() * (gain / Double(inFeatures).squareRoot())
    return uniform32(g, outFeatures * inFeatures, from: -bound, to: bound)
}

/// `nn.Linear`'s bias initialisation, uniform in ±1/√in.
private func linearBias(_ g: Generator, outFeatures: Int, inFeatures: Int) -> [UInt32] {
    let bound = 1 / Double(inFeatures).squareRoot()
    return uniform32(g, outFeatures, from: -bound, to: bound)
}

// MARK: - Long streams from the reference PyTorch

extension RandomTests {
    @Suite struct TorchStreams {
        /// randn(17): the last 16 elements are redone with 16 fresh draws after the first block.
        @Test func randn17() {
            #expect(normal32(Generator(seed: 42), 17) == [
                0x3ff6a529, 0xbe236d85, 0xbefeaae4, 0x3ee111d8, 0xbf4214e2, 0x3f8a0650, 0x3f4d0144, 0x3fd71e93,
                0x3eb63345, 0x3fa5f12f, 0x3f1c4788, 0x3faad8b0, 0xbe6d2eed, 0x3d2b0c00, 0xbe80ce7a, 0x3f5c1fb0,
                0xbe9e9482,
            ])
            #expect(normal64(Generator(seed: 42), 17) == [
                0x3fd32bee22ccb503, 0x3ff812ba60e823bd, 0x3ff4586fc50325b4, 0x3fe3cc2503d82af8, 0xbfa30c45c7145abe,
                0x3ff0905f784f7792, 0xbf84a7b7ceff41c7, 0x3fb6e82bfad73187, 0x3fa3adc896b5cc6a, 0x3fd8f5d12bd9d16a,
                0xbfe28e0fab040e8c, 0x3fec07529caa8c80, 0x3fd91cd551d1ca00, 0x3ff1bc41cab382c5, 0x3febaf804309bfb6,
                0x3feb5deddd314d28, 0x3fcfecba7d412db7,
            ])
        }

        /// randn(n) from seed 42 on both sides of the block-path threshold and of block boundaries.
        @Test(arguments: [
            (1, 0x339a81d29fc978d3, 0xc33adcedcf4e9768), (15, 0x4c7fdcb26081ae6b, 0xd6c63d6059f625fc),
            (31, 0xbcc1254f5a30e3c3, 0x8aaed9ee97c8ee32), (32, 0x286932daaf3a819a, 0x8478120d67a1eb2d),
            (33, 0x00a911b61ea4ac05, 0xaef9cd0d237f1b7b), (100, 0x7ea02704af7a98a3, 0x2985aa2c3b212a90),
        ] as [(Int, UInt64, UInt64)])
        func randnSizes(n: Int, float32Hash: UInt64, float64Hash: UInt64) {
            #expect(fnv1a(normal32(Generator(seed: 42), n)) == float32Hash)
            #expect(fnv1a(normal64(Generator(seed: 42), n)) == float64Hash)
        }

        @Test func randn1000() {
            expectStream(normal32(Generator(seed: 123), 1000), hash: 0x411ae4661c7d6a07, samples: [
                0: 0x3eacbbc9, 1: 0xbe360b3b, 7: 0xbec2228c, 8: 0x3f446121, 15: 0x3e89d465, 16: 0xbd9dbcc9,
                500: 0x3f31217d, 983: 0xbf470fa8, 984: 0x3f0d4aea, 998: 0x3fbe3174, 999: 0x3d13342c,
            ])
            expectStream(normal64(Generator(seed: 123), 1000), hash: 0x349f29ca24c4ba74, samples: [
                0: 0x3fed1cbbd4045fb5, 1: 0x3fc3ae50c74206ce, 7: 0xbff0ed93b7b7133a, 8: 0xbfd38208123838dc,
                15: 0x3fe42466e6f8cb8b, 16: 0xbff8452ee36c1dae, 500: 0xbfe1d395af33e6a8, 983: 0xbfe903eff758a0f0,
                984: 0x3ff1df6c79436516, 998: 0xbfd4ce6cdd7d2b22, 999: 0x3ff2b7e5321bb6de,
            ])
        }

        @Test func randFloat64Seed5() {
            #expect(uniform64(Generator(seed: 5), 100) == [
                0x3fe48b630e2048ce, 0x3fd09fdfa9a3cd7a, 0x3fd717ccba3bb8ec, 0x3fd42b21f579d092, 0x3fd108102dfd05c8,
                0x3feb3ee7659087be, 0x3fe2899b5aa8ca70, 0x3fe70a9e7c944ed0, 0x3feb1e07fda670cc, 0x3fdcff1f9dd718e2,
                0x3fd6eb6b4c85dfce, 0x3fd4d8a1a391f036, 0x3fe9a42c3e1720cd, 0x3fcbfb2f0eb7b104, 0x3fbc6d78e31ff0f0,
                0x3fd50fa86886f8ac, 0x3fd69cfa3cfa1124, 0x3fd7c9fdc17c82f2, 0x3fe83e89860f956a, 0x3fe040297dfc9fe9,
                0x3fe4f5bebb5be781, 0x3fd971a4077720ce, 0x3fa2c9017e6a3ce0, 0x3fd6500ba7321e74, 0x3feb3b00d55fc7d0,
                0x3fcfce1391d431b8, 0x3fc66a93d5017da4, 0x3fc09ace3ecf286c, 0x3fe16b1f172e3302, 0x3febf144fef92126,
                0x3fe8f4697a36ffd3, 0x3fedc093af56a112, 0x3fd1e6e3afcee1ea, 0x3fdc890f3b74b6c8, 0x3feef16c902d0e6d,
                0x3fab69e5e3fe0be0, 0x3fd73e1761c1bbd6, 0x3fe60343d0f05d7c, 0x3fd33b83d9edf16e, 0x3fe1e1830177da5b,
                0x3fe4384eb876979b, 0x3fe06f9daac46321, 0x3fe7fad93323d355, 0x3fe95187b258a210, 0x3fe11c5e934e500e,
                0x3fe063da94689f1f, 0x3fa8909108386260, 0x3fa3f2f2d6000900, 0x3fe0c585576e51a2, 0x3fc24ab66f4fbaec,
                0x3fe6b198320aa58d, 0x3fc1c5d87c7733ac, 0x3fe3dae8ef47281f, 0x3fca30813e718530, 0x3fd07958f2d99f0a,
                0x3fe1998e0fed18af, 0x3fc2c17919f3cd48, 0x3feb6b8039da5fe7, 0x3fe0a487f16bf4d6, 0x3fd57ff6c12a2420,
                0x3fcad101891dc420, 0x3fe8d5da4d50002c, 0x3feb127e31f41aa5, 0x3fae85ebc7f1dcb0, 0x3fcb2e17b58eaba4,
                0x3fedab96af29e0b4, 0x3fdb568ad9317da4, 0x3fe71ebc90fc675b, 0x3fee241d3708e0d8, 0x3fe00278283330e1,
                0x3fe7b1dcd5f7eacf, 0x3fd90e8db0ab1446, 0x3fdfe6df4990b228, 0x3fd3b16244bb33fe, 0x3fd5b4905a7b5d40,
                0x3fb726928d0aa068, 0x3fdaf9b9e97f33f6, 0x3fe072ef3a017c92, 0x3f7e9a720212a880, 0x3fe5ec16eebe873a,
                0x3fd7afa62b92e2e8, 0x3fe7dfebcfb6e35c, 0x3fe337d3fe930bb1, 0x3fe54d045a4c1052, 0x3fdfa1e6f7d6c048,
                0x3fcc62a6f7f0f450, 0x3fca72817db88c28, 0x3fd5b43e12002a1e, 0x3feb737c2714ee16, 0x3fd5488ca4b57312,
                0x3fe5c03f1e14fe5e, 0x3fe1c10e5c144ec2, 0x3fe46d7ab295ce39, 0x3fe84a93cad053c0, 0x3fc77821c8e0d220,
                0x3fe4e3fbf882ee79, 0x3fd80b8f057c3e18, 0x3fe85e947c70fb3b, 0x3fe722c80dac74ca, 0x3fe06fd63f0fabfc,
            ])
        }

        /// Long float32 block-normal streams: a one-bit error in one polynomial
        /// constant shows up in only a handful of 100,000 samples (spec §5.2).
        @Test func randnLongFloat32() {
            expectStream(normal32(Generator(seed: 2024), 100_003), hash: 0x3d36dcfa4dd8bc73, samples: [
                0: 0xbf9cf549, 1: 0xbc189d2f, 8: 0x3defc57d, 9: 0xbff1781e, 4242: 0x3f1ad203, 50000: 0x3f9f995c,
                99984: 0x3e8c94ed, 99986: 0x3ece30f7, 99990: 0xc01d0b91, 99999: 0x3d5df6c4, 100_002: 0x3f3a2252,
            ])
            expectStream(normal32(Generator(seed: 77), 200_000), hash: 0x40446c4f10108e45, samples: [
                0: 0xbf011a62, 12345: 0xbfa4a825, 199_999: 0x3e7a8440,
            ])
        }

        @Test func randnLongFloat64() {
            expectStream(normal64(Generator(seed: 2024), 100_003), hash: 0x2cbef98b4540b449, samples: [
                0: 0xbfe6875ee5541227, 50000: 0xbfd10988096301ac, 100_002: 0xbffb68e5bac2596a,
            ])
        }

        @Test func normalWithMeanAndStd() {
            expectStream(normal32(Generator(seed: 11), 1000, mean: -1.5, std: 0.3), hash: 0x85505822db6c52ab, samples: [
                0: 0xbfd39d58, 1: 0xbf9883ad, 999: 0xbfdfcf13,
            ])
            expectStream(normal64(Generator(seed: 11), 1000, mean: -1.5, std: 0.3), hash: 0x51d5f334eb097f28, samples: [
                0: 0xbff6a9ed45bc29b7, 1: 0xc0007f261514ea2c, 999: 0xbffb68803246aa78,
            ])
            expectStream(normal32(Generator(seed: 11), 15, mean: -1.5, std: 0.3), hash: 0x5a6550670414be6c, samples: [
                0: 0xbfa3accf, 14: 0xbfb9abf7,
            ])
        }

        @Test func uniformLong() {
            expectStream(uniform32(Generator(seed: 9), 100_003), hash: 0x538df381335356ee, samples: [
                0: 0x3f27e17e, 100_002: 0x3f722bbf,
            ])
            // A width that is not a power of two exercises the fused multiply-add.
            expectStream(uniform32(Generator(seed: 9), 100_003, from: -3, to: 7), hash: 0xe9ae7cb33db8f1f3, samples: [
                0: 0x4063b3bb, 1: 0x3ca5b300, 2: 0x3fe64476, 3: 0x4098c272, 100_002: 0x40ceb6af,
            ])
            expectStream(uniform64(Generator(seed: 9), 1003, from: -3, to: 7), hash: 0x72f8b2f7d2c186b8, samples: [
                0: 0xbfe131105afad268, 1: 0x4015911e1fb8c272, 2: 0x3fdbfa38269ee460, 1002: 0xbfdff0a7d3a15048,
            ])
        }

        /// nn.Linear(20, 30) from seed 7: 600 weights, then 30 biases.
        @Test func linear20x30() {
            let g = Generator(seed: 7)
            expectStream(kaimingUniform(g, outFeatures: 30, inFeatures: 20), hash: 0x2a6fb6850c7c4947, samples: [
                0: 0x3c7fe1f2, 1: 0xbe09ee9e, 2: 0x3d91d22a, 19: 0xbe339ce5, 20: 0x3e2f5669, 599: 0x3da9e4b9,
            ])
            #expect(linearBias(g, outFeatures: 30, inFeatures: 20) == [
                0xbe1a8cc7, 0xbccb0294, 0xbde839e4, 0x3e11a0db, 0xbccbe93b, 0x3c96812f, 0x3e0828dd, 0xbe22373e,
                0xbdf757f0, 0x3e317ce7, 0x3db5f3fb, 0xbca413fa, 0x3e644b03, 0x3e48b7e2, 0xbdc60da4, 0xbd8001a2,
                0x3dc67967, 0xbe0ec76b, 0xbe639bc2, 0xbde727aa, 0xbe51a794, 0x3e10c7e3, 0x3d67d122, 0xbe40aff4,
                0xbc1a402d, 0x3e5b6633, 0xbe05e0c0, 0xbe110320, 0x3dc4d9b4, 0xbe21c053,
            ])
        }

        /// Ranges either side of the switch from 32- to 64-bit draws at 2^28, and the int64 extremes.
        @Test func randintRanges() {
            #expect(randint(Generator(seed: 3), 6, 0, 1 << 28 - 1) == [
                218_175_346, 35_325_593, 88_681_732, 117_892_752, 175_684_540, 252_666_825,
            ])
            #expect(randint(Generator(seed: 3), 6, 0, 1 << 28) == [
                35_325_592, 117_892_739, 252_666_824, 29_254_421, 266_554_003, 80_522_091,
            ])
            #expect(randint(Generator(seed: 3), 6, 0, 1 << 28 + 1) == [
                34_181_252, 41_162_651, 126_068_881, 90_493_839, 106_990_497, 227_884_977,
            ])
            #expect(randint(Generator(seed: 4), 6, -(1 << 40), 1 << 40) == [
                -571_657_477_970, 786_720_735_941, 557_725_645_160, -723_233_685_048, 217_314_849_161,
                -849_795_940_612,
            ])
            #expect(randint(Generator(seed: 4), 6, 0, 1 << 32) == [
                3_868_139_694, 741_720_773, 3_674_863_976, 2_615_787_976, 2_566_484_361, 607_583_996,
            ])
            #expect(randint(Generator(seed: 5), 6, .min, .max) == [
                -5_128_320_818_113_132_338, 6_838_803_925_648_402_109, -5_410_076_705_834_541_962,
                7_722_008_223_506_294_857, -213_775_812_019_715_356, 2_061_310_418_014_472_126,
            ])
            #expect(randint(Generator(seed: 6), 6, 1000, 1001) == [1000, 1000, 1000, 1000, 1000, 1000])
            expectStream(randint(Generator(seed: 12), 10000, -7, 100), hash: 0x49fe721520bb5743, samples: [
                0: 10, 9999: 13,
            ])
        }

        /// randperm(n) uses n − 1 draws: none for 0 and 1.
        @Test func randpermSmallAndLong() {
            let cases: [(n: Int, permutation: [Int64], nextRand: UInt32)] = [
                (0, [], 1_056_839_000), (1, [0], 1_056_839_000),
                (2, [0, 1], 1_061_464_623), (3, [2, 0, 1], 1_035_285_416),
            ]
            for (n, expected, next) in cases {
                let g = Generator(seed: 0)
                #expect(g.randperm(n) == expected)
                #expect(uniform32(g, 1) == [next], "rand(1) after randperm(\(n))")
            }
            expectStream(Generator(seed: 31).randperm(1000), hash: 0x7fbd75bcd31f3a35, samples: [
                0: 826, 1: 618, 999: 143,
            ])
        }

        /// A transposed (non-contiguous) 4×5 target takes the scalar path in memory order, though it has 20 elements.
        @Test func nonContiguousNormal() {
            let values = sample(20, Float(0)) { Generator(seed: 3).fillNormalScalarPath($0, mean: 0, std: 1) }
            #expect(values.map(\.bitPattern) == [
                0x3f4da380, 0x3e330786, 0x3db63a26, 0xbf1d1ca0, 0x3d3d29cf, 0xbfaf231e, 0x3eaccc28, 0x3f816c3f,
                0xbfb7b3f5, 0x3f7a38f8, 0x3f05a511, 0x3f9e740e, 0xbf5d58c2, 0x3e991165, 0x3ed6a3d4, 0xbda38aaa,
                0x3f6d2943, 0x3f50d03e, 0x3efd896a, 0xbe2842b6,
            ])
        }

        /// The cached sample crosses dtypes and takes the consuming call's mean and std.
        @Test func cacheAcrossDtypes() {
            let g = Generator(seed: 8)
            #expect(normal32(g, 1) == [0x3e8ae4c1])
            #expect(normal64(g, 1, mean: 5, std: 2) == [0x4003a2206b12184e])
            #expect(normal64(g, 1) == [0x3fe01618219c310a])
        }

        @Test func freshGeneratorMatchesTorchGenerator() {
            let g = Generator()
            #expect(g.initialSeed == 67_280_421_310_721)
            #expect(uniform32(g, 3) == [0x3e88daec, 0x3f5f5e04, 0x3eabaafa])
            #expect(Generator.default === Generator.default)
        }

        /// One generator through every kind of call, then its state against `torch.get_rng_state()`.
        @Test func mixedSequence() {
            let g = Generator(seed: 42)
            #expect(normal32(g, 5) == [0x3eac62ae, 0x3e03e69d, 0x3e7016e7, 0x3e6bdc6c, 0xbf8fb9c2])
            #expect(uniform64(g, 3) == [0x3fee914a759155ca, 0x3fedb857556ded74, 0x3fb5631924975b38])
            #expect(randint(g, 4, 0, 100) == [67, 6, 49, 76])
            expectStream(normal64(g, 20), hash: 0x729d7476c56b3467, samples: [
                0: 0xbfecaa3d1ac541ca, 19: 0x3fe24c0307af6c60,
            ])
            #expect(normal64(g, 1) == [0xbfc7d99b0fe3842e])  // the cache left by the first call
            #expect(normal32(g, 7, mean: 1, std: 2) == [
                0x40592416, 0x402e3f54, 0xbfde4341, 0xbf0c47bd, 0x3e00e444, 0x3f93dec1, 0xbf5873ea,
            ])
            #expect(g.randperm(5) == [0, 3, 2, 4, 1])
            expectStream(uniform32(g, 33, from: -2, to: 3), hash: 0xc955e00cb2430cbf, samples: [
                0: 0xbf922ae9, 32: 0x3fe53359,
            ])
            #expect(normal32(g, 3) == [0xbf3a9ed4, 0x3e7a03ec, 0x3fee3ff7])
            let state = g.state()
            #expect(state.left == 474 && state.next == 151 && state.cachedNormal == nil)
            #expect(fnv1a(state.torchBytes) == 0xcdccf13e7c0fd8b2)
        }
    }
}

// MARK: - Crafted draws (edge cases fed through the state, as PyTorch was fed with set_rng_state)

extension RandomTests {
    @Suite struct CraftedDraws {
        /// 24-bit draws for five 16-blocks: radii at u = 0, tiny, 1 − 2^-24 and around the √½ branch of the
        /// log; angles at every octant boundary of the sincos range reduction.
        static let blockDraws: [UInt32] = [
            0x000000, 0x000001, 0x000002, 0x000003, 0xffffff, 0xfffffe, 0xfffffd, 0x800000, 0x000000, 0x000001,
            0x000002, 0x1ffffe, 0x1fffff, 0x200000, 0x200001, 0x200002, 0x800001, 0x7fffff, 0x4afb0c, 0x4afb0d,
            0x4afb0e, 0x4afb0f, 0x400000, 0x200000, 0x3ffffe, 0x3fffff, 0x400000, 0x400001, 0x400002, 0x5ffffe,
            0x5fffff, 0x600000, 0x100000, 0xc00000, 0xe00000, 0xf00000, 0xff0000, 0xfff000, 0xffff00, 0x003039,
            0x600001, 0x600002, 0x7ffffe, 0x7fffff, 0x800000, 0x800001, 0x800002, 0x9ffffe, 0x000000, 0x000001,
            0x000002, 0x000003, 0xffffff, 0xfffffe, 0xfffffd, 0x800000, 0x9fffff, 0xa00000, 0xa00001, 0xa00002,
            0xbffffe, 0xbfffff, 0xc00000, 0xc00001, 0x800001, 0x7fffff, 0x4afb0c, 0x4afb0d, 0x4afb0e, 0x4afb0f,
            0x400000, 0x200000, 0xc00002, 0xdffffe, 0xdfffff, 0xe00000, 0xe00001, 0xe00002, 0xfffffe, 0xffffff,
        ]

        /// The draws as 32-bit words; the high byte must be ignored.
        static var blockWords: [UInt32] { blockDraws.map { 0xA500_0000 | $0 } }

        @Test func blockNormalFloat32() {
            #expect(normal32(generatorDrawing(Self.blockWords), 80) == [
                0x00000000, 0x39b504f3, 0x3a000000, 0x39ddb3e3, 0x40828476, 0x407f89e5, 0x407c449f, 0x3f552240,
                0x00000000, 0x2f0e2c19, 0x2fc90fdb, 0x39ddb3cd, 0x4082846f, 0x407f89e6, 0x407c44ad, 0x3f552258,
                0x35543f54, 0x34c66e96, 0xb31c4d8d, 0xb4b3636c, 0xb5299e94, 0xbf16b55b, 0xbf094ee1, 0xbebb1842,
                0x3f96b560, 0x3f96b55e, 0x3f55224b, 0x3f55224d, 0x3f55224f, 0x3f16b569, 0x3f094ee6, 0x3ebb1842,
                0xbe82121d, 0xbf96b567, 0xc0028473, 0xc016b55f, 0xc055224d, 0xc0828473, 0xc096b55f, 0xbcde41d4,
                0x3e821216, 0x3f96b559, 0x35abd8df, 0x357627d0, 0xb49c4d8f, 0xb61a7240, 0xb67db186, 0xbcde41c3,
                0x00000000, 0xb97ffffd, 0xb9b504ee, 0xb9ddb3cb, 0xb633f6a3, 0xb6302c9f, 0x338ec06d, 0x351a7a3a,
                0x00000000, 0xb9800001, 0xb9b504f8, 0xb9ddb3e5, 0xc0b89456, 0xc0b4b170, 0xc0b2616a, 0xbf96b55f,
                0x359897cd, 0x3f552241, 0x3f16b55c, 0x3f16b563, 0x3f16b565, 0x3f16b56a, 0x3f422edd, 0x3f044bc5,
                0xbf96b560, 0xbf552253, 0xbf16b560, 0xbf16b55c, 0xbf16b55d, 0xbf16b559, 0xb51e94ee, 0xb427926d,
            ])
            #expect(normal32(generatorDrawing(Self.blockWords), 80, mean: 0.5, std: 2.5) == [
                0x3f000000, 0x3f003892, 0x3f005000, 0x3f004548, 0x412b2594, 0x4127b62f, 0x4125aae3, 0x40253568,
                0x3f000000, 0x3f000000, 0x3f000000, 0x3f004548, 0x412b258b, 0x4127b630, 0x4125aaec, 0x40253577,
                0x3f000021, 0x3f000010, 0x3efffffd, 0x3effffe4, 0x3effffcb, 0xbf78c564, 0xbf574532, 0xbed3bca5,
                0x405c62b8, 0x405c62b6, 0x4025356f, 0x40253570, 0x40253571, 0x3ffc62c3, 0x3feba2a0, 0x3fb4ef29,
                0xbe0a5a91, 0xc01c62c1, 0xc0932590, 0xc0ac62b7, 0xc0fa6ae0, 0xc11b2590, 0xc13462b7, 0x3edd45b7,
                0x3f914b4e, 0x405c62af, 0x3f000036, 0x3f000026, 0x3effffe8, 0x3effff3f, 0x3efffec3, 0x3edd45ba,
                0x3f000000, 0x3effb000, 0x3eff8edd, 0x3eff7570, 0x3effff1f, 0x3effff24, 0x3f000003, 0x3f000018,
                0x3f000000, 0x3effb000, 0x3eff8edd, 0x3eff7570, 0xc15eb96c, 0xc159ddcc, 0xc156f9c4, 0xc01c62b7,
                0x3f000030, 0x40253569, 0x3ffc62b3, 0x3ffc62bc, 0x3ffc62be, 0x3ffc62c4, 0x40195d4a, 0x3fe55eb6,
                0xc01c62b8, 0xbfca6ae8, 0xbf78c570, 0xbf78c566, 0xbf78c568, 0xbf78c55e, 0x3effffce, 0x3efffff3,
            ])
        }

        /// 53-bit draws at 0, 2^-53 and 1 − 2^-53, through both float64 normal paths.
        static let doubleDraws: [UInt64] = [
            0x00000000000000, 0x00000000000001, 0x1fffffffffffff, 0x1ffffffffffffe, 0x10000000000000,
            0x0fffffffffffff, 0x08000000000000, 0x000b3a73ce2ff2, 0x00000000000000, 0x04000000000000,
            0x1fffffffffffff, 0x0c000000000000, 0x14000000000000, 0x1c000000000000, 0x00000000000001,
            0x00000000000002,
        ]

        /// Two words per draw, with the 11 ignored high bits set.
        static var doubleWords: [UInt32] {
            doubleDraws.flatMap { [0xFFE0_0000 | UInt32($0 >> 32), UInt32(truncatingIfNeeded: $0)] }
        }

        @Test func normalFloat64() {
            #expect(normal64(generatorDrawing(Self.doubleWords), 16) == [
                0x0000000000000000, 0x3e46a09e667f3bcd, 0x402124b2800eda48, 0xc01803b9557bec5b, 0xbfeaa4499161cd49,
                0x3feaa4499161cd44, 0x3fe845dbb5374099, 0x3faad0ef5b44ea75, 0x0000000000000000, 0x3e46a09e667f3bcc,
                0xbd05def35487a12f, 0x401803b9557bec5c, 0xbfeaa4499161cd47, 0xbfeaa4499161cd48, 0x3cc3105a5404783f,
                0x3c950fb513970038,
            ])
            #expect(normal64(generatorDrawing(Self.doubleWords), 8) == [
                0x3e50000000000000, 0x0000000000000000, 0x4020fb18e8bf0e99, 0xbd05a9e0f1d1c6f5,
                0xbff2d6abe44afc42, 0x3ca4c7b6d3ecb0cb, 0x3c4d94760a20b73c, 0x3faad0ef5b44ea75,
            ])
        }

        /// A sample that rounds up to the excluded bound becomes the lower bound (spec §5.7).
        @Test func uniformUpperBoundGuard() {
            #expect(uniform32(generatorDrawing([0xFFFFFF, 0xFFFFFF, 0, 0xFFFFFF]), 4, from: 1, to: 2) == [
                0x3f800000, 0x3f800000, 0x3f800000, 0x3f800000,
            ])
            #expect(uniform64(generatorDrawing([UInt32](repeating: .max, count: 4) + [0, 0]), 3, from: 1, to: 2) == [
                0x3ff0000000000000, 0x3ff0000000000000, 0x3ff0000000000000,
            ])
            #expect(uniform32(generatorDrawing([0xFFFFFF, 0xFFFFFF, 0xFFFFFF]), 3, from: -3, to: 7) == [
                0x40dfffff, 0x40dfffff, 0x40dfffff,
            ])
        }

        /// The AVX2+FMA kernels and the portable ones agree bit for bit on a dense sweep of inputs
        /// (on a CPU without AVX2 both sides are the portable code and this is trivially true).
        @Test func simdAndPortableKernelsAgree() {
            // Lanes 0–7 sweep the radius draw, lanes 8–15 the angle draw, each over the full 24-bit range.
            let blocks = 1 << 15
            var words = [UInt32](repeating: 0, count: 16 * blocks)
            for b in 0..<blocks {
                for j in 0..<8 {
                    let k = UInt32(b * 8 + j)
                    words[16 * b + j] = (k &* 64) &+ (k >> 9)
                    words[16 * b + 8 + j] = (k &* 2_654_435_761) >> 8
                }
            }
            let count = Int64(words.count)
            for (mean, std) in [(Float(0), Float(1)), (-1.25, 0.3)] {
                let simd = transformed(words) {
                    ct_rng_uniform_f32($0, count, 0, 1)
                    ct_rng_normal_f32($0.assumingMemoryBound(to: Float.self), Int64(blocks), mean, std)
                }
                let portable = transformed(words) {
                    ct_rng_uniform_f32_portable($0, count, 0, 1)
                    ct_rng_normal_f32_portable($0.assumingMemoryBound(to: Float.self), Int64(blocks), mean, std)
                }
                expectIdentical(simd, portable)
            }
            for (from, to) in [(Float(-3), Float(7)), (1, 2), (-0.3, 0.3)] {
                // An odd count exercises the vector loop's scalar tail.
                expectIdentical(
                    transformed(words) { ct_rng_uniform_f32($0, count - 5, from, to) },
                    transformed(words) { ct_rng_uniform_f32_portable($0, count - 5, from, to) })
            }
            for (from, to) in [(-3.0, 7.0), (1, 2), (-0.3, 0.3)] {
                expectIdentical(
                    transformed(words) { ct_rng_uniform_f64($0, count / 2, from, to) },
                    transformed(words) { ct_rng_uniform_f64_portable($0, count / 2, from, to) })
            }
        }
    }
}

// MARK: - State, seeding and concurrency

extension RandomTests {
    @Suite struct State {
        /// `torchBytes` reproduces `torch.get_rng_state()` byte for byte.
        @Test func torchStateBytes() {
            let g = Generator(seed: 0)
            _ = normal32(g, 3)
            #expect(fnv1a(g.state().torchBytes) == 0xe26132ccfee7865d)
            #expect(fnv1a(Generator(seed: 1 << 40 + 3).state().torchBytes) == 0x1ec5fff1b6cbdb1e)
            let g1 = Generator(seed: 1)
            _ = uniform32(g1, 700)  // past one twist
            #expect(fnv1a(g1.state().torchBytes) == 0xa77e98e9587b6bc2)

            let state = g.state()
            #expect(GeneratorState(torchBytes: state.torchBytes) == state)
            #expect(GeneratorState(torchBytes: [UInt8](repeating: 0, count: 10)) == nil)
        }

        @Test func snapshotAndRestore() {
            let g = Generator(seed: 5)
            _ = normal32(g, 1)  // leaves a cached sample, which the snapshot must include
            let saved = g.state()
            let first = (normal32(g, 3), uniform64(g, 700), randint(g, 5, -9, 9))
            g.setState(saved)
            let second = (normal32(g, 3), uniform64(g, 700), randint(g, 5, -9, 9))
            #expect(first == second)
            // Another generator takes the state too.
            let other = Generator(seed: 99)
            other.setState(saved)
            #expect(normal32(other, 3) == first.0)
        }

        @Test func manualSeedResetsEverything() {
            let g = Generator(seed: 5)
            _ = normal32(g, 1)
            #expect(g.state().cachedNormal != nil)
            g.manualSeed(1 << 32 + 17)
            #expect(g.initialSeed == 1 << 32 + 17)
            #expect(g.state() == Generator(seed: 1 << 32 + 17).state())
            #expect(normal32(g, 4) == normal32(Generator(seed: 17), 4))
        }

        /// Bulk fills and single draws walk the same stream, across twists.
        @Test func bulkAndSingleDrawsAgree() {
            let a = Generator(seed: 4), b = Generator(seed: 4)
            for count in [1, 623, 624, 625, 1, 1300, 7] {
                let bulk = sample(count, UInt32(0)) { a.fillUInt32($0) }
                #expect(bulk == (0..<count).map { _ in b.nextUInt32() })
                #expect(a.state() == b.state())
            }
        }

        /// Concurrent fills never interleave inside one call, and no draw is lost.
        @Test func concurrentUse() async {
            let g = Generator(seed: 6)
            let chunks = await withTaskGroup(of: [UInt32].self) { group in
                for _ in 0..<8 {
                    group.addTask { sample(1000, UInt32(0)) { g.fillUInt32($0) } }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let reference = Generator(seed: 6)
            let stream = sample(8000, UInt32(0)) { reference.fillUInt32($0) }
            // Each chunk is a contiguous 1000-word run of the single stream.
            let runs = Set(stride(from: 0, to: 8000, by: 1000).map { Array(stream[$0..<$0 + 1000]) })
            #expect(Set(chunks) == runs)
            #expect(g.state() == reference.state())
        }
    }
}
