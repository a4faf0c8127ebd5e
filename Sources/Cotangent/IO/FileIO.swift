import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Helpers shared by the tensor file formats: atomic writes and raw element bytes.

enum AtomicFile {
    /// Writes `data` to `url` so that readers see either the old file or the
    /// complete new one: the bytes go to a temporary file in the same
    /// directory, which is then renamed over the destination (`rename(2)`).
    static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                let reason = String(cString: strerror(errno))
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot move \(temporary.path) to \(url.path): \(reason)"])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}

extension Tensor {
    /// The elements in row-major order as raw bytes in the machine's (little-endian) order.
    var rowMajorBytes: Data {
        let c = withNoGrad { contiguous() }
        return withExtendedLifetime(c) { Data(bytes: c.baseAddress, count: c.count * c.dtype.byteSize) }
    }

    /// A new contiguous tensor holding `bytes` (row-major, machine order) reinterpreted as `dtype`.
    static func fromRowMajorBytes<Bytes: Collection<UInt8>>(_ bytes: Bytes, shape: [Int], dtype: DType) -> Tensor {
        let t = Tensor(uninitializedShape: shape, dtype: dtype)
        let destination = UnsafeMutableRawBufferPointer(start: t.baseAddress, count: t.count * dtype.byteSize)
        destination.copyBytes(from: bytes)
        if dtype == .bool {
            // Any nonzero byte is true; store canonical 0/1.
            for i in 0..<t.count where destination[i] > 1 { destination[i] = 1 }
        }
        return t
    }
}

/// Whether a shape read from a file can be indexed: the product of its sizes,
/// counting empty dims as 1 (as strides do), fits in an `Int`.
func stridesFit(_ shape: [Int]) -> Bool {
    var product = 1
    for d in shape {
        let (p, overflow) = product.multipliedReportingOverflow(by: Swift.max(d, 1))
        if overflow { return false }
        product = p
    }
    return true
}

/// Converts an IEEE half-precision bit pattern to `Float` (exact).
func floatFromHalf(_ bits: UInt16) -> Float {
    let sign = UInt32(bits >> 15) << 31
    let exponent = Int(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x3FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa · 2^-24.
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }
}

/// Converts a bfloat16 bit pattern to `Float` (exact: the top half of a float).
func floatFromBFloat16(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
