import Synchronization

/// PyTorch's print options (`torch.set_printoptions`).
///
/// They control how a ``Tensor`` is turned into text: how many digits are shown,
/// when large tensors are summarised with `...`, and where lines wrap. The
/// defaults reproduce PyTorch's defaults, so `print(tensor)` gives the same text
/// as `print(tensor)` in Python, apart from the `torch.` prefix on dtype names.
///
/// Change them for the whole process with ``Tensor/printOptions`` or for one
/// piece of code with ``Tensor/withPrintOptions(_:_:)``:
///
/// ```swift
/// Tensor.withPrintOptions(.init(precision: 2)) {
///     print(x)   // tensor([ 1.12, -2.50])
/// }
/// ```
public struct PrintOptions: Sendable, Equatable {
    /// Digits after the decimal point for floating-point elements (`precision`).
    ///
    /// Values below zero are treated as zero.
    public var precision: Int

    /// The largest element count printed in full (`threshold`).
    ///
    /// A tensor with more elements is summarised: along every axis longer than
    /// `2 * edgeItems`, only the first and last ``edgeItems`` entries are shown.
    /// Use `Int.max` never to summarise.
    public var threshold: Int

    /// Entries shown at each end of a summarised axis (`edgeitems`).
    ///
    /// With zero, a summarised tensor prints as `[...]`, and every non-empty
    /// tensor also shows its `size=`. Values below zero are treated as zero.
    public var edgeItems: Int

    /// The number of columns that rows and suffixes wrap at (`linewidth`).
    public var lineWidth: Int

    /// Whether floating-point elements use scientific notation (`sci_mode`).
    ///
    /// `nil` chooses automatically: scientific notation is used when the
    /// displayed non-zero finite magnitudes span more than a factor of 1000, or
    /// any exceeds 1e8, or any is below 1e-4. `true` and `false` force the mode.
    /// Integer and bool tensors ignore it, as do floating-point tensors whose
    /// displayed elements are all zero or non-finite.
    public var sciMode: Bool?

    /// Creates print options; every argument defaults to PyTorch's default.
    public init(precision: Int = 4, threshold: Int = 1000, edgeItems: Int = 3, lineWidth: Int = 80, sciMode: Bool? = nil) {
        self.precision = precision
        self.threshold = threshold
        self.edgeItems = edgeItems
        self.lineWidth = lineWidth
        self.sciMode = sciMode
    }

    /// PyTorch's defaults (`profile="default"`): precision 4, threshold 1000,
    /// 3 edge items, 80 columns, automatic scientific notation.
    public static let `default` = PrintOptions()

    /// PyTorch's `profile="short"`: precision 2, threshold 1000, 2 edge items, 80 columns.
    public static let short = PrintOptions(precision: 2, threshold: 1000, edgeItems: 2, lineWidth: 80)

    /// PyTorch's `profile="full"`: like ``default`` but never summarises.
    public static let full = PrintOptions(precision: 4, threshold: .max, edgeItems: 3, lineWidth: 80)
}

/// The process-wide options. A global in Swift 6 must be safe to share between
/// threads, hence the mutex.
private let currentPrintOptions = Mutex(PrintOptions.default)

extension Tensor {
    /// The print options used whenever a tensor is turned into text.
    ///
    /// They are shared by the whole process, as in PyTorch; reading and writing
    /// them is thread-safe. Assigning replaces every option, like
    /// `torch.set_printoptions` with all arguments given; to change one, write
    /// through the property:
    ///
    /// ```swift
    /// Tensor.printOptions = .short
    /// Tensor.printOptions.lineWidth = 120
    /// ```
    public static var printOptions: PrintOptions {
        get { currentPrintOptions.withLock { $0 } }
        set { currentPrintOptions.withLock { $0 = newValue } }
    }

    /// Runs `body` with temporary print options, restoring the previous options
    /// afterwards, even if `body` throws.
    ///
    /// The options are process-wide, so other threads printing meanwhile see
    /// them too; avoid overlapping calls from concurrent tasks.
    ///
    /// - Parameters:
    ///   - options: The options in effect while `body` runs.
    ///   - body: The code to run.
    /// - Returns: Whatever `body` returns.
    public static func withPrintOptions<R>(_ options: PrintOptions, _ body: () throws -> R) rethrows -> R {
        let previous = currentPrintOptions.withLock { current in
            let previous = current
            current = options
            return previous
        }
        defer { printOptions = previous }
        return try body()
    }
}
