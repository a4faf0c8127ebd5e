import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import Cotangent

/// Saving and reading files safely: what a killed save leaves, symbolic links,
/// destinations that are not regular files, and errors that name the path.
@Suite("Saving and reading files safely")
struct FileSafetyTests {
    /// A fresh empty folder for one test.
    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cotangent-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private let tensors = ["w": Tensor([1, 2, 3] as [Float])]

    @Test func aKilledSavesTemporaryFileIsRemovedByTheNextSave() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // What a save killed midway leaves: a temporary file named after its
        // process. A process id above the kernel's pid_max (at most 2^22) never runs.
        let stale = dir.appendingPathComponent(".model.safetensors.cotangent-2147483646-ABC.tmp")
        try Data(repeating: 7, count: 1000).write(to: stale)
        // A save in progress in a running process (this one) must be left alone.
        let live = dir.appendingPathComponent(".other.safetensors.cotangent-\(getpid())-DEF.tmp")
        try Data([1]).write(to: live)
        try Safetensors.write(tensors, to: dir.appendingPathComponent("model.safetensors"))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == [live.lastPathComponent, "model.safetensors"])
    }

    @Test func aSaveLeavesNoTemporaryFile() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try NPY.write(Tensor([1, 2] as [Float]), to: dir.appendingPathComponent("a.npy"))
        try NPY.write(Tensor([3, 4] as [Float]), to: dir.appendingPathComponent("a.npy"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.npy"])
        #expect(try NPY.read(from: dir.appendingPathComponent("a.npy")).scalars(as: Float.self) == [3, 4])
    }

    @Test func savingThroughASymbolicLinkWritesItsTarget() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sub = dir.appendingPathComponent("real")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        let target = sub.appendingPathComponent("weights.safetensors")
        try Safetensors.write(["w": Tensor([0] as [Float])], to: target)
        // A chain of two links, the first relative.
        let inner = dir.appendingPathComponent("inner.safetensors")
        try FileManager.default.createSymbolicLink(atPath: inner.path, withDestinationPath: target.path)
        let outer = dir.appendingPathComponent("outer.safetensors")
        try FileManager.default.createSymbolicLink(atPath: outer.path, withDestinationPath: "inner.safetensors")
        try Safetensors.write(tensors, to: outer)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: outer.path) == "inner.safetensors")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: inner.path) == target.path)
        #expect(try Safetensors.read(from: target)["w"]!.scalars(as: Float.self) == [1, 2, 3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: sub.path) == ["weights.safetensors"])
    }

    @Test func aDanglingLinkGetsItsTargetCreated() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let link = dir.appendingPathComponent("link.npy")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "made.npy")
        try NPY.write(Tensor([5] as [Float]), to: link)
        #expect(try NPY.read(from: dir.appendingPathComponent("made.npy")).scalars(as: Float.self) == [5])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == "made.npy")
    }

    @Test func savingOverADirectoryThrowsAndReplacesNothing() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = dir.appendingPathComponent("model.safetensors")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        let error = #expect(throws: FileError.self) { try Safetensors.write(tensors, to: victim) }
        #expect(error?.description == "cannot write \(victim.path): it is a directory, not a regular file; nothing was replaced")
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: victim.path, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["model.safetensors"])
    }

    @Test func savingOverAFIFOThrowsAndReadingOneDoesNotBlock() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("pipe.npy")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let error = #expect(throws: FileError.self) { try NPY.write(Tensor([1] as [Float]), to: fifo) }
        #expect(error?.description.contains("it is a FIFO (named pipe), not a regular file; nothing was replaced") == true)
        var info = stat()
        #expect(stat(fifo.path, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        let readError = #expect(throws: FileError.self) { _ = try NPY.read(from: fifo) }
        #expect(readError?.description == "cannot read \(fifo.path): it is a FIFO (named pipe), not a regular file")
    }

    @Test func savingOverADeviceNodeThrowsAndReplacesNothing() throws {
        let device = URL(fileURLWithPath: "/dev/null")
        let error = #expect(throws: FileError.self) { try NPY.write(Tensor([1] as [Float]), to: device) }
        #expect(error?.description == "cannot write /dev/null: it is a character device, not a regular file; nothing was replaced")
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
    }

    @Test func readErrorsNameThePathAndTheOperation() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.safetensors")
        let error = #expect(throws: FileError.self) { _ = try Safetensors.read(from: missing) }
        #expect(error?.description == "cannot read \(missing.path): No such file or directory")
        let error2 = #expect(throws: FileError.self) { _ = try Safetensors.read(from: dir) }
        #expect(error2?.description == "cannot read \(dir.path): it is a directory, not a regular file")
        let nowhere = dir.appendingPathComponent("no/such/folder/x.npy")
        let error3 = #expect(throws: FileError.self) { try NPY.write(Tensor([1] as [Float]), to: nowhere) }
        #expect(error3?.description.hasPrefix("cannot write \(nowhere.path): cannot create a temporary file in") == true)
        #expect(error3?.description.hasSuffix("No such file or directory") == true)
    }

    @Test func anOverwrittenFileKeepsItsPermissions() throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a.npy")
        try NPY.write(Tensor([1] as [Float]), to: file)
        #expect(chmod(file.path, 0o600) == 0)
        try NPY.write(Tensor([2] as [Float]), to: file)
        var info = stat()
        #expect(stat(file.path, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }
}
