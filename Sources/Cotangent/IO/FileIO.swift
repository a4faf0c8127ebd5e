import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Helpers shared by the tensor file formats: safe writes, checked reads, and
// raw element bytes.

/// A file could not be read or written: names the operation and the path, and
/// says why in plain words (`cannot write /tmp/x: it is a directory; nothing was replaced`).
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What was being done to the file.
    public enum Operation: String, Sendable {
        case read, write
    }

    /// What was being done.
    public let operation: Operation
    /// The path as given by the caller.
    public let path: String
    /// Why it failed, in plain words.
    public let reason: String

    /// Creates an error for `operation` on `path`.
    public init(_ operation: Operation, path: String, reason: String) {
        self.operation = operation
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot \(operation.rawValue) \(path): \(reason)" }
}

/// `write(2)`, spelled so it is not taken for a Swift method of the same name.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
    #else
    Darwin.write(fd, buffer, count)
    #endif
}

/// The text of the C library's message for an error number ("No such file or directory").
private func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

/// What kind of file a `stat` mode describes, for messages ("a FIFO"); nil for a regular file.
private func nonRegularKind(_ mode: mode_t) -> String? {
    switch mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFDIR: return "a directory"
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFSOCK: return "a socket"
    default: return "not a regular file"
    }
}

enum AtomicFile {
    /// The marker in the names of temporary files, followed by the writer's process id.
    static let marker = ".cotangent-"

    /// Writes `data` to `url` so that readers see either the old file or the
    /// complete new one: the bytes go to a temporary file in the destination's
    /// directory, which is then renamed over it (`rename(2)`).
    ///
    /// A symbolic link is followed, so the file it points to is replaced and the
    /// link stays (as PyTorch's `torch.save` writes through links). A destination
    /// that exists and is not a regular file (a directory, FIFO, device or
    /// socket) is refused and left alone. Temporary files are named after the
    /// writing process (`.name.cotangent-<pid>-<id>.tmp`); each save removes
    /// those of processes that no longer run, so a save killed midway leaves
    /// nothing behind past the next save to that folder.
    static func write(_ data: Data, to url: URL) throws {
        let path = url.path
        let target = resolvingSymbolicLinks(path)
        var info = stat()
        var mode: mode_t?
        if stat(target, &info) == 0 {
            if let kind = nonRegularKind(info.st_mode) {
                throw FileError(.write, path: path, reason: "it is \(kind), not a regular file; nothing was replaced")
            }
            mode = info.st_mode & 0o7777
        } else if errno != ENOENT {
            throw FileError(.write, path: path, reason: errorText(errno))
        }
        let directory = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        removeStaleTemporaries(in: directory.isEmpty ? "." : directory)
        let temporary = (directory.isEmpty ? "" : directory + "/")
            + ".\(name)\(marker)\(getpid())-\(UUID().uuidString).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode ?? 0o666)
        guard fd >= 0 else {
            throw FileError(.write, path: path, reason: "cannot create a temporary file in \(directory.isEmpty ? "." : directory): \(errorText(errno))")
        }
        do {
            defer { close(fd) }
            // Keep an existing file's permissions (open's mode is masked by the umask).
            if let mode { _ = fchmod(fd, mode) }
            try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < bytes.count {
                    let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw FileError(.write, path: path, reason: errorText(errno))
                    }
                    offset += n
                }
            }
            guard fsync(fd) == 0 else { throw FileError(.write, path: path, reason: errorText(errno)) }
            guard rename(temporary, target) == 0 else {
                throw FileError(.write, path: path, reason: "cannot move the new file into place: \(errorText(errno))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// The path a chain of symbolic links ends at (the path itself if it is no
    /// link); relative link targets are relative to the link's directory.
    static func resolvingSymbolicLinks(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {  // the kernel's own limit on links in a row
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(current, &buffer, buffer.count - 1)
            guard n > 0 else { return current }
            let destination = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            current = destination.hasPrefix("/") ? destination
                : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(destination)
        }
        return current
    }

    /// Removes temporary files in `directory` left by saves whose process no
    /// longer runs (killed midway). Those of running processes are kept: they
    /// may be saves in progress.
    static func removeStaleTemporaries(in directory: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
            guard let range = name.range(of: marker, options: .backwards) else { continue }
            let rest = name[range.upperBound...]
            guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink(directory + "/" + name)
            }
        }
    }
}

enum CheckedFile {
    /// The contents of the file at `url`, or a ``FileError`` that names the
    /// path and says why (missing, a directory, a FIFO, no permission...).
    ///
    /// A path that is not a regular file is refused before opening it, so a
    /// FIFO never blocks the read.
    static func read(_ url: URL) throws -> Data {
        let path = url.path
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileError(.read, path: path, reason: errorText(errno)) }
        if let kind = nonRegularKind(info.st_mode) {
            throw FileError(.read, path: path, reason: "it is \(kind), not a regular file")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(.read, path: path, reason: errorText(errno)) }
        close(fd)
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw FileError(.read, path: path, reason: "the read failed (\(error.localizedDescription))")
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
