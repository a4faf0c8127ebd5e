/// Sub-modules held in a list and named by position (PyTorch's `nn.ModuleList`).
///
/// Unlike ``Sequential`` it has no forward pass of its own: the module that
/// holds it decides how its layers run (``TransformerEncoder`` keeps its layers
/// in one). It prints as PyTorch's does, folding runs of equal layers into
/// `(0-5): 6 x TransformerEncoderLayer(...)`.
public final class ModuleList: Module {
    /// The modules, in order.
    public private(set) var elements: [any Module]
    public var isTraining = true

    /// Creates the list.
    public init(_ elements: [any Module]) { self.elements = elements }

    /// The number of modules.
    public var count: Int { elements.count }

    /// The module at `index`.
    public subscript(index: Int) -> any Module { elements[index] }

    /// Appends a module (PyTorch's `append`).
    public func append(_ module: any Module) { elements.append(module) }

    /// Stops, as PyTorch's `ModuleList` has no `forward`: iterate over ``elements`` instead.
    public func forward(_ input: Tensor) -> Tensor {
        fail("ModuleList", "Module [ModuleList] is missing the required \"forward\" function")
    }

    /// The modules, named `"0"`, `"1"`, ... as in PyTorch.
    public func namedChildren() -> [(name: String, module: any Module)] {
        elements.enumerated().map { (String($0.offset), $0.element) }
    }

    /// PyTorch's `ModuleList.__repr__`: consecutive equal entries are printed once.
    public var description: String {
        let reprs = elements.map(\.description)
        guard let first = reprs.first else { return "ModuleList()" }
        var blocks: [(start: Int, end: Int, text: String)] = [(0, 0, first)]
        for (i, r) in reprs.enumerated().dropFirst() {
            if r == blocks[blocks.count - 1].text { blocks[blocks.count - 1].end = i } else { blocks.append((i, i, r)) }
        }
        let lines = blocks.map { block -> String in
            let head = block.start == block.end ? "(\(block.start)): "
                : "(\(block.start)-\(block.end)): \(block.end - block.start + 1) x "
            return (head + block.text).split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  ")
        }
        return "ModuleList(\n  " + lines.joined(separator: "\n  ") + "\n)"
    }
}
