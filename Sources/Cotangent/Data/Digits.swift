import Foundation

/// Why a data file could not be read.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// A bundled resource is not where the package put it.
    case missingResource(String)
    /// A line of a CSV file is malformed.
    case malformedCSV(line: Int, reason: String)
    /// A data set's files are not in the folder searched.
    case missingDataset(name: String, folder: String, file: String, hint: String)
    /// An IDX file is malformed.
    case malformedIDX(file: String, reason: String)

    public var description: String {
        switch self {
        case .missingResource(let name): "the bundled resource \(name) was not found in the Cotangent resource bundle"
        case .malformedCSV(let line, let reason): "malformed CSV at line \(line): \(reason)"
        case .missingDataset(let name, let folder, let file, let hint):
            "\(name) not found: no \(file) or \(file).gz in \(folder). \(hint)"
        case .malformedIDX(let file, let reason): "malformed IDX file \(file): \(reason)"
        }
    }
}

/// The handwritten digits data set bundled with Cotangent: 1,797 8x8
/// grayscale images of the digits 0–9 (scikit-learn's `load_digits`, from the
/// UCI Optical Recognition of Handwritten Digits data by E. Alpaydin and
/// C. Kaynak, CC BY 4.0; see `Resources/NOTICE.md` and `Resources/digits.rst`).
///
/// Features are the 64 pixel counts divided by 16, so they lie in [0, 1],
/// row by row (reshape to `[-1, 8, 8]` for images); labels are `int64`.
///
/// **The split.** The data are written by several people in file order, so a
/// split by position tests on unseen writers only. Instead the split is a
/// fixed permutation: `Generator(seed: 0).randperm(1797)`, equal to PyTorch's
/// `torch.randperm(1797, generator=torch.Generator().manual_seed(0))`. Its first
/// 1,437 entries (80%) index the training set and its last 360 the test set,
/// in permutation order.
///
/// ```swift
/// let train = try Digits.load(.train)    // 1,437 samples: [64] float32, [] int64
/// let test = try Digits.load(.test)      // 360 samples
/// ```
public enum Digits {
    /// Which part of the data set to load.
    public enum Split: Sendable, Hashable {
        /// The 1,437 training samples.
        case train
        /// The 360 test samples.
        case test
        /// All 1,797 samples in file order.
        case all
    }

    /// The number of samples in the file.
    public static let sampleCount = 1797
    /// The number of training samples; the rest are the test set.
    public static let trainCount = 1437
    /// The number of classes.
    public static let classCount = 10
    /// The seed of the permutation that splits the data.
    public static let splitSeed: UInt64 = 0

    /// A credit line for the data, to show wherever results on it are shown.
    public static let attribution = "Digits: E. Alpaydin and C. Kaynak, Optical Recognition of Handwritten Digits, UCI Machine Learning Repository (1998), CC BY 4.0"

    /// Loads a split of the bundled data.
    ///
    /// - Parameter split: `.train` (default), `.test` or `.all`.
    /// - Returns: A dataset of features `[n, 64]` (float32 in [0, 1]) and labels `[n]` (int64).
    /// - Throws: ``DataError`` if the bundled file is missing or malformed.
    public static func load(_ split: Split = .train) throws -> TensorDataset {
        guard let url = Bundle.module.url(forResource: "digits", withExtension: "csv", subdirectory: "Resources") else {
            throw DataError.missingResource("Resources/digits.csv")
        }
        return try load(split, from: url)
    }

    /// Loads a split from a CSV file in the bundled format (64 pixel counts, then the label, per line).
    ///
    /// - Parameters:
    ///   - split: Which samples to return.
    ///   - url: The CSV file.
    /// - Returns: A dataset of features and labels.
    /// - Throws: ``DataError`` for a malformed file, or the error reading it.
    public static func load(_ split: Split, from url: URL) throws -> TensorDataset {
        let (features, labels) = try parse(CheckedFile.read(url))
        guard split != .all else { return TensorDataset(features, labels) }
        check(features.shape[0] == sampleCount, "Digits", "the split needs \(sampleCount) samples, the file has \(features.shape[0])")
        let order = Generator(seed: splitSeed).randperm(sampleCount)
        let chosen = split == .train ? order[..<trainCount] : order[trainCount...]
        let index = Tensor(shape: [chosen.count], scalars: Array(chosen))
        return TensorDataset(features.indexSelect(dim: 0, index), labels.indexSelect(dim: 0, index))
    }

    /// Parses the CSV bytes into features (scaled by 1/16) and labels.
    static func parse(_ data: Data) throws -> (features: Tensor, labels: Tensor) {
        var pixels: [Float] = [], labels: [Int64] = []
        pixels.reserveCapacity(sampleCount * 64)
        labels.reserveCapacity(sampleCount)
        var line = 1, field: [Int] = [], value = 0, digits = 0
        func endLine() throws {
            defer { field.removeAll(keepingCapacity: true); line += 1 }
            if field.isEmpty { return }  // a blank line
            guard field.count == 65 else { throw DataError.malformedCSV(line: line, reason: "expected 65 fields, found \(field.count)") }
            guard field[..<64].allSatisfy({ (0...16).contains($0) }) else {
                throw DataError.malformedCSV(line: line, reason: "pixel values must be in 0...16")
            }
            guard (0..<classCount).contains(field[64]) else {
                throw DataError.malformedCSV(line: line, reason: "label \(field[64]) is not a digit")
            }
            pixels += field[..<64].map { Float($0) / 16 }
            labels.append(Int64(field[64]))
        }
        for byte in data {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 6 else { throw DataError.malformedCSV(line: line, reason: "number too long") }
            case UInt8(ascii: ","), UInt8(ascii: "\n"):
                if digits == 0 && !(byte == UInt8(ascii: "\n") && field.isEmpty) {
                    throw DataError.malformedCSV(line: line, reason: "empty field")
                }
                if digits > 0 { field.append(value) }
                value = 0
                digits = 0
                if byte == UInt8(ascii: "\n") { try endLine() }
            case UInt8(ascii: "\r"):
                continue
            default:
                throw DataError.malformedCSV(line: line, reason: "unexpected character \(Unicode.Scalar(byte).escaped(asASCII: true))")
            }
        }
        if digits > 0 { field.append(value) }
        try endLine()
        guard !labels.isEmpty else { throw DataError.malformedCSV(line: 1, reason: "no samples") }
        return (Tensor(shape: [labels.count, 64], scalars: pixels), Tensor(shape: [labels.count], scalars: labels))
    }
}
