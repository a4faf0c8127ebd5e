import Foundation

/// Why a safetensors file could not be read or written.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    /// The file is shorter than the 8-byte header length.
    case fileTooSmall(byteCount: Int)
    /// The header length is larger than the rest of the file, or than the format allows.
    case invalidHeaderLength(declared: UInt64, available: Int)
    /// The JSON header is malformed; the text says how.
    case invalidHeader(String)
    /// A tensor's dtype is not one Cotangent can represent.
    case unsupportedDType(tensor: String, dtype: String)
    /// A tensor's byte range is inconsistent with its shape or with the other tensors.
    case invalidOffsets(tensor: String, reason: String)
    /// The data section is shorter or longer than the tensors it should hold.
    case dataSizeMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .fileTooSmall(let n):
            "not a safetensors file: it has \(n) bytes, fewer than the 8-byte header length"
        case .invalidHeaderLength(let declared, let available):
            "invalid safetensors header length \(declared): the file has \(available) bytes after the length (it may be truncated)"
        case .invalidHeader(let reason):
            "invalid safetensors header: \(reason)"
        case .unsupportedDType(let tensor, let dtype):
            "tensor '\(tensor)' has dtype \(dtype), which Cotangent cannot represent"
        case .invalidOffsets(let tensor, let reason):
            "invalid data_offsets for tensor '\(tensor)': \(reason)"
        case .dataSizeMismatch(let expected, let actual):
            "the safetensors data section has \(actual) bytes but its tensors need \(expected) (the file may be truncated)"
        }
    }
}

/// Reads and writes the safetensors format (Hugging Face's; what
/// `safetensors.torch.save_file` writes), so tensors move between Cotangent
/// and PyTorch in both directions.
///
/// A file is an 8-byte little-endian header length, a JSON header mapping each
/// name to its dtype, shape and byte range, then the raw little-endian data.
///
/// ```swift
/// try Safetensors.write(model.stateDict(), to: url)
/// try model.loadStateDict(Safetensors.read(from: url))
/// ```
///
/// Cotangent's dtypes are written as `BOOL`, `I32`, `I64`, `F32` and `F64`.
/// Reading also accepts `F16` and `BF16` (converted to `float32`) and `I8`,
/// `U8`, `I16`, `U16` (to `int32`) and `U32` (to `int64`).
public enum Safetensors {
    /// Safetensors' limit on the JSON header (100 MB).
    static let maximumHeaderLength: UInt64 = 100_000_000

    // MARK: Writing

    /// Writes tensors to a safetensors file, atomically (a temporary file in
    /// the same directory, then a rename), so an interrupted save never leaves
    /// a partial file.
    ///
    /// - Parameters:
    ///   - tensors: The tensors by name; each is written contiguously, without autograd state.
    ///   - url: The destination file.
    ///   - metadata: Free-form string pairs stored as the header's `__metadata__`.
    /// - Throws: A ``FileError`` naming the path and why it could not be written (a directory, FIFO or device at `url` is refused and left alone).
    public static func write(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:]) throws {
        try AtomicFile.write(encode(tensors, metadata: metadata), to: url)
    }

    /// The bytes of a safetensors file holding `tensors`.
    ///
    /// The layout is the reference writer's (Rust `safetensors`, which
    /// PyTorch's `save_file` calls): tensors ordered by dtype, in the reverse
    /// of that library's dtype order (I64, F64, F32, I32, BOOL), then by name;
    /// metadata keys sorted; the header padded with spaces so the data starts
    /// at a multiple of 8 bytes. So a file Cotangent writes is byte for byte
    /// the file PyTorch writes for the same tensors.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
        // The order of safetensors' dtype enum: larger codes first.
        func rank(_ dtype: DType) -> Int {
            switch dtype {
            case .int64: 13
            case .float64: 12
            case .float32: 11
            case .int32: 9
            case .bfloat16: 8
            case .float16: 7
            case .int16: 5
            case .int8: 2
            case .uint8: 1
            case .bool: 0
            }
        }
        let names = tensors.keys.sorted { a, b in
            let (ra, rb) = (rank(tensors[a]!.dtype), rank(tensors[b]!.dtype))
            return ra != rb ? ra > rb : a < b
        }
        var entries: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            entries.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        var payloads: [Data] = []
        for name in names {
            let t = tensors[name]!
            let bytes = t.rowMajorBytes
            let shape = t.shape.map(String.init).joined(separator: ",")
            entries.append("\(jsonString(name)):{\"dtype\":\"\(code(for: t.dtype))\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes.count)]}")
            offset += bytes.count
            payloads.append(bytes)
        }
        var header = Data(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var file = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(header)
        for p in payloads { file.append(p) }
        return file
    }

    /// The safetensors dtype code of a Cotangent dtype.
    static func code(for dtype: DType) -> String {
        switch dtype {
        case .bool: "BOOL"
        case .uint8: "U8"
        case .int8: "I8"
        case .int16: "I16"
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .int32: "I32"
        case .int64: "I64"
        case .float32: "F32"
        case .float64: "F64"
        }
    }

    /// `s` as a JSON string literal.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: Reading

    /// Reads every tensor of a safetensors file.
    ///
    /// - Parameter url: The file.
    /// - Returns: The tensors by name, as new contiguous leaves.
    /// - Throws: ``SafetensorsError`` if the file is truncated or malformed
    ///   (nothing traps), or a ``FileError`` naming the path and why it could not be read.
    public static func read(from url: URL) throws -> [String: Tensor] {
        try decode(CheckedFile.read(url)).tensors
    }

    /// Reads the free-form `__metadata__` of a safetensors file.
    public static func metadata(from url: URL) throws -> [String: String] {
        try decode(CheckedFile.read(url)).metadata
    }

    /// Parses the bytes of a safetensors file.
    ///
    /// - Parameter data: The whole file.
    /// - Returns: The tensors by name and the header's metadata.
    /// - Throws: ``SafetensorsError`` describing the first problem found.
    public static func decode(_ data: Data) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard data.count >= 8 else { throw SafetensorsError.fileTooSmall(byteCount: data.count) }
        let start = data.startIndex
        let headerLength = data[start..<start + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let available = data.count - 8
        guard headerLength <= maximumHeaderLength, headerLength <= UInt64(available) else {
            throw SafetensorsError.invalidHeaderLength(declared: headerLength, available: available)
        }
        let headerBytes = data[(start + 8)..<(start + 8 + Int(headerLength))]
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw SafetensorsError.invalidHeader("it must be a JSON object starting with '{'")
        }
        let header: [String: JSONValue]
        do {
            guard case .object(let members) = try JSONValue.parse(headerBytes) else {
                throw SafetensorsError.invalidHeader("it must be a JSON object")
            }
            header = members
        } catch let error as JSONValue.ParseError {
            throw SafetensorsError.invalidHeader("it is not valid JSON: \(error)")
        }

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard case .object(let pairs) = raw else { throw SafetensorsError.invalidHeader("__metadata__ must map strings to strings") }
            for (key, value) in pairs {
                guard case .string(let text) = value else { throw SafetensorsError.invalidHeader("__metadata__ must map strings to strings") }
                metadata[key] = text
            }
        }

        let body = data[(start + 8 + Int(headerLength))...]
        var entries: [(name: String, dtype: String, shape: [Int], begin: Int, end: Int)] = []
        for (name, value) in header where name != "__metadata__" {
            guard case .object(let info) = value else { throw SafetensorsError.invalidHeader("entry '\(name)' is not an object") }
            guard case .string(let dtype)? = info["dtype"] else { throw SafetensorsError.invalidHeader("entry '\(name)' has no dtype string") }
            guard let shape = integers(info["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw SafetensorsError.invalidHeader("entry '\(name)' has no shape of non-negative integers")
            }
            guard stridesFit(shape) else { throw SafetensorsError.invalidHeader("entry '\(name)' has shape \(shapeText(shape)), too large to index") }
            guard let offsets = integers(info["data_offsets"]), offsets.count == 2, offsets[0] >= 0 else {
                throw SafetensorsError.invalidHeader("entry '\(name)' has no data_offsets pair")
            }
            entries.append((name, dtype, shape, offsets[0], offsets[1]))
        }

        // As the reference reader: byte ranges must tile the data section exactly.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expectedBegin = 0
        var tensors: [String: Tensor] = [:]
        for e in entries {
            guard let (dtype, elementSize) = storage(for: e.dtype) else {
                throw SafetensorsError.unsupportedDType(tensor: e.name, dtype: e.dtype)
            }
            guard e.begin == expectedBegin, e.end >= e.begin else {
                throw SafetensorsError.invalidOffsets(tensor: e.name, reason: "[\(e.begin), \(e.end)] does not start where the previous tensor ends (\(expectedBegin))")
            }
            var byteCount = elementSize, overflow = false
            for d in e.shape {
                let (product, o) = byteCount.multipliedReportingOverflow(by: d)
                byteCount = product
                overflow = overflow || o
            }
            guard !overflow, byteCount == e.end - e.begin else {
                throw SafetensorsError.invalidOffsets(tensor: e.name, reason: "shape \(shapeText(e.shape)) of \(e.dtype) needs \(overflow ? "too many" : String(byteCount)) bytes, the range holds \(e.end - e.begin)")
            }
            guard e.end <= body.count else {
                throw SafetensorsError.dataSizeMismatch(expected: e.end, actual: body.count)
            }
            let bytes = body[(body.startIndex + e.begin)..<(body.startIndex + e.end)]
            tensors[e.name] = convert(bytes, code: e.dtype, shape: e.shape, to: dtype)
            expectedBegin = e.end
        }
        guard expectedBegin == body.count else {
            throw SafetensorsError.dataSizeMismatch(expected: expectedBegin, actual: body.count)
        }
        return (tensors, metadata)
    }

    /// A JSON array of integers, or nil.
    private static func integers(_ value: JSONValue?) -> [Int]? {
        guard case .array(let elements)? = value else { return nil }
        var result: [Int] = []
        for element in elements {
            guard case .integer(let int) = element else { return nil }
            result.append(int)
        }
        return result
    }

    /// The Cotangent dtype a safetensors code is read into, and the code's element size.
    private static func storage(for code: String) -> (DType, Int)? {
        switch code {
        case "BOOL": (.bool, 1)
        case "I32": (.int32, 4)
        case "I64": (.int64, 8)
        case "F32": (.float32, 4)
        case "F64": (.float64, 8)
        case "F16": (.float16, 2)
        case "BF16": (.bfloat16, 2)
        case "I8": (.int8, 1)
        case "U8": (.uint8, 1)
        case "I16": (.int16, 2)
        case "U16": (.int32, 2)
        case "U32": (.int64, 4)
        default: nil
        }
    }

    /// A tensor from little-endian bytes, widening the codes Cotangent has no dtype for.
    private static func convert(_ bytes: Data.SubSequence, code: String, shape: [Int], to dtype: DType) -> Tensor {
        func words<T: FixedWidthInteger>(_ type: T.Type) -> [T] {
            let size = MemoryLayout<T>.size
            return stride(from: bytes.startIndex, to: bytes.endIndex, by: size).map { i in
                bytes[i..<(i + size)].reversed().reduce(T(0)) { $0 << 8 | T($1) }
            }
        }
        switch code {
        case "U16": return Tensor(shape: shape, scalars: words(UInt16.self).map { Int32($0) })
        case "U32": return Tensor(shape: shape, scalars: words(UInt32.self).map { Int64($0) })
        default: return Tensor.fromRowMajorBytes(bytes, shape: shape, dtype: dtype)
        }
    }
}
