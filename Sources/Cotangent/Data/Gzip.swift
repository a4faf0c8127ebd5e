import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Gzip decoding without a package dependency: the system zlib through dlopen
// when it is there (fast), else a small inflater written here (RFC 1951/1952),
// so reading .gz data never depends on an optional library.

/// Why gzip data could not be decoded.
public struct GzipError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
}

/// Decodes gzip files (RFC 1952), as IDX data sets are shipped.
public enum Gzip {
    /// Which decoder to use.
    public enum Backend: Sendable, Hashable {
        /// zlib when ``isZlibAvailable``, otherwise ``swift``.
        case automatic
        /// The system zlib, loaded at run time.
        case zlib
        /// The inflater in this file: slower, needs nothing.
        case swift
    }

    /// Whether the data starts with gzip's magic bytes.
    public static func isGzip(_ data: Data) -> Bool { data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b }

    /// Whether the system zlib could be loaded.
    public static var isZlibAvailable: Bool { ZlibLibrary.shared != nil }

    /// Decompresses gzip data, every member of it.
    ///
    /// - Parameters:
    ///   - data: The file's bytes.
    ///   - backend: The decoder (default `.automatic`).
    /// - Returns: The uncompressed bytes.
    /// - Throws: ``GzipError`` for data that is not valid gzip (or `.zlib` without zlib).
    public static func decompress(_ data: Data, backend: Backend = .automatic) throws -> [UInt8] {
        switch backend {
        case .automatic:
            if let zlib = ZlibLibrary.shared { return try zlib.gunzip(data) }
            return try SwiftInflater.gunzip([UInt8](data))
        case .zlib:
            guard let zlib = ZlibLibrary.shared else { throw GzipError(description: "zlib (libz.so.1) could not be loaded") }
            return try zlib.gunzip(data)
        case .swift:
            return try SwiftInflater.gunzip([UInt8](data))
        }
    }
}

// MARK: zlib through dlopen

/// zlib's inflate functions, loaded once; the `z_stream` is laid out by hand
/// at its LP64 offsets (112 bytes), so no header is needed.
private final class ZlibLibrary: @unchecked Sendable {
    typealias InflateInit2 = @convention(c) (UnsafeMutableRawPointer, Int32, UnsafePointer<CChar>, Int32) -> Int32
    typealias Inflate = @convention(c) (UnsafeMutableRawPointer, Int32) -> Int32
    typealias InflateEnd = @convention(c) (UnsafeMutableRawPointer) -> Int32
    typealias Version = @convention(c) () -> UnsafePointer<CChar>

    let inflateInit2: InflateInit2, inflate: Inflate, inflateEnd: InflateEnd, version: Version

    static let shared: ZlibLibrary? = {
        guard MemoryLayout<Int>.size == 8 else { return nil }
        #if canImport(Darwin)
        let names = ["libz.1.dylib", "libz.dylib"]
        #else
        let names = ["libz.so.1", "libz.so"]
        #endif
        for name in names {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let i = dlsym(handle, "inflateInit2_"), let f = dlsym(handle, "inflate"),
                  let e = dlsym(handle, "inflateEnd"), let v = dlsym(handle, "zlibVersion") else { continue }
            return ZlibLibrary(inflateInit2: unsafeBitCast(i, to: InflateInit2.self), inflate: unsafeBitCast(f, to: Inflate.self),
                               inflateEnd: unsafeBitCast(e, to: InflateEnd.self), version: unsafeBitCast(v, to: Version.self))
        }
        return nil
    }()

    private init(inflateInit2: InflateInit2, inflate: Inflate, inflateEnd: InflateEnd, version: Version) {
        self.inflateInit2 = inflateInit2
        self.inflate = inflate
        self.inflateEnd = inflateEnd
        self.version = version
    }

    /// `z_stream` field offsets on LP64 systems.
    private enum Offset {
        static let nextIn = 0, availIn = 8, nextOut = 24, availOut = 32, size = 112
    }

    func gunzip(_ data: Data) throws -> [UInt8] {
        guard Gzip.isGzip(data) else { throw GzipError(description: "not gzip data (bad magic bytes)") }
        let input = [UInt8](data)
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3)
        let stream = UnsafeMutableRawPointer.allocate(byteCount: Offset.size, alignment: 8)
        defer { stream.deallocate() }
        let chunk = 1 << 20
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        try input.withUnsafeBufferPointer { source in
            var consumed = 0
            // One pass per gzip member (concatenated members are one file).
            while consumed < source.count {
                stream.initializeMemory(as: UInt8.self, repeating: 0, count: Offset.size)
                // 15 + 16: a gzip wrapper with the largest window.
                guard inflateInit2(stream, 31, version(), Int32(Offset.size)) == 0 else {
                    throw GzipError(description: "zlib's inflateInit2 failed")
                }
                defer { _ = inflateEnd(stream) }
                let start = UnsafeMutablePointer(mutating: source.baseAddress! + consumed)
                stream.storeBytes(of: start, toByteOffset: Offset.nextIn, as: UnsafeMutablePointer<UInt8>.self)
                stream.storeBytes(of: UInt32(source.count - consumed), toByteOffset: Offset.availIn, as: UInt32.self)
                var status: Int32 = 0
                repeat {
                    stream.storeBytes(of: buffer, toByteOffset: Offset.nextOut, as: UnsafeMutablePointer<UInt8>.self)
                    stream.storeBytes(of: UInt32(chunk), toByteOffset: Offset.availOut, as: UInt32.self)
                    status = inflate(stream, 0)
                    let produced = chunk - Int(stream.load(fromByteOffset: Offset.availOut, as: UInt32.self))
                    output.append(contentsOf: UnsafeBufferPointer(start: buffer, count: produced))
                    if status != 0 && status != 1 {
                        throw GzipError(description: status == -5 ? "truncated gzip data" : "corrupt gzip data (zlib error \(status))")
                    }
                } while status != 1
                consumed = source.count - Int(stream.load(fromByteOffset: Offset.availIn, as: UInt32.self))
                // Trailing zero padding after the last member is allowed, as gzip(1) allows it.
                if source[consumed...].allSatisfy({ $0 == 0 }) { break }
            }
        }
        return output
    }
}

// MARK: A small inflater

/// RFC 1951 inflate with canonical-Huffman decoding (after Mark Adler's
/// `puff`), plus gzip's header and CRC-32 check.
enum SwiftInflater {
    static func gunzip(_ input: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3)
        var position = 0
        repeat {
            position = try member(input, from: position, into: &output)
        } while position < input.count && !input[position...].allSatisfy { $0 == 0 }
        return output
    }

    /// Decodes one gzip member starting at `start`; returns the position after it.
    private static func member(_ input: [UInt8], from start: Int, into output: inout [UInt8]) throws -> Int {
        guard input.count - start >= 18, input[start] == 0x1f, input[start + 1] == 0x8b else {
            throw GzipError(description: "not gzip data (bad magic bytes)")
        }
        guard input[start + 2] == 8 else { throw GzipError(description: "unknown gzip compression method \(input[start + 2])") }
        let flags = input[start + 3]
        var p = start + 10
        func need(_ n: Int) throws { if p + n > input.count { throw GzipError(description: "truncated gzip header") } }
        if flags & 4 != 0 {  // FEXTRA
            try need(2)
            p += 2 + (Int(input[p]) | Int(input[p + 1]) << 8)
        }
        for flag: UInt8 in [8, 16] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while true {
                try need(1)
                p += 1
                if input[p - 1] == 0 { break }
            }
        }
        if flags & 2 != 0 { p += 2 }  // FHCRC
        try need(0)
        let begin = output.count
        var reader = BitReader(input: input, position: p)
        try inflate(&reader, into: &output)
        p = reader.byteAlignedPosition
        guard p + 8 <= input.count else { throw GzipError(description: "truncated gzip data") }
        let crc = UInt32(input[p]) | UInt32(input[p + 1]) << 8 | UInt32(input[p + 2]) << 16 | UInt32(input[p + 3]) << 24
        let size = UInt32(input[p + 4]) | UInt32(input[p + 5]) << 8 | UInt32(input[p + 6]) << 16 | UInt32(input[p + 7]) << 24
        guard UInt32(truncatingIfNeeded: output.count - begin) == size else { throw GzipError(description: "gzip length check failed") }
        guard crc32(output[begin...]) == crc else { throw GzipError(description: "gzip CRC-32 check failed") }
        return p + 8
    }

    struct BitReader {
        let input: [UInt8]
        var position: Int
        var bitBuffer: UInt64 = 0
        var bitCount = 0

        init(input: [UInt8], position: Int) {
            self.input = input
            self.position = position
        }

        mutating func bits(_ n: Int) throws -> Int {
            while bitCount < n {
                guard position < input.count else { throw GzipError(description: "truncated gzip data") }
                bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
                position += 1
                bitCount += 8
            }
            let value = Int(bitBuffer & ((1 << UInt64(n)) - 1))
            bitBuffer >>= UInt64(n)
            bitCount -= n
            return value
        }

        /// Drops the bits left in the current byte.
        mutating func alignToByte() {
            bitBuffer = 0
            bitCount = 0
        }

        /// The position of the next whole byte (unused buffered bytes are given back).
        var byteAlignedPosition: Int { position - bitCount / 8 }
    }

    /// A canonical Huffman code: how many codes of each length, and the symbols in code order.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        init(lengths: [Int]) throws {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            var left = 1
            for len in 1..<16 {
                left = left * 2 - counts[len]
                if left < 0 { throw GzipError(description: "corrupt gzip data (over-subscribed Huffman code)") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            for (symbol, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = symbol
                offsets[l] += 1
            }
        }

        func decode(_ reader: inout BitReader) throws -> Int {
            var code = 0, first = 0, index = 0
            for len in 1..<16 {
                code |= try reader.bits(1)
                let count = counts[len]
                if code - count < first { return symbols[index + (code - first)] }
                index += count
                first = (first + count) << 1
                code <<= 1
            }
            throw GzipError(description: "corrupt gzip data (bad Huffman code)")
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                               4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    static let fixedCodes: (Huffman, Huffman) = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        // The fixed codes are complete by construction.
        return (try! Huffman(lengths: lengths), try! Huffman(lengths: [Int](repeating: 5, count: 30)))
    }()

    static func inflate(_ reader: inout BitReader, into output: inout [UInt8]) throws {
        var last = false
        let streamStart = output.count
        repeat {
            last = try reader.bits(1) == 1
            switch try reader.bits(2) {
            case 0:
                reader.alignToByte()
                var p = reader.position
                guard p + 4 <= reader.input.count else { throw GzipError(description: "truncated gzip data") }
                let length = Int(reader.input[p]) | Int(reader.input[p + 1]) << 8
                let complement = Int(reader.input[p + 2]) | Int(reader.input[p + 3]) << 8
                guard length == ~complement & 0xffff else { throw GzipError(description: "corrupt gzip data (stored block length)") }
                p += 4
                guard p + length <= reader.input.count else { throw GzipError(description: "truncated gzip data") }
                output.append(contentsOf: reader.input[p..<p + length])
                reader.position = p + length
            case 1:
                try codes(&reader, fixedCodes.0, fixedCodes.1, into: &output, streamStart: streamStart)
            case 2:
                let (literals, distances) = try dynamicCodes(&reader)
                try codes(&reader, literals, distances, into: &output, streamStart: streamStart)
            default:
                throw GzipError(description: "corrupt gzip data (invalid block type)")
            }
        } while !last
    }

    private static func dynamicCodes(_ reader: inout BitReader) throws -> (Huffman, Huffman) {
        let literalCount = try reader.bits(5) + 257, distanceCount = try reader.bits(5) + 1, codeCount = try reader.bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw GzipError(description: "corrupt gzip data (bad code counts)") }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeCount { codeLengths[order[i]] = try reader.bits(3) }
        let lengthCode = try Huffman(lengths: codeLengths)
        var lengths: [Int] = []
        while lengths.count < literalCount + distanceCount {
            let symbol = try lengthCode.decode(&reader)
            switch symbol {
            case 0..<16: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw GzipError(description: "corrupt gzip data (repeat with no length)") }
                lengths += repeatElement(previous, count: 3 + (try reader.bits(2)))
            case 17: lengths += repeatElement(0, count: 3 + (try reader.bits(3)))
            default: lengths += repeatElement(0, count: 11 + (try reader.bits(7)))
            }
        }
        guard lengths.count == literalCount + distanceCount, lengths[256] != 0 else {
            throw GzipError(description: "corrupt gzip data (bad code lengths)")
        }
        return (try Huffman(lengths: Array(lengths[..<literalCount])), try Huffman(lengths: Array(lengths[literalCount...])))
    }

    private static func codes(_ reader: inout BitReader, _ literals: Huffman, _ distances: Huffman, into output: inout [UInt8],
                              streamStart: Int) throws {
        while true {
            let symbol = try literals.decode(&reader)
            if symbol < 256 {
                output.append(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let index = symbol - 257
                guard index < 29 else { throw GzipError(description: "corrupt gzip data (bad length symbol)") }
                let length = lengthBase[index] + (try reader.bits(lengthExtra[index]))
                let d = try distances.decode(&reader)
                guard d < 30 else { throw GzipError(description: "corrupt gzip data (bad distance symbol)") }
                let distance = distanceBase[d] + (try reader.bits(distanceExtra[d]))
                guard distance <= output.count - streamStart else { throw GzipError(description: "corrupt gzip data (distance too far back)") }
                let from = output.count - distance
                // Byte by byte: a copy may overlap the bytes it produces.
                for i in 0..<length { output.append(output[from + i]) }
            }
        }
    }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
