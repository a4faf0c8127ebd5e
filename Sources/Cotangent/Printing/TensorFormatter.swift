#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a tensor's values into exactly the text PyTorch prints for it
/// (`str(t)` in PyTorch 2.15), except that dtypes are written `float64` rather
/// than `torch.float64`.
///
/// The formatter knows nothing about tensors: it gets a shape, a dtype and an
/// accessor for elements by row-major flat index. It reads only the elements it
/// displays, each once, so printing a summarised tensor of any size costs time
/// proportional to what is printed.
///
/// Section numbers (§) refer to the printing specification,
/// `../shared/notes/pytorch-printing.md`; they follow PyTorch's
/// `torch/_tensor_str.py`:
/// 1. layout and suffixes (`_str_intern`, `_add_suffixes`),
/// 2. one width and mode for the whole tensor (`_Formatter`),
/// 3. per-element text,
/// 4. nesting (`_tensor_str_with_formatter`),
/// 5. summarisation (`get_summarized_data`),
/// 6. line wrapping (`_vector_str`).
enum TensorFormatter {
    /// Element accessors by row-major flat index.
    enum Elements {
        /// Floating-point elements; float32 values already widened exactly to `Double`.
        case floating((Int) -> Double)
        /// Integer elements of any width.
        case integer((Int) -> Int64)
        /// Bool elements.
        case boolean((Int) -> Bool)
    }

    /// What every repr starts with; its length, 7, is the column of the outermost `[`.
    private static let prefix = "tensor("

    /// The full repr: `"tensor("` + body + suffixes + `")"`.
    ///
    /// - Parameters:
    ///   - shape: The tensor's shape; `[]` for a rank-0 tensor.
    ///   - dtype: The element type, which decides the `dtype=` suffix.
    ///   - elements: Reads an element by row-major flat index. Only displayed
    ///     elements are read.
    ///   - autogradSuffix: `"grad_fn=<MulBackward0>"`, `"requires_grad=True"`
    ///     or nil.
    ///   - options: The print options to apply.
    static func format(shape: [Int], dtype: DType, elements: Elements, autogradSuffix: String?, options: PrintOptions) -> String {
        let count = shape.reduce(1, *)
        let edgeItems = max(0, options.edgeItems)

        // §1: the body, then suffixes in a fixed order.
        var suffixes: [Suffix] = []
        let body: String
        if count == 0 {
            body = "[]"
            // An empty tensor shows its size unless it is a plain `[]` vector,
            // and shows every dtype but the default float one.
            if shape.count != 1 { suffixes.append(Suffix(size: shape)) }
            if dtype != DType.defaultFloat { suffixes.append(Suffix(dtype: dtype)) }
        } else {
            body = nonEmptyBody(shape: shape, count: count, elements: elements, options: options, edgeItems: edgeItems)
            if edgeItems == 0 { suffixes.append(Suffix(size: shape)) }
            if !isDefault(dtype) { suffixes.append(Suffix(dtype: dtype)) }
        }
        if let autogradSuffix { suffixes.append(Suffix(autogradSuffix)) }
        return appendingSuffixes(suffixes, to: prefix + body, lineWidth: options.lineWidth)
    }

    /// Whether a non-empty tensor of this dtype prints without a `dtype=`
    /// suffix: the default float dtype, and the dtypes inferred from Python
    /// integers and bools.
    private static func isDefault(_ dtype: DType) -> Bool {
        dtype == DType.defaultFloat || dtype == .int64 || dtype == .bool
    }

    // MARK: - Body

    /// BODY for a tensor with at least one element (§4, §5).
    private static func nonEmptyBody(shape: [Int], count: Int, elements: Elements, options: PrintOptions, edgeItems: Int) -> String {
        // §5: the decision is made once, from the element count; rank-0
        // tensors are never summarised.
        let summarise = !shape.isEmpty && count > options.threshold
        if summarise && edgeItems == 0 { return "[...]" }

        let axes = shape.map { AxisSelection(length: $0, edgeItems: summarise ? edgeItems : nil) }
        let flatIndices = displayedFlatIndices(shape: shape, axes: axes)
        let (items, width) = formattedElements(at: flatIndices, of: elements, options: options)
        if shape.isEmpty { return items[0] }

        var renderer = NestedRenderer(axes: axes, items: items, width: width, lineWidth: options.lineWidth)
        return renderer.render(axis: 0, indent: prefix.count)
    }

    /// The entries of one axis that are displayed (§5).
    private struct AxisSelection {
        /// The displayed indices, in order.
        let indices: [Int]
        /// Where the placeholder goes among `indices`, if the axis is cut.
        let placeholderPosition: Int?

        /// - Parameter edgeItems: The entries kept at each end when the tensor
        ///   is summarised, or nil when it is not.
        init(length: Int, edgeItems: Int?) {
            // Written `length - e > e` rather than `length > 2 * e` so that a
            // huge edge count cannot overflow.
            if let e = edgeItems, length - e > e {
                indices = Array(0..<e) + Array((length - e)..<length)
                placeholderPosition = e
            } else {
                indices = Array(0..<length)
                placeholderPosition = nil
            }
        }
    }

    /// The row-major flat indices of the displayed elements, in display order:
    /// every combination of the displayed indices of each axis.
    private static func displayedFlatIndices(shape: [Int], axes: [AxisSelection]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in shape.indices.dropLast().reversed() {
            strides[axis] = strides[axis + 1] * shape[axis + 1]
        }
        var result = [0]
        for (axis, selection) in axes.enumerated() {
            let offsets = selection.indices.map { $0 * strides[axis] }
            result = result.flatMap { base in offsets.map { base + $0 } }
        }
        return result
    }

    // MARK: - Element text (§2, §3)

    /// Converts the elements at `flatIndices` to text padded to the tensor's
    /// common width, and returns that width.
    private static func formattedElements(at flatIndices: [Int], of elements: Elements, options: PrintOptions) -> (items: [String], width: Int) {
        let texts: [String]
        let width: Int
        switch elements {
        case .integer(let element):
            texts = flatIndices.map { String(element($0)) }
            width = texts.reduce(1) { max($0, $1.utf8.count) }
        case .boolean(let element):
            texts = flatIndices.map { element($0) ? "True" : "False" }
            width = texts.reduce(1) { max($0, $1.utf8.count) }
        case .floating(let element):
            let values = flatIndices.map(element)
            let style = FloatStyle(values: values, precision: max(0, options.precision), sciMode: options.sciMode)
            texts = values.map(style.text)
            width = style.width
        }
        return (texts.map { leftPadded($0, to: width) }, width)
    }

    /// How floating-point elements are written: one mode and width for the
    /// whole tensor, chosen from its displayed elements (PyTorch's `_Formatter`).
    private struct FloatStyle {
        enum Mode {
            /// `3.`: every decisive value is integral.
            case integral
            /// `3.1416`: `%.{P}f`.
            case fixed
            /// `3.1416e+00`: `%.{P}e`.
            case scientific
        }

        let mode: Mode
        let precision: Int
        /// W of §2: the widest text among the finite non-zero values.
        private(set) var width = 1

        init(values: [Double], precision: Int, sciMode: Bool?) {
            self.precision = precision
            // Zeros (either sign), NaN and infinities take no part in any decision.
            let decisive = values.filter { $0.isFinite && $0 != 0 }
            guard !decisive.isEmpty else {
                // Even a forced sci_mode gives way here (`[0., 0.]`).
                mode = .integral
                return
            }
            let integral = decisive.allSatisfy { $0 == $0.rounded(.up) }
            let scientific: Bool
            if let sciMode {
                scientific = sciMode
            } else {
                // Strict comparisons on the widened values: float32 1e-4 is
                // slightly below 1e-4 and so goes scientific.
                let magnitudes = decisive.map(\.magnitude)
                let largest = magnitudes.max()!
                let smallest = magnitudes.min()!
                scientific = largest / smallest > 1000 || largest > 1e8 || smallest < 1e-4
            }
            mode = scientific ? .scientific : integral ? .integral : .fixed
            width = decisive.reduce(1) { max($0, text($1).utf8.count) }
        }

        /// One element's text, before padding.
        func text(_ value: Double) -> String {
            switch mode {
            case .scientific:
                return CFormat.scientific(value, precision: precision)
            case .integral:
                // The point marks a float; non-finite values stay bare (`nan`).
                let digits = CFormat.fixed(value, precision: 0)
                return value.isFinite ? digits + "." : digits
            case .fixed:
                return CFormat.fixed(value, precision: precision)
            }
        }
    }

    /// `s` left-padded with spaces to `width`; never truncated.
    private static func leftPadded(_ s: String, to width: Int) -> String {
        let missing = width - s.utf8.count
        return missing > 0 ? String(repeating: " ", count: missing) + s : s
    }

    // MARK: - Nesting and wrapping (§4, §6)

    /// Renders nested brackets, consuming the padded element texts in order.
    private struct NestedRenderer {
        let axes: [AxisSelection]
        let items: [String]
        let width: Int
        let lineWidth: Int
        private var next = 0

        init(axes: [AxisSelection], items: [String], width: Int, lineWidth: Int) {
            self.axes = axes
            self.items = items
            self.width = width
            self.lineWidth = lineWidth
        }

        /// The sub-tensor along `axis` and below, whose `[` sits at column `indent`.
        mutating func render(axis: Int, indent: Int) -> String {
            let selection = axes[axis]
            let remainingRank = axes.count - axis
            if remainingRank == 1 {
                var row = Array(items[next..<(next + selection.indices.count)])
                next += selection.indices.count
                if let position = selection.placeholderPosition { row.insert(" ...", at: position) }
                return renderRow(row, indent: indent)
            }
            var children: [String] = []
            children.reserveCapacity(selection.indices.count + 1)
            for position in selection.indices.indices {
                if position == selection.placeholderPosition { children.append("...") }
                children.append(render(axis: axis + 1, indent: indent + 1))
            }
            // Rank-3 blocks are separated by one empty line, rank-4 by two, and so on.
            let separator = "," + String(repeating: "\n", count: remainingRank - 1) + String(repeating: " ", count: indent + 1)
            return "[" + children.joined(separator: separator) + "]"
        }

        /// A row, wrapped so each line holds as many items as fit at width W
        /// plus `", "`; continuation lines align after the `[`.
        private func renderRow(_ row: [String], indent: Int) -> String {
            // Measured with W, not the actual texts; the placeholder takes one slot.
            // Truncating division matches Python's floor here because of the max.
            let perLine = max(1, (lineWidth - indent) / (width + 2))
            let lines = stride(from: 0, to: row.count, by: perLine).map {
                row[$0..<min($0 + perLine, row.count)].joined(separator: ", ")
            }
            return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent + 1)) + "]"
        }
    }

    // MARK: - Suffixes (§1, §6)

    /// A suffix such as `dtype=float64`, with the length used to decide where it goes.
    private struct Suffix {
        let text: String
        let measuredLength: Int

        init(_ text: String) {
            self.text = text
            measuredLength = text.utf8.count
        }

        /// `size=(2, 3)`, written like a Python tuple: `(5,)` for rank 1, `()` for rank 0.
        init(size shape: [Int]) {
            let dims = shape.map(String.init).joined(separator: ", ")
            self.init("size=(" + dims + (shape.count == 1 ? ",)" : ")"))
        }

        /// `dtype=float64`, measured as PyTorch's `dtype=torch.float64` so that
        /// lines break where PyTorch breaks them.
        init(dtype: DType) {
            text = "dtype=\(dtype)"
            measuredLength = text.utf8.count + "torch.".utf8.count
        }
    }

    /// Appends `suffixes` and the closing `)`, moving a suffix to its own line
    /// (indented by 7) when it would pass `lineWidth`.
    private static func appendingSuffixes(_ suffixes: [Suffix], to text: String, lineWidth: Int) -> String {
        var result = text
        let lastLineLength = text.utf8.reversed().prefix { $0 != UInt8(ascii: "\n") }.count
        // PyTorch counts the last line 2 columns too long (the "+2 quirk");
        // the count is exact once a suffix has wrapped.
        var column = lastLineLength + 2
        for suffix in suffixes {
            if column + suffix.measuredLength + 2 > lineWidth {
                result += ",\n" + String(repeating: " ", count: prefix.count) + suffix.text
                column = prefix.count + suffix.measuredLength
            } else {
                result += ", " + suffix.text
                column += suffix.measuredLength + 2
            }
        }
        return result + ")"
    }
}

// MARK: - Exact decimal conversion

/// The number-to-text primitives F and S: C's `%.*f` and `%.*e`, which write
/// the exact binary value rounded correctly, ties to even (Swift's
/// `description` writes the shortest round-tripping text instead).
private enum CFormat {
    /// F(v, p): fixed-point with exactly `precision` digits after the point.
    static func fixed(_ value: Double, precision: Int) -> String {
        nonFinite(value) ?? printf("%.*f", precision, value)
    }

    /// S(v, p): one digit, `precision` more after the point, then `e±XX`.
    static func scientific(_ value: Double, precision: Int) -> String {
        nonFinite(value) ?? printf("%.*e", precision, value)
    }

    /// PyTorch writes `nan` whatever its sign bit, where C could write `-nan`.
    private static func nonFinite(_ value: Double) -> String? {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return nil
    }

    /// Formats with `vsnprintf`. This assumes the C locale's decimal point,
    /// which a process keeps unless it calls `setlocale`.
    private static func printf(_ format: String, _ precision: Int, _ value: Double) -> String {
        let arguments: [any CVarArg] = [Int32(clamping: precision), value]
        /// Writes the text and its terminating NUL if they fit; returns the text's full length.
        func write(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
            buffer.withMemoryRebound(to: CChar.self) { chars in
                withVaList(arguments) { Int(vsnprintf(chars.baseAddress, chars.count, format, $0)) }
            }
        }
        // Most texts fit a small buffer; longer ones are written again at their full length.
        var needed = 0
        let short = String(unsafeUninitializedCapacity: 32) { buffer in
            needed = write(into: buffer)
            return needed < buffer.count ? needed : 0
        }
        if short.utf8.count == needed { return short }
        return String(unsafeUninitializedCapacity: needed + 1, initializingUTF8With: write)
    }
}
