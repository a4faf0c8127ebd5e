import Foundation

/// Grayscale images and their class labels read from a pair of IDX files:
/// what ``FashionMNIST`` and ``MNIST`` hold.
struct IDXImageData: Sendable {
    let pixels: [UInt8]
    let labels: [Int64]
    let height: Int, width: Int

    var count: Int { labels.count }

    /// Reads `prefix-images-idx3-ubyte` and `prefix-labels-idx1-ubyte` (each
    /// `.gz` or not) from the first folder that has them.
    init(name: String, folders: [String], prefix: String, classCount: Int, hint: String) throws {
        let fileManager = FileManager.default
        func find(_ file: String) throws -> URL {
            for folder in folders {
                for candidate in [file + ".gz", file] {
                    let path = (folder as NSString).appendingPathComponent(candidate)
                    if fileManager.fileExists(atPath: path) { return URL(fileURLWithPath: path) }
                }
            }
            throw DataError.missingDataset(name: name, folder: folders[0], file: file, hint: hint)
        }
        let imageURL = try find("\(prefix)-images-idx3-ubyte"), labelURL = try find("\(prefix)-labels-idx1-ubyte")
        let images = try IDX.read(imageURL), labels = try IDX.read(labelURL)
        guard images.shape.count == 3, !images.bytes.isEmpty || images.shape[0] == 0 else {
            throw DataError.malformedIDX(file: imageURL.lastPathComponent, reason: "expected unsigned bytes of shape [count, height, width], found shape \(images.shape)")
        }
        guard labels.shape.count == 1, labels.tensor == nil else {
            throw DataError.malformedIDX(file: labelURL.lastPathComponent, reason: "expected unsigned bytes of shape [count], found shape \(labels.shape)")
        }
        guard labels.shape[0] == images.shape[0] else {
            throw DataError.malformedIDX(file: labelURL.lastPathComponent, reason: "\(labels.shape[0]) labels for \(images.shape[0]) images")
        }
        if let bad = labels.bytes.first(where: { Int($0) >= classCount }) {
            throw DataError.malformedIDX(file: labelURL.lastPathComponent, reason: "label \(bad) is not one of the \(classCount) classes")
        }
        pixels = images.bytes
        self.labels = labels.bytes.map(Int64.init)
        height = images.shape[1]
        width = images.shape[2]
    }

    /// Images `[n, 1, height, width]` as float32 in [0, 1] (torchvision's
    /// `ToTensor`: `byte / 255` in float32), then `transform`; and labels `[n]` int64.
    func batch(at indices: [Int], transform: ((Tensor) -> Tensor)?) -> (Tensor, Tensor) {
        let size = height * width
        var values = [Float](repeating: 0, count: indices.count * size)
        for (row, i) in indices.enumerated() {
            check(i >= 0 && i < count, "Dataset", "index \(i) is out of range for \(count) samples")
            for j in 0..<size { values[row * size + j] = Float(pixels[i * size + j]) / 255 }
        }
        let images = Tensor(shape: [indices.count, 1, height, width], scalars: values)
        return (transform?(images) ?? images, Tensor(shape: [indices.count], scalars: indices.map { labels[$0] }))
    }
}

/// Fashion-MNIST (Zalando Research, MIT licence): 28x28 grayscale images of
/// ten kinds of clothing, 60,000 for training and 10,000 for testing
/// (torchvision's `FashionMNIST`).
///
/// Without a `root`, the files are read where Debian's `dataset-fashion-mnist`
/// package installs them (``defaultRoot``). Samples are `(image, label)`:
/// the image `[1, 28, 28]` float32 in [0, 1], as torchvision's `ToTensor` gives
/// it, after the `transform`; the label a 0-d int64. Batches stack them, so a
/// loader yields pairs:
///
/// ```swift
/// let train = try FashionMNIST(train: true, transform: Transforms.normalize(mean: [0.2860], std: [0.3530]))
/// for (X, y) in DataLoader(train, batchSize: 256, shuffle: true) {   // [256, 1, 28, 28], [256]
///     ...
/// }
/// ```
public struct FashionMNIST: Dataset {
    /// Where Debian's `dataset-fashion-mnist` puts the files.
    public static let defaultRoot = "/usr/share/datasets/fashion-mnist"
    /// The class names, by label (D2L's `text_labels`).
    public static let classes = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]

    private let data: IDXImageData
    /// Applied to every batch of images `[n, 1, 28, 28]` (a sample is a batch of one).
    public var transform: ((Tensor) -> Tensor)?

    /// Reads the training or test split.
    ///
    /// - Parameters:
    ///   - root: The folder with `train-images-idx3-ubyte(.gz)` and the other
    ///     three files (or with torchvision's `FashionMNIST/raw` inside it);
    ///     nil for ``defaultRoot``.
    ///   - train: The 60,000 training images (`true`, the default) or the 10,000 test images.
    ///   - transform: Applied to each batch of images, e.g. ``Transforms/normalize(mean:std:)``.
    /// - Throws: ``DataError/missingDataset(name:folder:file:hint:)`` naming the
    ///   package and the folder when the files are absent; ``DataError/malformedIDX(file:reason:)``
    ///   or ``GzipError`` for a bad file.
    public init(root: String? = nil, train: Bool = true, transform: ((Tensor) -> Tensor)? = nil) throws {
        let folder = root ?? Self.defaultRoot
        let hint = root == nil
            ? "Install Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist), which puts the files in \(Self.defaultRoot), or pass root: a folder that holds them."
            : "Pass root: a folder that holds Fashion-MNIST's four IDX files (gzip'd or not)."
        data = try IDXImageData(name: "Fashion-MNIST", folders: [folder, (folder as NSString).appendingPathComponent("FashionMNIST/raw")],
                                prefix: train ? "train" : "t10k", classCount: 10, hint: hint)
        self.transform = transform
    }

    /// Whether the default files are installed.
    public static var isInstalled: Bool {
        FileManager.default.fileExists(atPath: defaultRoot + "/train-images-idx3-ubyte.gz")
            || FileManager.default.fileExists(atPath: defaultRoot + "/train-images-idx3-ubyte")
    }

    public var count: Int { data.count }
    /// Every label, `[count]` int64 (torchvision's `targets`).
    public var targets: Tensor { Tensor(shape: [data.count], scalars: data.labels) }
    /// The image `[1, 28, 28]` and the label of sample `index`.
    public subscript(index: Int) -> (Tensor, Tensor) {
        let (x, y) = data.batch(at: [index], transform: transform)
        return (x.squeezed(0), y.reshaped([]))
    }
    /// Images `[n, 1, 28, 28]` and labels `[n]`.
    public func batch(at indices: [Int]) -> (Tensor, Tensor) { data.batch(at: indices, transform: transform) }

    /// The class names of `labels` (D2L's `text_labels`).
    public static func textLabels(_ labels: Tensor) -> [String] {
        labels.reshaped(-1).scalars(as: Int64.self).map { classes[Int($0)] }
    }
}

/// MNIST's handwritten digits (Yann LeCun, Corinna Cortes and Christopher
/// Burges) from their IDX files (torchvision's `MNIST`); samples and batches
/// are as ``FashionMNIST``'s. Debian packages no MNIST, so a root is required.
public struct MNIST: Dataset {
    private let data: IDXImageData
    /// Applied to every batch of images `[n, 1, 28, 28]` (a sample is a batch of one).
    public var transform: ((Tensor) -> Tensor)?

    /// Reads the training or test split.
    ///
    /// - Parameters:
    ///   - root: The folder with `train-images-idx3-ubyte(.gz)` and the other
    ///     three files (or with torchvision's `MNIST/raw` inside it).
    ///   - train: The 60,000 training images (`true`, the default) or the 10,000 test images.
    ///   - transform: Applied to each batch of images.
    /// - Throws: ``DataError`` or ``GzipError`` as ``FashionMNIST/init(root:train:transform:)``.
    public init(root: String, train: Bool = true, transform: ((Tensor) -> Tensor)? = nil) throws {
        data = try IDXImageData(name: "MNIST", folders: [root, (root as NSString).appendingPathComponent("MNIST/raw")],
                                prefix: train ? "train" : "t10k", classCount: 10,
                                hint: "Pass root: a folder that holds MNIST's four IDX files (gzip'd or not).")
        self.transform = transform
    }

    public var count: Int { data.count }
    /// Every label, `[count]` int64 (torchvision's `targets`).
    public var targets: Tensor { Tensor(shape: [data.count], scalars: data.labels) }
    /// The image `[1, 28, 28]` and the label of sample `index`.
    public subscript(index: Int) -> (Tensor, Tensor) {
        let (x, y) = data.batch(at: [index], transform: transform)
        return (x.squeezed(0), y.reshaped([]))
    }
    /// Images `[n, 1, 28, 28]` and labels `[n]`.
    public func batch(at indices: [Int]) -> (Tensor, Tensor) { data.batch(at: indices, transform: transform) }
}

/// Transforms on image tensors, as composable functions (torchvision's
/// `transforms`): each returns a function from tensor to tensor, for a data
/// set's `transform:`.
///
/// ```swift
/// let transform = Transforms.compose(Transforms.normalize(mean: [0.5], std: [0.5]), { $0.flattened(startDim: 1) })
/// ```
public enum Transforms {
    /// Chains transforms, first to last (torchvision's `Compose`).
    public static func compose(_ transforms: ((Tensor) -> Tensor)...) -> (Tensor) -> Tensor {
        { x in transforms.reduce(x) { $1($0) } }
    }

    /// Integer pixel values in 0...255 to float32 in [0, 1], channels first
    /// (torchvision's `ToTensor` on a `uint8` image; any integer dtype is taken).
    ///
    /// `[H, W]` becomes `[1, H, W]` and `[H, W, C]` becomes `[C, H, W]`, each `value / 255` in float32.
    public static func toTensor() -> (Tensor) -> Tensor {
        { image in
            check(image.dtype.isInteger, "ToTensor", "expected an integer image with values in 0...255, got \(image.dtype)")
            check(image.rank == 2 || image.rank == 3, "ToTensor", "pic should be 2 or 3 dimensional. Got \(image.rank) dimensions.")
            let chw = image.rank == 2 ? image.unsqueezed(0) : image.permuted([2, 0, 1])
            return chw.to(.float32) / 255.0
        }
    }

    /// Subtracts a mean and divides by a standard deviation per channel,
    /// the channel dimension being the third from the end (torchvision's `Normalize`).
    ///
    /// - Parameters:
    ///   - mean: One mean per channel (or one for all).
    ///   - std: One standard deviation per channel (or one for all), none zero.
    public static func normalize(mean: [Double], std: [Double]) -> (Tensor) -> Tensor {
        check(!std.contains(0), "Normalize", "std evaluated to zero after conversion to torch.float32, leading to division by zero.")
        return { x in
            check(x.rank >= 3, "Normalize", "Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = \(torchSizeText(x.shape))")
            let shape = [mean.count, 1, 1]
            let m = Tensor(shape: shape, scalars: mean).to(x.dtype), s = Tensor(shape: [std.count, 1, 1], scalars: std).to(x.dtype)
            return (x - m) / s
        }
    }
}
