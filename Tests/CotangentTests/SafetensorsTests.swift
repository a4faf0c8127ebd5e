import Cotangent
import CotangentTestSupport
import Foundation
import Testing

// Safetensors and .npy: files written by PyTorch and NumPy (Fixtures/IOFixtures.swift,
// from Tests/Goldens/io_fixtures.py) read back exactly, Cotangent's files equal
// theirs byte for byte, round trips, and malformed files throwing clear errors.

private func fixture(_ base64: String) -> Data {
    Data(base64Encoded: base64, options: .ignoreUnknownCharacters)!
}

/// A fresh path in the temporary directory, removed with its directory afterwards.
private func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cotangent-io-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    try body(directory)
}

/// The little-endian 8-byte length followed by `header` and `body`.
private func safetensorsBytes(header: String, body: [UInt8] = []) -> Data {
    var data = Data()
    withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: header.utf8)
    data.append(contentsOf: body)
    return data
}

extension LearningTests {
    @Suite("Safetensors and NPY") struct SafetensorsTests {
        @Test func readsAFileWrittenByPyTorch() throws {
            try withTemporaryDirectory { directory in
                let url = directory.appendingPathComponent("torch.safetensors")
                try fixture(IOFixtures.torchSafetensors).write(to: url)
                let tensors = try Safetensors.read(from: url)
                #expect(Set(tensors.keys) == Set(IOFixtures.torchTensors.keys))
                for (name, expected) in IOFixtures.torchTensors {
                    let t = try #require(tensors[name])
                    #expect(t.dtype.description == expected.dtype, "\(name)")
                    #expect(t.shape == expected.shape, "\(name)")
                    #expect(t.scalars(as: Double.self) == expected.values, "\(name)")
                    #expect(t.isLeaf && !t.requiresGrad)
                }
                #expect(try Safetensors.metadata(from: url) == ["format": "pt", "note": "written by PyTorch"])
            }
        }

        @Test func writesTheBytesPyTorchWrites() throws {
            let torchFile = fixture(IOFixtures.torchNativeSafetensors)
            let tensors = try Safetensors.decode(torchFile).tensors
            #expect(tensors.keys.sorted() == IOFixtures.nativeNames.sorted())
            #expect(Safetensors.encode(tensors, metadata: ["format": "pt"]) == torchFile)
        }

        @Test func roundTripsEveryDType() throws {
            try withTemporaryDirectory { directory in
                let url = directory.appendingPathComponent("all.safetensors")
                let tensors: [String: Tensor] = [
                    "f32": Tensor.arange(6.0).reshaped(2, 3).transposed(0, 1),   // written contiguously
                    "f64": Tensor([Double.leastNormalMagnitude / 4, -0.0, Double.infinity, Double.nan], dtype: .float64),
                    "i64": Tensor([Int64.min, 0, Int64.max]),
                    "i32": Tensor([[1, 2], [3, 4]], dtype: .int32),
                    "bool": Tensor([true, false, true]),
                    "scalar": Tensor(2.5),
                    "empty": Tensor.zeros(0, 4),
                    "weird \"name\"\n\u{1F600}": Tensor.ones(1),
                ]
                try Safetensors.write(tensors, to: url, metadata: ["epoch": "3"])
                let back = try Safetensors.read(from: url)
                #expect(Set(back.keys) == Set(tensors.keys))
                for (name, t) in tensors {
                    let r = back[name]!
                    #expect(r.dtype == t.dtype && r.shape == t.shape, "\(name)")
                    #expect(r.equal(t) || name == "f64", "\(name)")
                }
                #expect(back["f64"]!.scalars(as: Double.self)[0...2] == [Double.leastNormalMagnitude / 4, -0.0, .infinity])
                #expect(back["f64"]!.scalars(as: Double.self)[3].isNaN)
                #expect(try Safetensors.metadata(from: url) == ["epoch": "3"])
                // The header is padded so the data is 8-byte aligned.
                let bytes = try Data(contentsOf: url)
                #expect(bytes.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) } % 8 == 0)
                // The write was atomic: only the destination is left in the directory.
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["all.safetensors"])
                // Overwriting replaces the file.
                try Safetensors.write(["x": Tensor.ones(2)], to: url)
                #expect(try Safetensors.read(from: url).keys.sorted() == ["x"])
            }
        }

        @Test func stateDictsRoundTripThroughAFile() throws {
            try withTemporaryDirectory { directory in
                let url = directory.appendingPathComponent("model.safetensors")
                Tensor.manualSeed(7)
                let make = {
                    Sequential {
                        Linear(4, 8)
                        ReLU()
                        LayerNorm(8)
                        Linear(8, 2)
                    }
                }
                let trained = make(), fresh = make()
                let x = Tensor.randn(3, 4)
                #expect(!trained(x).allClose(fresh(x)))
                try Safetensors.write(trained.stateDict(), to: url)
                try fresh.loadStateDict(Safetensors.read(from: url))
                #expect(trained(x).equal(fresh(x)))
            }
        }

        @Test func malformedSafetensorsThrowSayingWhatIsWrong() throws {
            let good = Safetensors.encode(["a": Tensor([1.0, 2.0]), "b": Tensor([3, 4, 5] as [Int64])])
            let cases: [(String, Data, SafetensorsError)] = [
                ("empty", Data(), .fileTooSmall(byteCount: 0)),
                ("short", Data([1, 2, 3]), .fileTooSmall(byteCount: 3)),
                ("huge length", Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]), .invalidHeaderLength(declared: 0x7FFF_FFFF_FFFF_FFFF, available: 0)),
                ("truncated header", good.prefix(20), .invalidHeaderLength(declared: UInt64(good.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }), available: 12)),
                ("not an object", safetensorsBytes(header: "[1, 2]"), .invalidHeader("it must be a JSON object starting with '{'")),
                ("bad JSON", safetensorsBytes(header: "{\"a\": "), .invalidHeader("it is not valid JSON: unexpected end of text at byte 6")),
                ("no dtype", safetensorsBytes(header: "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", body: [0, 0, 0, 0]), .invalidHeader("entry 'a' has no dtype string")),
                ("bad shape", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", body: [0, 0, 0, 0]), .invalidHeader("entry 'a' has no shape of non-negative integers")),
                ("huge empty shape", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[0,0]}}"), .invalidHeader("entry 'a' has shape [0, 4294967296, 4294967296], too large to index")),
                ("bad metadata", safetensorsBytes(header: "{\"__metadata__\":{\"k\":1}}"), .invalidHeader("__metadata__ must map strings to strings")),
                ("unsupported dtype", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", body: [0]), .unsupportedDType(tensor: "a", dtype: "F8_E4M3")),
                ("size mismatch", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", body: [0, 0, 0, 0]), .invalidOffsets(tensor: "a", reason: "shape [2] of F32 needs 8 bytes, the range holds 4")),
                ("gap", safetensorsBytes(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", body: Array(repeating: 0, count: 8)), .invalidOffsets(tensor: "a", reason: "[4, 8] does not start where the previous tensor ends (0)")),
                ("truncated data", good.dropLast(3), .dataSizeMismatch(expected: 32, actual: 29)),
                ("trailing data", good + Data([0]), .dataSizeMismatch(expected: 32, actual: 33)),
            ]
            for (name, data, expected) in cases {
                #expect(throws: expected, "\(name)") { try Safetensors.decode(data) }
            }
            // Every truncation of a valid file throws rather than traps.
            for length in 0..<good.count {
                #expect(throws: SafetensorsError.self) { try Safetensors.decode(good.prefix(length)) }
            }
            #expect(throws: (any Error).self) { try Safetensors.read(from: URL(fileURLWithPath: "/nonexistent/x.safetensors")) }
            #expect("\(SafetensorsError.dataSizeMismatch(expected: 40, actual: 37))".contains("truncated"))
        }

        // MARK: NPY

        @Test(arguments: IOFixtures.npy.keys.sorted())
        func readsNumPysFiles(_ name: String) throws {
            let expected = IOFixtures.npy[name]!
            let t = try NPY.decode(fixture(expected.file))
            #expect(t.dtype.description == expected.dtype)
            #expect(t.shape == expected.shape)
            #expect(t.scalars(as: Double.self) == expected.values)
        }

        @Test func writesTheBytesNumPyWrites() throws {
            // Little-endian, C-order arrays of Cotangent's dtypes come out identical.
            for name in ["float32C", "int64", "bool", "scalar"] {
                let file = fixture(IOFixtures.npy[name]!.file)
                #expect(NPY.encode(try NPY.decode(file)) == file, "\(name)")
            }
            try withTemporaryDirectory { directory in
                let url = directory.appendingPathComponent("x.npy")
                for t in [Tensor.arange(12.0).reshaped(3, 4).t(), Tensor([1, -2], dtype: .int32), Tensor(7.0, dtype: .float64),
                          Tensor.zeros(0, 2, dtype: .int64), Tensor([[true], [false]])] {
                    try NPY.write(t, to: url)
                    let back = try NPY.read(from: url)
                    #expect(back.dtype == t.dtype && back.shape == t.shape && back.equal(t))
                }
                #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["x.npy"])
            }
        }

        @Test func malformedNPYThrows() {
            let good = NPY.encode(Tensor.arange(4.0))
            let cases: [(String, Data, NPYError)] = [
                ("not npy", Data("PK\u{3}\u{4}hello".utf8), .notNPY),
                ("short", good.prefix(4), .truncated(expected: 10, actual: 4)),
                ("version", Data([0x93] + Array("NUMPY".utf8) + [9, 0, 0, 0]), .unsupportedVersion(major: 9, minor: 0)),
                ("truncated header", good.prefix(40), .truncated(expected: 128, actual: 40)),
                ("truncated data", good.dropLast(1), .truncated(expected: 144, actual: 143)),
            ]
            for (name, data, expected) in cases {
                #expect(throws: expected, "\(name)") { try NPY.decode(data) }
            }
            func withHeader(_ header: String) -> Data {
                var text = header
                text += String(repeating: " ", count: (64 - (10 + text.utf8.count + 1) % 64) % 64) + "\n"
                var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
                withUnsafeBytes(of: UInt16(text.utf8.count).littleEndian) { data.append(contentsOf: $0) }
                return data + Data(text.utf8) + Data(count: 16)
            }
            #expect(throws: NPYError.unsupportedDType("<c8")) {
                try NPY.decode(withHeader("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"))
            }
            #expect(throws: NPYError.invalidHeader("it has no 'shape' tuple of non-negative integers")) {
                try NPY.decode(withHeader("{'descr': '<f4', 'fortran_order': False, }"))
            }
            #expect(throws: NPYError.self) { try NPY.decode(withHeader("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}")) }
            #expect(throws: NPYError.invalidHeader("shape [0, 4294967296, 4294967296] is too large to index")) {
                try NPY.decode(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }"))
            }
            for length in 0..<good.count {
                #expect(throws: NPYError.self) { try NPY.decode(good.prefix(length)) }
            }
        }
    }
}
