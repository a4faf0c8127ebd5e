import Foundation

/// The IDX format of MNIST and Fashion-MNIST (magic `0 0 type rank`, then
/// big-endian 32-bit dimensions, then the values), gzip'd or not.
public enum IDX {
    /// An IDX file's contents: its shape and, for unsigned bytes, the raw values.
    public struct File {
        /// The dimensions, e.g. `[60000, 28, 28]`.
        public let shape: [Int]
        /// The values as stored, for type `0x08` (unsigned byte); empty for other types.
        public let bytes: [UInt8]
        /// The values as a tensor: signed bytes and 16/32-bit integers as `int64`
        /// (written before the narrow dtypes existed; unsigned bytes are in ``bytes``),
        /// floats as `float32`/`float64`.
        public let tensor: Tensor?
    }

    /// Reads an IDX file, decompressing it first if it is gzip'd.
    ///
    /// - Parameter url: The file (`.gz` or not; the contents decide).
    /// - Returns: The shape and values.
    /// - Throws: ``DataError/malformedIDX(file:reason:)``, ``GzipError``, or the error reading the file.
    public static func read(_ url: URL) throws -> File {
        var data = try Data(contentsOf: url)
        if Gzip.isGzip(data) { data = Data(try Gzip.decompress(data)) }
        return try parse([UInt8](data), name: url.lastPathComponent)
    }

    /// Parses IDX bytes.
    static func parse(_ bytes: [UInt8], name: String) throws -> File {
        func bad(_ reason: String) -> DataError { .malformedIDX(file: name, reason: reason) }
        guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else { throw bad("bad magic number") }
        let type = bytes[2], rank = Int(bytes[3])
        let width: Int
        switch type {
        case 0x08, 0x09: width = 1
        case 0x0B: width = 2
        case 0x0C, 0x0D: width = 4
        case 0x0E: width = 8
        default: throw bad("unknown element type 0x\(String(type, radix: 16))")
        }
        guard bytes.count >= 4 + 4 * rank else { throw bad("truncated header") }
        let shape = (0..<rank).map { i -> Int in
            let p = 4 + 4 * i
            return Int(bytes[p]) << 24 | Int(bytes[p + 1]) << 16 | Int(bytes[p + 2]) << 8 | Int(bytes[p + 3])
        }
        let count = shape.reduce(1, *)
        let start = 4 + 4 * rank
        guard bytes.count - start == count * width else {
            throw bad("expected \(count * width) bytes of data for shape \(shape), found \(bytes.count - start)")
        }
        let body = bytes[start...]
        func word(_ i: Int, _ n: Int) -> UInt64 {
            (0..<n).reduce(0) { $0 << 8 | UInt64(body[start + i * n + $1]) }
        }
        switch type {
        case 0x08: return File(shape: shape, bytes: Array(body), tensor: nil)
        case 0x09: return File(shape: shape, bytes: [], tensor: Tensor(shape: shape, scalars: body.map { Int64(Int8(bitPattern: $0)) }))
        case 0x0B: return File(shape: shape, bytes: [], tensor: Tensor(shape: shape, scalars: (0..<count).map { Int64(Int16(truncatingIfNeeded: word($0, 2))) }))
        case 0x0C: return File(shape: shape, bytes: [], tensor: Tensor(shape: shape, scalars: (0..<count).map { Int64(Int32(truncatingIfNeeded: word($0, 4))) }))
        case 0x0D: return File(shape: shape, bytes: [], tensor: Tensor(shape: shape, scalars: (0..<count).map { Float(bitPattern: UInt32(word($0, 4))) }))
        default: return File(shape: shape, bytes: [], tensor: Tensor(shape: shape, scalars: (0..<count).map { Double(bitPattern: word($0, 8)) }))
        }
    }
}
