import Foundation

// D2L 9.2/9.3's text pipeline: preprocess raw text, split it into tokens, map
// tokens to indices with a `Vocab`, and cut the corpus into minibatches of
// subsequences (random or sequential sampling). The bundled text is Lewis
// Carroll's "Alice's Adventures in Wonderland" (public domain; provenance in
// Resources/NOTICE.md), standing in for the book's "The Time Machine", which
// cannot be downloaded here.

/// A vocabulary: tokens to indices and back (d2l's `Vocab`).
///
/// As d2l's (the book's 1.0 edition), the index order is the sorted set of
/// `<unk>`, the reserved tokens and the tokens seen at least `minFreq` times,
/// and ``tokenFrequencies`` lists the tokens by descending count (ties in
/// order of first appearance). Unknown tokens map to ``unk``.
///
/// ```swift
/// let tokens = TextData.tokenize(TextData.preprocess(try TextData.aliceInWonderland()))
/// let vocab = Vocab(tokens)
/// vocab.count                  // 28: "<unk>", " " and a...z
/// vocab.indices(of: ["a", "b"]) // [2, 3]
/// ```
public struct Vocab: Sendable {
    /// The tokens, by index (d2l's `idx_to_token`).
    public let tokens: [String]
    /// Each distinct token seen with its count, most frequent first (d2l's `token_freqs`).
    public let tokenFrequencies: [(token: String, count: Int)]
    private let indexOf: [String: Int]

    /// How the indices are ordered.
    public enum Order: Sendable {
        /// The sorted set of tokens (d2l 1.0's `Vocab`, the default).
        case sorted
        /// `<unk>`, the reserved tokens, then by descending frequency (the earlier d2l editions').
        case frequency
    }

    /// Builds the vocabulary of `tokens`.
    ///
    /// - Parameters:
    ///   - tokens: The corpus, one token per element.
    ///   - minFreq: Tokens seen fewer times are left out (they map to `<unk>`).
    ///   - reservedTokens: Tokens always in the vocabulary (e.g. `<pad>`, `<bos>`).
    ///   - order: How indices are assigned (default ``Order/sorted``, as d2l 1.0).
    public init(_ tokens: [String] = [], minFreq: Int = 0, reservedTokens: [String] = [], order: Order = .sorted) {
        var counts: [String: Int] = [:], firstSeen: [String] = []
        for token in tokens {
            if counts[token] == nil { firstSeen.append(token) }
            counts[token, default: 0] += 1
        }
        // Python's sorted(..., reverse=True) is stable: ties keep their first-appearance order.
        let frequencies = firstSeen.enumerated()
            .sorted { a, b in counts[a.element]! != counts[b.element]! ? counts[a.element]! > counts[b.element]! : a.offset < b.offset }
            .map { (token: $0.element, count: counts[$0.element]!) }
        tokenFrequencies = frequencies
        switch order {
        case .sorted:
            let kept = Set(["<unk>"] + reservedTokens + frequencies.filter { $0.count >= minFreq }.map(\.token))
            // Python sorts strings by code point.
            self.tokens = kept.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
        case .frequency:
            var list = ["<unk>"] + reservedTokens
            var seen = Set(list)
            for (token, count) in frequencies where count >= minFreq && seen.insert(token).inserted { list.append(token) }
            self.tokens = list
        }
        indexOf = Dictionary(uniqueKeysWithValues: self.tokens.enumerated().map { ($1, $0) })
    }

    /// The number of tokens (d2l's `len(vocab)`).
    public var count: Int { tokens.count }

    /// The index of `<unk>`.
    public var unk: Int { indexOf["<unk>"]! }

    /// The index of `token`, or ``unk`` for a token not in the vocabulary (d2l's `vocab[token]`).
    public subscript(token: String) -> Int { indexOf[token] ?? unk }

    /// The indices of `tokens`.
    public func indices(of tokens: [String]) -> [Int] { tokens.map { self[$0] } }

    /// The tokens at `indices` (d2l's `to_tokens`).
    public func tokens(at indices: [Int]) -> [String] { indices.map { tokens[$0] } }
}

/// The bundled text and d2l's preprocessing and tokenisation.
public enum TextData {
    /// How text is split into tokens.
    public enum TokenKind: Sendable {
        /// One token per character (d2l 9.2's `_tokenize`).
        case character
        /// One token per space-separated word.
        case word
    }

    /// Lewis Carroll's "Alice's Adventures in Wonderland" (the Millennium
    /// Fulcrum Edition 2.9 text of the Canterbury corpus, about 150 KB),
    /// bundled as `Resources/alice29.txt`; see `Resources/NOTICE.md`.
    ///
    /// - Throws: ``DataError/missingResource(_:)`` when the bundle lacks it.
    public static func aliceInWonderland() throws -> String {
        guard let url = Bundle.module.url(forResource: "alice29", withExtension: "txt", subdirectory: "Resources") else {
            throw DataError.missingResource("alice29.txt")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Replaces every run of non-letters by one space and lowercases the rest
    /// (d2l's `re.sub('[^A-Za-z]+', ' ', text).lower()`).
    public static func preprocess(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var inGap = false
        for scalar in text.unicodeScalars {
            let isLetter = ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar)
            if isLetter {
                out.append(("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar)
                inGap = false
            } else if !inGap {
                out.append(" ")
                inGap = true
            }
        }
        return String(out)
    }

    /// Splits `text` into character tokens (d2l's `list(text)`) or words.
    public static func tokenize(_ text: String, _ kind: TokenKind = .character) -> [String] {
        switch kind {
        case .character: text.unicodeScalars.map { String($0) }
        case .word: text.split(separator: " ").map(String.init)
        }
    }
}

/// A tokenised text and its vocabulary (d2l 9.2's `TimeMachine.build`).
public struct TextCorpus: Sendable {
    /// The tokens of the preprocessed text.
    public let tokens: [String]
    /// The vocabulary built from them (or the one given).
    public let vocab: Vocab
    /// The index of every token (d2l's `corpus`).
    public let indices: [Int]

    /// Preprocesses, tokenises and indexes `text`.
    ///
    /// - Parameters:
    ///   - text: The raw text.
    ///   - kind: Characters (the default, as the book's language models) or words.
    ///   - vocab: A vocabulary to use; nil builds one from the tokens.
    public init(_ text: String, kind: TextData.TokenKind = .character, vocab: Vocab? = nil) {
        tokens = TextData.tokenize(TextData.preprocess(text), kind)
        self.vocab = vocab ?? Vocab(tokens)
        indices = self.vocab.indices(of: tokens)
    }

    /// Every window of `numSteps + 1` tokens, as inputs and next-token targets
    /// (d2l 1.0's `TimeMachine`: `X = array[:, :-1]`, `Y = array[:, 1:]`).
    ///
    /// - Returns: `inputs` and `targets`, int64 `[count − numSteps, numSteps]`.
    public func windows(numSteps: Int) -> (inputs: Tensor, targets: Tensor) {
        let n = Swift.max(indices.count - numSteps, 0)
        var x: [Int64] = [], y: [Int64] = []
        x.reserveCapacity(n * numSteps); y.reserveCapacity(n * numSteps)
        for i in 0..<n {
            for k in 0..<numSteps {
                x.append(Int64(indices[i + k])); y.append(Int64(indices[i + k + 1]))
            }
        }
        return (Tensor(shape: [n, numSteps], scalars: x), Tensor(shape: [n, numSteps], scalars: y))
    }
}

/// Minibatches of random, non-overlapping subsequences (d2l's `seq_data_iter_random`).
///
/// The corpus is cut at a random offset in `0 ..< numSteps` into subsequences
/// of `numSteps` tokens, which are shuffled and grouped `batchSize` at a time;
/// each target is its input shifted by one token. Adjacent batches are not
/// adjacent in the text. The offset is drawn as `torch.randint(0, numSteps, ())`
/// and the order as `torch.randperm`, from `generator` (d2l draws them from
/// Python's `random`).
///
/// - Parameters:
///   - corpus: Token indices.
///   - batchSize: Subsequences per batch.
///   - numSteps: Tokens per subsequence.
///   - generator: The generator the offset and the order are drawn from.
/// - Returns: `(inputs, targets)` pairs, each int64 `[batchSize, numSteps]`.
public func randomSequenceBatches(_ corpus: [Int], batchSize: Int, numSteps: Int,
                                  generator: Generator = .default) -> [(inputs: Tensor, targets: Tensor)] {
    check(batchSize > 0 && numSteps > 0, "randomSequenceBatches", "batchSize and numSteps must be positive")
    let offset = Int(Tensor.randint(0, numSteps, shape: [], generator: generator).item())
    let tail = Array(corpus.dropFirst(offset))
    let subsequences = Swift.max(tail.count - 1, 0) / numSteps
    let starts = (0..<subsequences).map { $0 * numSteps }
    let order = subsequences > 0 ? Tensor.randperm(subsequences, generator: generator).scalars(as: Int.self) : []
    let shuffled = order.map { starts[$0] }
    func rows(_ positions: ArraySlice<Int>, shift: Int) -> Tensor {
        let values = positions.flatMap { p in tail[(p + shift)..<(p + shift + numSteps)].map(Int64.init) }
        return Tensor(shape: [positions.count, numSteps], scalars: values)
    }
    return stride(from: 0, to: (subsequences / batchSize) * batchSize, by: batchSize).map { i in
        let batch = shuffled[i..<i + batchSize]
        return (rows(batch, shift: 0), rows(batch, shift: 1))
    }
}

/// Minibatches whose rows continue from one batch to the next (d2l's
/// `seq_data_iter_sequential`), so a model can carry its state across batches.
///
/// The corpus from a random offset in `0 ... numSteps` (drawn as
/// `torch.randint(0, numSteps + 1, ())` from `generator`) is laid out as
/// `batchSize` rows and cut into `numSteps` columns at a time.
///
/// - Parameters:
///   - corpus: Token indices.
///   - batchSize: Rows per batch.
///   - numSteps: Tokens per row and batch.
///   - generator: The generator the offset is drawn from.
/// - Returns: `(inputs, targets)` pairs, each int64 `[batchSize, numSteps]`.
public func sequentialSequenceBatches(_ corpus: [Int], batchSize: Int, numSteps: Int,
                                      generator: Generator = .default) -> [(inputs: Tensor, targets: Tensor)] {
    check(batchSize > 0 && numSteps > 0, "sequentialSequenceBatches", "batchSize and numSteps must be positive")
    let offset = Int(Tensor.randint(0, numSteps + 1, shape: [], generator: generator).item())
    let numTokens = Swift.max(corpus.count - offset - 1, 0) / batchSize * batchSize
    let xs = Tensor(shape: [batchSize, numTokens / batchSize], scalars: corpus[offset..<offset + numTokens].map(Int64.init))
    let ys = Tensor(shape: [batchSize, numTokens / batchSize], scalars: corpus[offset + 1..<offset + 1 + numTokens].map(Int64.init))
    let batches = xs.shape[1] / numSteps
    return (0..<batches).map { b in
        (xs.slice(dim: 1, start: b * numSteps, end: (b + 1) * numSteps).contiguous(),
         ys.slice(dim: 1, start: b * numSteps, end: (b + 1) * numSteps).contiguous())
    }
}
