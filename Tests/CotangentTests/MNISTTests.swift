import Cotangent
import CotangentTestSupport
import Foundation
import Testing

// Gzip decoding (both backends), IDX files, Fashion-MNIST and MNIST from small
// files the tests write, transforms, and the real Debian files when installed.

/// The fixtures' payload formula (Tests/Goldens/gzip_fixtures.py's `payload`).
func fixturePayload(_ n: Int, _ k: Int) -> [UInt8] {
    (0..<n).map { UInt8(((($0 * k) / 7) + ($0 % 13) * 3) % 256) }
}

/// A gzip file of `data` in stored deflate blocks: what a test needs to write
/// `.gz` files without a compressor.
func storedGzip(_ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]
    var start = 0
    repeat {
        let n = min(65535, data.count - start)
        let last: UInt8 = start + n == data.count ? 1 : 0
        out += [last, UInt8(n & 0xff), UInt8(n >> 8), UInt8(~n & 0xff), UInt8((~n >> 8) & 0xff)]
        out += data[start..<start + n]
        start += n
    } while start < data.count
    var crc: UInt32 = 0xFFFF_FFFF
    for b in data {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
    }
    crc ^= 0xFFFF_FFFF
    let size = UInt32(truncatingIfNeeded: data.count)
    for v in [crc, size] { out += (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xff) } }
    return out
}

/// An IDX file of unsigned bytes.
func idxBytes(_ shape: [Int], _ values: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0, 0, 0x08, UInt8(shape.count)]
    for d in shape { out += [UInt8(d >> 24 & 0xff), UInt8(d >> 16 & 0xff), UInt8(d >> 8 & 0xff), UInt8(d & 0xff)] }
    return out + values
}

/// A temporary folder with a small Fashion-MNIST: `count` images per split,
/// pixel `(i · 31 + j) % 256` of image `i`, label `i % 10`; gzip'd when asked.
func writeSmallMNIST(count: Int, gzipped: Bool) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cotangent-mnist-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for prefix in ["train", "t10k"] {
        let n = prefix == "train" ? count : count / 2
        let pixels: [UInt8] = (0..<n * 784).map { (i: Int) -> UInt8 in UInt8(((i / 784) * 31 + i % 784) % 256) }
        let labels: [UInt8] = (0..<n).map { (i: Int) -> UInt8 in UInt8(i % 10) }
        for (name, bytes) in [("\(prefix)-images-idx3-ubyte", idxBytes([n, 28, 28], pixels)),
                              ("\(prefix)-labels-idx1-ubyte", idxBytes([n], labels))] {
            let file = gzipped ? storedGzip(bytes) : bytes
            try Data(file).write(to: folder.appendingPathComponent(gzipped ? name + ".gz" : name))
        }
    }
    return folder
}

extension LearningTests {
    @Suite("Gzip, IDX and Fashion-MNIST") struct MNISTTests {
        @Test(arguments: GzipFixtures.cases.map(\.name))
        func gzipDecodesEveryBlockType(_ name: String) throws {
            let fixture = GzipFixtures.cases.first { $0.name == name }!
            let expected = fixturePayload(fixture.count, fixture.k)
            #expect(try Gzip.decompress(Data(fixture.bytes), backend: .swift) == expected)
            if Gzip.isZlibAvailable {
                #expect(try Gzip.decompress(Data(fixture.bytes), backend: .zlib) == expected)
            }
            #expect(try Gzip.decompress(Data(storedGzip(expected)), backend: .swift) == expected)
        }

        @Test func corruptGzipThrows() {
            var bytes = GzipFixtures.cases.first { $0.name == "dynamic" }!.bytes
            bytes[bytes.count - 6] ^= 0xff   // the CRC
            #expect { try Gzip.decompress(Data(bytes), backend: .swift) } throws: { "\($0)" == "gzip CRC-32 check failed" }
            let truncated = Array(bytes.prefix(bytes.count / 2))
            #expect { try Gzip.decompress(Data(truncated), backend: .swift) } throws: { "\($0)" == "truncated gzip data" }
            #expect(throws: GzipError.self) { try Gzip.decompress(Data(truncated)) }
            #expect { try Gzip.decompress(Data([1, 2, 3]), backend: .swift) } throws: { "\($0)" == "not gzip data (bad magic bytes)" }
        }

        @Test func idxFilesOfEveryType() throws {
            let folder = FileManager.default.temporaryDirectory
            let url = folder.appendingPathComponent("cotangent-\(UUID().uuidString)-idx")
            defer { try? FileManager.default.removeItem(at: url) }
            // int32, big-endian: [[1, -2], [70000, 3]].
            var bytes: [UInt8] = [0, 0, 0x0C, 2, 0, 0, 0, 2, 0, 0, 0, 2]
            for v: Int32 in [1, -2, 70000, 3] { bytes += withUnsafeBytes(of: v.bigEndian) { Array($0) } }
            try Data(bytes).write(to: url)
            let ints = try IDX.read(url)
            #expect(ints.shape == [2, 2] && ints.tensor!.scalars(as: Int64.self) == [1, -2, 70000, 3])
            // float64, gzip'd.
            var doubles: [UInt8] = [0, 0, 0x0E, 1, 0, 0, 0, 2]
            for v in [0.5, -1.25] { doubles += withUnsafeBytes(of: v.bitPattern.bigEndian) { Array($0) } }
            try Data(storedGzip(doubles)).write(to: url)
            #expect(try IDX.read(url).tensor!.scalars(as: Double.self) == [0.5, -1.25])
            try Data([0, 0, 0x08, 1, 0, 0, 0, 5, 1, 2]).write(to: url)
            #expect { try IDX.read(url) } throws: { error in
                "\(error)".contains("malformed IDX file") && "\(error)".contains("expected 5 bytes of data for shape [5], found 2")
            }
            try Data([0, 0, 0x07, 1]).write(to: url)
            #expect { try IDX.read(url) } throws: { "\($0)".contains("unknown element type 0x7") }
        }

        @Test(arguments: [false, true])
        func fashionMNISTFromSmallFiles(_ gzipped: Bool) throws {
            let folder = try writeSmallMNIST(count: 12, gzipped: gzipped)
            defer { try? FileManager.default.removeItem(at: folder) }
            let train = try FashionMNIST(root: folder.path)
            let test = try FashionMNIST(root: folder.path, train: false)
            #expect(train.count == 12 && test.count == 6)
            let (image, label) = train[3]
            #expect(image.shape == [1, 28, 28] && image.dtype == .float32 && label.shape == [] && label.dtype == .int64)
            #expect(label.item() == 3)
            // ToTensor: byte / 255 in float32.
            let expected = (0..<784).map { Double(Float((3 * 31 + $0) % 256) / 255) }
            #expect(image.reshaped(-1).scalars(as: Double.self) == expected)
            #expect(train.targets.scalars(as: Int64.self) == (0..<12).map { Int64($0 % 10) })
            #expect(FashionMNIST.textLabels(Tensor([9, 0] as [Int64])) == ["ankle boot", "t-shirt"])

            // A transform runs on every batch, and a loader yields (X, y) pairs.
            let normalized = try FashionMNIST(root: folder.path, transform: Transforms.normalize(mean: [0.5], std: [0.25]))
            expectClose(normalized[3].0, ((image - 0.5) / 0.25).reshaped(-1).scalars(as: Double.self), shape: [1, 28, 28])
            var seen = 0
            for (X, y) in DataLoader(normalized, batchSize: 5) {
                #expect(X.shape == [y.count, 1, 28, 28] && y.dtype == .int64)
                seen += y.count
            }
            #expect(seen == 12)
            let mnist = try MNIST(root: folder.path, train: false)
            #expect(mnist.count == 6 && mnist[5].1.item() == 5)
        }

        @Test func missingFilesNameTheFolderAndThePackage() throws {
            #expect { try FashionMNIST(root: "/nonexistent/fashion") } throws: { error in
                "\(error)" == "Fashion-MNIST not found: no train-images-idx3-ubyte or train-images-idx3-ubyte.gz in /nonexistent/fashion. Pass root: a folder that holds Fashion-MNIST's four IDX files (gzip'd or not)."
            }
            #expect { try MNIST(root: "/nonexistent/mnist", train: false) } throws: { "\($0)".hasPrefix("MNIST not found: no t10k-images-idx3-ubyte") }
            let defaultMessage = DataError.missingDataset(
                name: "Fashion-MNIST", folder: FashionMNIST.defaultRoot, file: "train-images-idx3-ubyte",
                hint: "Install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist), which puts the files in /usr/share/datasets/fashion-mnist, or pass root: a folder that holds them.")
            if FashionMNIST.isInstalled {
                print("note: the default-root error is checked by its text only, since dataset-fashion-mnist is installed")
            } else {
                #expect { try FashionMNIST() } throws: { "\($0)" == defaultMessage.description }
            }
            #expect(defaultMessage.description.contains("dataset-fashion-mnist") && defaultMessage.description.contains("/usr/share/datasets/fashion-mnist"))
            // A labels file that does not match the images is refused.
            let folder = try writeSmallMNIST(count: 4, gzipped: false)
            defer { try? FileManager.default.removeItem(at: folder) }
            try Data(idxBytes([3], [0, 1, 2])).write(to: folder.appendingPathComponent("train-labels-idx1-ubyte"))
            #expect { try FashionMNIST(root: folder.path) } throws: { "\($0)".contains("3 labels for 4 images") }
        }

        @Test func transformsMatchTorchvision() {
            let pixels = Tensor(shape: [2, 2, 3], scalars: [0, 255, 51, 102, 1, 254, 7, 8, 9, 10, 11, 12] as [Int32])
            let x = Transforms.toTensor()(pixels)
            #expect(x.shape == [3, 2, 2] && x.dtype == .float32)
            #expect(x.scalars(as: Float.self) == [0, 102, 7, 10, 255, 1, 8, 11, 51, 254, 9, 12].map { Float($0) / 255 })
            let chain = Transforms.compose(Transforms.normalize(mean: [0.1, 0.2, 0.3], std: [0.5, 1, 2]), { $0 * 2 })
            let y = chain(x)
            let mean = Tensor(shape: [3, 1, 1], scalars: [0.1, 0.2, 0.3] as [Double]).to(.float32)
            let std = Tensor(shape: [3, 1, 1], scalars: [0.5, 1, 2] as [Double]).to(.float32)
            #expect(y.equal((x - mean) / std * 2))
        }

        @Test(.enabled(if: FashionMNIST.isInstalled,
                       "Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist); .ci/run installs it"))
        func readsTheInstalledFashionMNIST() throws {
            let train = try FashionMNIST(), test = try FashionMNIST(train: false)
            #expect(train.count == 60000 && test.count == 10000)
            #expect(train.targets[0..<10].scalars(as: Int64.self) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
            #expect(test.targets[0..<8].scalars(as: Int64.self) == [9, 2, 1, 1, 6, 1, 4, 6])
            // Pixel sums of the first and last training images and the first test image (from Python's gzip).
            #expect((train[0].0 * 255).sum().item().rounded() == 76247)
            #expect((train[59999].0 * 255).sum().item().rounded() == 16684)
            #expect((test[0].0 * 255).sum().item().rounded() == 33456)
            // The Swift inflater agrees with zlib on a real file.
            let labels = try Data(contentsOf: URL(fileURLWithPath: FashionMNIST.defaultRoot + "/t10k-labels-idx1-ubyte.gz"))
            let decoded = try Gzip.decompress(labels, backend: .swift)
            #expect(decoded.count == 10008)
            if Gzip.isZlibAvailable { #expect(try Gzip.decompress(labels, backend: .zlib) == decoded) }
        }
    }
}
