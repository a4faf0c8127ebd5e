import Foundation

/// Why a `.npy` file could not be read.
public enum NPYError: Error, CustomStringConvertible, Equatable {
    /// The file does not start with the `\x93NUMPY` magic string.
    case notNPY
    /// The format version is not 1, 2 or 3.
    case unsupportedVersion(major: UInt8, minor: UInt8)
    /// The file ends inside the header or the data.
    case truncated(expected: Int, actual: Int)
    /// The header dictionary is malformed; the text says how.
    case invalidHeader(String)
    /// The array's dtype is not one Cotangent can read.
    case unsupportedDType(String)

    public var description: String {
        switch self {
        case .notNPY: "not a .npy file: it does not start with \\x93NUMPY"
        case .unsupportedVersion(let major, let minor): "unsupported .npy format version \(major).\(minor)"
        case .truncated(let expected, let actual): "the .npy file is truncated: it needs \(expected) bytes but has \(actual)"
        case .invalidHeader(let reason): "invalid .npy header: \(reason)"
        case .unsupportedDType(let descr): "unsupported .npy dtype '\(descr)'"
        }
    }
}

/// Reads and writes NumPy's `.npy` format (`numpy.save` / `numpy.load`) for one tensor.
///
/// ```swift
/// try NPY.write(weights, to: URL(fileURLWithPath: "w.npy"))   // np.load("w.npy")
/// let x = try NPY.read(from: URL(fileURLWithPath: "x.npy"))    // np.save("x.npy", x)
/// ```
///
/// Writing uses format 1.0 with little-endian `<f4`, `<f8`, `<i4`, `<i8` or
/// `|b1` and C order. Reading also accepts big-endian data, Fortran order,
/// formats 2.0 and 3.0, `<f2` (to `float32`) and small integers (`i1`, `u1`,
/// `i2`, `u2` to `int32`, `u4` to `int64`).
public enum NPY {
    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    // MARK: Writing

    /// Writes a tensor to a `.npy` file, atomically (a temporary file, then a rename).
    ///
    /// - Parameters:
    ///   - tensor: The tensor; written contiguously in C order.
    ///   - url: The destination.
    /// - Throws: A ``FileError`` naming the path and why it could not be written (a directory, FIFO or device at `url` is refused and left alone).
    public static func write(_ tensor: Tensor, to url: URL) throws {
        try AtomicFile.write(encode(tensor), to: url)
    }

    /// The bytes of a `.npy` file holding `tensor`.
    public static func encode(_ tensor: Tensor) -> Data {
        let descr = switch tensor.dtype {
        case .bool: "|b1"
        case .uint8: "|u1"
        case .int8: "|i1"
        case .int16: "<i2"
        case .float16: "<f2"
        // NumPy has no bfloat16; PyTorch's numpy() refuses it, so the file holds float32.
        case .bfloat16: "<f4"
        case .int32: "<i4"
        case .int64: "<i8"
        case .float32: "<f4"
        case .float64: "<f8"
        }
        let shape = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        // NumPy pads with spaces and a newline so the data starts at a multiple of 64.
        let unpadded = magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic + [1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header.utf8)
        data.append((tensor.dtype == .bfloat16 ? tensor.to(.float32) : tensor).rowMajorBytes)
        return data
    }

    // MARK: Reading

    /// Reads the tensor in a `.npy` file.
    ///
    /// - Parameter url: The file.
    /// - Returns: A new contiguous tensor.
    /// - Throws: ``NPYError`` if the file is truncated or malformed, or a ``FileError`` naming the path and why it could not be read.
    public static func read(from url: URL) throws -> Tensor {
        try decode(CheckedFile.read(url))
    }

    /// Parses the bytes of a `.npy` file.
    public static func decode(_ data: Data) throws -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 8, Array(bytes[0..<6]) == magic else {
            throw bytes.count < 8 && magic.starts(with: bytes) ? NPYError.truncated(expected: 10, actual: bytes.count) : NPYError.notNPY
        }
        let (major, minor) = (bytes[6], bytes[7])
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default: throw NPYError.unsupportedVersion(major: major, minor: minor)
        }
        guard bytes.count >= 8 + lengthSize else { throw NPYError.truncated(expected: 8 + lengthSize, actual: bytes.count) }
        let headerLength = bytes[8..<(8 + lengthSize)].reversed().reduce(0) { $0 << 8 | Int($1) }
        let dataStart = 8 + lengthSize + headerLength
        guard bytes.count >= dataStart else { throw NPYError.truncated(expected: dataStart, actual: bytes.count) }
        guard let header = String(validating: bytes[(8 + lengthSize)..<dataStart], as: UTF8.self) else {
            throw NPYError.invalidHeader("it is not UTF-8 text")
        }
        var parser = HeaderParser(header)
        let fields = try parser.dictionary()
        guard case .string(let descr)? = fields["descr"] else { throw NPYError.invalidHeader("it has no 'descr' string") }
        guard case .bool(let fortranOrder)? = fields["fortran_order"] else { throw NPYError.invalidHeader("it has no 'fortran_order' flag") }
        guard case .tuple(let shape)? = fields["shape"], shape.allSatisfy({ $0 >= 0 }) else {
            throw NPYError.invalidHeader("it has no 'shape' tuple of non-negative integers")
        }

        guard stridesFit(shape) else { throw NPYError.invalidHeader("shape \(shape) is too large to index") }
        guard let type = ElementType(descr) else { throw NPYError.unsupportedDType(descr) }
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw NPYError.invalidHeader("shape \(shape) is too large") }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: type.size)
        guard !overflow else { throw NPYError.invalidHeader("shape \(shape) is too large") }
        guard bytes.count - dataStart >= byteCount else {
            throw NPYError.truncated(expected: dataStart + byteCount, actual: bytes.count)
        }
        let payload = bytes[dataStart..<(dataStart + byteCount)]
        // Fortran order is C order of the reversed shape, transposed back.
        let storedShape = fortranOrder ? Array(shape.reversed()) : shape
        let stored = type.tensor(payload, shape: storedShape)
        guard fortranOrder, shape.count > 1 else { return stored }
        return withNoGrad { stored.permuted(Array((0..<shape.count).reversed())).contiguous() }
    }

    /// A `descr` such as `<f4`: byte order, kind and size.
    private struct ElementType {
        let bigEndian: Bool
        let kind: Character
        let size: Int

        init?(_ descr: String) {
            let chars = Array(descr)
            guard chars.count >= 3, let size = Int(String(chars[2...])) else { return nil }
            switch chars[0] {
            case "<", "|", "=": bigEndian = false
            case ">": bigEndian = true
            default: return nil
            }
            kind = chars[1]
            self.size = size
            switch (kind, size) {
            case ("b", 1), ("f", 2), ("f", 4), ("f", 8), ("i", 1), ("i", 2), ("i", 4), ("i", 8), ("u", 1), ("u", 2), ("u", 4): break
            default: return nil
            }
        }

        /// The elements as unsigned words, in the file's byte order.
        private func words(_ bytes: ArraySlice<UInt8>) -> [UInt64] {
            stride(from: bytes.startIndex, to: bytes.endIndex, by: size).map { i in
                let element = bytes[i..<(i + size)]
                return (bigEndian ? Array(element) : element.reversed()).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            }
        }

        /// The elements' bytes in little-endian order (this library's storage order).
        private func littleEndian(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            guard bigEndian else { return Array(bytes) }
            return stride(from: bytes.startIndex, to: bytes.endIndex, by: size).flatMap { bytes[$0..<($0 + size)].reversed() }
        }

        func tensor(_ bytes: ArraySlice<UInt8>, shape: [Int]) -> Tensor {
            switch (kind, size) {
            case ("b", _): return Tensor.fromRowMajorBytes(bytes, shape: shape, dtype: .bool)
            case ("f", 8): return Tensor(shape: shape, scalars: words(bytes).map { Double(bitPattern: $0) })
            case ("f", 4): return Tensor(shape: shape, scalars: words(bytes).map { Float(bitPattern: UInt32($0)) })
            case ("f", _): return Tensor.fromRowMajorBytes(littleEndian(bytes), shape: shape, dtype: .float16)
            case ("i", 8): return Tensor(shape: shape, scalars: words(bytes).map { Int64(bitPattern: $0) })
            case ("i", 4): return Tensor(shape: shape, scalars: words(bytes).map { Int32(bitPattern: UInt32($0)) })
            case ("i", 2): return Tensor.fromRowMajorBytes(littleEndian(bytes), shape: shape, dtype: .int16)
            case ("i", _): return Tensor.fromRowMajorBytes(bytes, shape: shape, dtype: .int8)
            case ("u", 1): return Tensor.fromRowMajorBytes(bytes, shape: shape, dtype: .uint8)
            // No uint16/uint32 dtype (PyTorch's are limited too): widened to the next signed one.
            case ("u", 4): return Tensor(shape: shape, scalars: words(bytes).map { Int64($0) })
            default: return Tensor(shape: shape, scalars: words(bytes).map { Int32($0) })
            }
        }
    }

    /// A value in the header's Python dictionary literal.
    private enum HeaderValue {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    /// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    private struct HeaderParser {
        let chars: [Character]
        var i = 0

        init(_ text: String) { chars = Array(text) }

        mutating func skipSpaces() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

        mutating func eat(_ c: Character) throws {
            skipSpaces()
            guard i < chars.count, chars[i] == c else { throw NPYError.invalidHeader("expected '\(c)' at character \(i)") }
            i += 1
        }

        /// Consumes `c` if it is next.
        mutating func take(_ c: Character) -> Bool {
            skipSpaces()
            guard i < chars.count, chars[i] == c else { return false }
            i += 1
            return true
        }

        mutating func string() throws -> String {
            skipSpaces()
            guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw NPYError.invalidHeader("expected a string at character \(i)") }
            let quote = chars[i]
            i += 1
            let start = i
            while i < chars.count, chars[i] != quote { i += 1 }
            guard i < chars.count else { throw NPYError.invalidHeader("unterminated string") }
            defer { i += 1 }
            return String(chars[start..<i])
        }

        mutating func integer() throws -> Int {
            skipSpaces()
            let start = i
            while i < chars.count, chars[i].isNumber { i += 1 }
            guard let value = Int(String(chars[start..<i])) else { throw NPYError.invalidHeader("expected an integer at character \(start)") }
            if i < chars.count, chars[i] == "L" { i += 1 }  // Python 2 longs
            return value
        }

        mutating func value() throws -> HeaderValue {
            skipSpaces()
            guard i < chars.count else { throw NPYError.invalidHeader("unexpected end") }
            switch chars[i] {
            case "'", "\"":
                return .string(try string())
            case "(":
                i += 1
                var values: [Int] = []
                while !take(")") {
                    values.append(try integer())
                    if !take(",") { try eat(")"); break }
                }
                return .tuple(values)
            default:
                let start = i
                while i < chars.count, chars[i].isLetter { i += 1 }
                switch String(chars[start..<i]) {
                case "True": return .bool(true)
                case "False": return .bool(false)
                default: throw NPYError.invalidHeader("unexpected value at character \(start)")
                }
            }
        }

        mutating func dictionary() throws -> [String: HeaderValue] {
            try eat("{")
            var result: [String: HeaderValue] = [:]
            while !take("}") {
                let key = try string()
                try eat(":")
                result[key] = try value()
                if !take(",") { try eat("}"); break }
            }
            return result
        }
    }
}
