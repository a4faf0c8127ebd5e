import Cotangent
import CotangentTestSupport
import Foundation
import Testing

// D2L 9.1's sine series, the character pipeline over the bundled text, the
// sequence samplers and gradient clipping, against Tests/Goldens/sequence_data_goldens.py.

extension LearningTests {
    @Suite("Sequence data and gradient clipping") struct SequenceDataTests {
        @Test func sineSeriesIsTheBooks() {
            Tensor.manualSeed(0)
            let data = SineSeries()
            expectClose(data.x, SequenceDataGoldens.sineX, shape: [1000], rtol: 0, atol: 1e-6)
            #expect(data.features.shape == [996, 4] && data.labels.shape == [996, 1])
            expectClose(data.features.select(dim: 0, index: 600), SequenceDataGoldens.sineFeatureRow600, rtol: 0, atol: 1e-6)
            expectClose(data.labels.slice(dim: 0, start: 0, end: 5), SequenceDataGoldens.sineLabelsHead, rtol: 0, atol: 1e-6)
            #expect(data.dataset(train: true).count == 600 && data.dataset(train: false).count == 396)
        }

        @Test func characterPipelineIsD2Ls() throws {
            let corpus = TextCorpus(try TextData.aliceInWonderland())
            #expect(String(corpus.tokens.prefix(120).joined()) == SequenceDataGoldens.textHead)
            #expect(corpus.tokens.count == SequenceDataGoldens.tokenCount)
            #expect(corpus.vocab.tokens == SequenceDataGoldens.vocabTokens)
            #expect(corpus.vocab.tokenFrequencies.prefix(10).map(\.token) == SequenceDataGoldens.topFrequencies)
            #expect(corpus.vocab.tokenFrequencies.prefix(10).map(\.count) == SequenceDataGoldens.topCounts)
            #expect(Array(corpus.indices.prefix(60)) == SequenceDataGoldens.corpusHead)
            #expect(corpus.vocab.tokens(at: [2, 3]) == ["a", "b"] && corpus.vocab["%"] == corpus.vocab.unk)
            let (x, y) = corpus.windows(numSteps: 4)
            #expect(x.shape == [corpus.indices.count - 4, 4] && x.dtype == .int64)
            #expect(x.select(dim: 0, index: 1).scalars(as: Int.self) == Array(corpus.indices[1..<5]))
            #expect(y.select(dim: 0, index: 1).scalars(as: Int.self) == Array(corpus.indices[2..<6]))
        }

        @Test func wordVocabularyWithReservedTokensAndMinFreq() throws {
            let words = TextData.tokenize(TextData.preprocess(try TextData.aliceInWonderland()), .word)
            let vocab = Vocab(words, minFreq: 5, reservedTokens: ["<pad>"])
            #expect(vocab.count == SequenceDataGoldens.wordVocabCount)
            #expect(Array(vocab.tokens.prefix(12)) == SequenceDataGoldens.wordVocabHead)
            #expect(vocab.tokenFrequencies.prefix(8).map(\.token) == SequenceDataGoldens.wordTopFrequencies)
            #expect(vocab.indices(of: ["alice", "the", "jabberwocky", "rabbit"]) == SequenceDataGoldens.wordIndices)
            let byFrequency = Vocab(words, minFreq: 5, reservedTokens: ["<pad>"], order: .frequency)
            #expect(Array(byFrequency.tokens.prefix(4)) == ["<unk>", "<pad>", "the", "and"])
        }

        @Test func samplersMatchD2LsWithTheSameDraws() throws {
            let corpus = Array(TextCorpus(try TextData.aliceInWonderland()).indices.prefix(100))
            Tensor.manualSeed(1)
            let random = randomSequenceBatches(corpus, batchSize: 3, numSteps: 5)
            #expect(random.count == SequenceDataGoldens.randomBatches.count)
            for (b, e) in zip(random, SequenceDataGoldens.randomBatches) {
                #expect(b.inputs.shape == [3, 5] && b.inputs.scalars(as: Int.self) == e.0 && b.targets.scalars(as: Int.self) == e.1)
            }
            Tensor.manualSeed(2)
            let sequential = sequentialSequenceBatches(corpus, batchSize: 3, numSteps: 5)
            #expect(sequential.count == SequenceDataGoldens.sequentialBatches.count)
            for (b, e) in zip(sequential, SequenceDataGoldens.sequentialBatches) {
                #expect(b.inputs.shape == [3, 5] && b.inputs.scalars(as: Int.self) == e.0 && b.targets.scalars(as: Int.self) == e.1)
            }
        }

        @Test func clipGradNormIsPyTorchs() {
            for c in SequenceDataGoldens.clip {
                let ps = [Tensor.zeros([3, 2], requiresGrad: true), Tensor.zeros([4], requiresGrad: true), Tensor.zeros([2], requiresGrad: true)]
                let g0: [Double] = (0..<6).map { sin(Double($0) * 0.7 + 0.2) * 3 }
                let g1: [Double] = (0..<4).map { sin(Double($0) * 1.1 - 0.5) * 3 }
                ps[0].grad = Tensor(shape: [3, 2], scalars: g0).to(.float32)
                ps[1].grad = Tensor(shape: [4], scalars: g1).to(.float32)
                let total = clipGradNorm(ps, maxNorm: c.maxNorm, normType: c.normType)
                #expect(Swift.abs(total.item() - c.total) < 1e-5 * c.total, "\(c)")
                expectClose(ps[0].grad!, c.grads[0], rtol: 1e-6, atol: 1e-7)
                expectClose(ps[1].grad!, c.grads[1], rtol: 1e-6, atol: 1e-7)
                #expect(ps[2].grad == nil)
            }
            let v = Tensor.zeros([3], requiresGrad: true)
            v.grad = Tensor([-2.0, 0.5, 3.0]).to(.float32)
            clipGradValue([v], clipValue: 1)
            #expect(v.grad!.scalars(as: Double.self) == [-1, 0.5, 1])
            #expect(clipGradNorm([Tensor.zeros([2], requiresGrad: true)], maxNorm: 1).item() == 0)
        }
    }
}
