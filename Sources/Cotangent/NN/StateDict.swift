import Foundation

/// Tensors by name, in insertion order (PyTorch's `OrderedDict` from
/// `state_dict()`), so printing and iterating are stable.
///
/// ```swift
/// let state = Linear(2, 2).stateDict()
/// state.keys                 // ["weight", "bias"]
/// state["weight"]            // the weight's values, detached
/// print(state)               // OrderedDict([('weight', tensor([[...]])), ('bias', tensor([...]))])
/// ```
///
/// A dictionary literal is a state dict, in the order written.
public struct StateDict: Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// The keys, in order.
    public private(set) var keys: [String] = []
    private var values: [String: Tensor] = [:]

    /// An empty state dict.
    public init() {}

    /// A state dict of `entries`, in their order; a repeated key keeps its first place and last value.
    public init(_ entries: [(key: String, value: Tensor)]) {
        for (key, value) in entries { self[key] = value }
    }

    /// A state dict of a dictionary's entries, in sorted key order.
    public init(_ dictionary: [String: Tensor]) {
        self.init(dictionary.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    public init(dictionaryLiteral elements: (String, Tensor)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }

    /// The tensor under `key`; assigning a new key appends it, assigning nil removes it.
    public subscript(key: String) -> Tensor? {
        get { values[key] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// The number of entries.
    public var count: Int { keys.count }

    /// Whether there are no entries.
    public var isEmpty: Bool { keys.isEmpty }

    /// The entries, in order.
    public var entries: [(key: String, value: Tensor)] { keys.map { ($0, values[$0]!) } }

    /// The entries as a dictionary (for `Safetensors.write(_:to:metadata:)`, which sorts them).
    public var dictionary: [String: Tensor] { values }

    public func makeIterator() -> IndexingIterator<[(key: String, value: Tensor)]> { entries.makeIterator() }

    /// A state dict with `transform` applied to every value, in the same order.
    public func mapValues(_ transform: (Tensor) throws -> Tensor) rethrows -> StateDict {
        StateDict(try entries.map { ($0.key, try transform($0.value)) })
    }

    /// As Python prints PyTorch's state dict: `OrderedDict([('weight', tensor(...)), ...])`.
    public var description: String {
        "OrderedDict([" + entries.map { "('\($0.key)', \($0.value))" }.joined(separator: ", ") + "])"
    }
}

extension Safetensors {
    /// Writes a module's state dict to a `.safetensors` file.
    ///
    /// - Parameters:
    ///   - stateDict: The tensors, e.g. ``Module/stateDict()``.
    ///   - url: The file to write.
    ///   - metadata: Free-form string pairs stored in the header.
    /// - Throws: The error writing the file.
    public static func write(_ stateDict: StateDict, to url: URL, metadata: [String: String] = [:]) throws {
        try write(stateDict.dictionary, to: url, metadata: metadata)
    }
}

/// Why `loadStateDict(_:strict:)` refused a state dict, worded as
/// PyTorch's `load_state_dict` error.
public struct StateDictError: Error, CustomStringConvertible, Sendable {
    /// The type name of the module being loaded, e.g. `Sequential`.
    public let moduleName: String
    /// Keys the module has but the state dict lacks (reported when loading strictly).
    public let missingKeys: [String]
    /// Keys the state dict has but the module lacks (reported when loading strictly).
    public let unexpectedKeys: [String]
    /// One PyTorch-worded line per key whose shape differs, naming the key and both shapes.
    public let sizeMismatches: [String]

    public var description: String {
        var messages: [String] = []
        if !missingKeys.isEmpty {
            messages.append("Missing key(s) in state_dict: \(missingKeys.map { "\"\($0)\"" }.joined(separator: ", ")). ")
        }
        if !unexpectedKeys.isEmpty {
            messages.append("Unexpected key(s) in state_dict: \(unexpectedKeys.map { "\"\($0)\"" }.joined(separator: ", ")). ")
        }
        messages += sizeMismatches
        return "Error(s) in loading state_dict for \(moduleName):\n\t" + messages.joined(separator: "\n\t")
    }
}

/// A shape as PyTorch prints it in messages: `torch.Size([2, 3])`.
func torchSizeText(_ shape: [Int]) -> String { "torch.Size(\(shapeText(shape)))" }

extension Module {
    /// Every saved slot under its dotted name, in PyTorch's order (a module's
    /// parameters, then its persistent buffers, then each child's), shared ones under each name.
    func stateSlotEntries() -> [(key: String, slot: ModuleTensorSlot)] {
        var result: [(key: String, slot: ModuleTensorSlot)] = []
        func visit(_ module: any Module, prefix: String) {
            for (name, slot) in module.stateSlots() { result.append((prefix + name, slot)) }
            for (name, child) in module.namedChildren() { visit(child, prefix: prefix + name + ".") }
        }
        visit(self, prefix: "")
        return result
    }

    /// The module's parameters and persistent buffers by their PyTorch names,
    /// e.g. `"0.weight"`, `"1.running_mean"`, in PyTorch's order (PyTorch's `state_dict()`).
    ///
    /// The values share storage with the module's tensors but carry no autograd
    /// history; save them with `Safetensors.write(_:to:metadata:)`.
    /// Uninitialized lazy parameters are left out (PyTorch lists placeholders).
    ///
    /// - Returns: The tensors by dotted name.
    public func stateDict() -> StateDict {
        StateDict(stateSlotEntries().compactMap { key, slot in slot.tensor.map { (key, $0.detached()) } })
    }

    /// Copies values into the module's parameters and persistent buffers by
    /// name (PyTorch's `load_state_dict`).
    ///
    /// Nothing is copied unless every check passes, so a failed load leaves the
    /// module unchanged (PyTorch copies the entries that fit before it throws).
    /// Values are converted to each tensor's dtype. An uninitialized lazy
    /// parameter takes the checkpoint's shape. As in PyTorch, a 1-d value of
    /// one element loads into a 0-d tensor.
    ///
    /// - Parameters:
    ///   - stateDict: Tensors by dotted name, as ``stateDict()`` returns them.
    ///   - strict: Whether missing and unexpected keys are errors (the default).
    ///     Shape mismatches are always errors.
    /// - Returns: The keys that were missing and unexpected (both empty after a strict load).
    /// - Throws: ``StateDictError``, listing every missing, unexpected and mis-shaped key.
    @discardableResult
    public func loadStateDict(_ stateDict: StateDict, strict: Bool = true) throws
        -> (missingKeys: [String], unexpectedKeys: [String]) {
        var missing: [String] = [], unexpected: [String] = [], mismatches: [String] = []
        var copies: [(slot: ModuleTensorSlot, value: Tensor)] = []
        // PyTorch's recursion: each module checks its own keys, then reports the
        // state dict's keys under its prefix that name neither a local entry nor a child.
        func visit(_ module: any Module, prefix: String) {
            let local = module.stateSlots()
            for (name, slot) in local {
                let key = prefix + name
                guard var value = stateDict[key] else { missing.append(key); continue }
                if let target = slot.tensor {
                    if target.rank == 0 && value.rank == 1 && value.count == 1 { value = value.reshaped([]) }
                    guard value.shape == target.shape else {
                        mismatches.append("size mismatch for \(key): copying a param with shape \(torchSizeText(value.shape)) from checkpoint, the shape in current model is \(torchSizeText(target.shape)).")
                        continue
                    }
                }
                copies.append((slot, value))
            }
            let localNames = Set(local.map(\.name))
            // Children of an `[any Module]` property are named `blocks.0`, so a
            // key belongs to a child when it starts with the child's name and a dot.
            let childPrefixes = module.namedChildren().map { $0.name + "." }
            for key in stateDict.keys where key.hasPrefix(prefix) {
                let rest = key.dropFirst(prefix.count)
                if rest.contains(".") {
                    if !childPrefixes.contains(where: { rest.hasPrefix($0) }) { unexpected.append(key) }
                } else if !localNames.contains(String(rest)) {
                    unexpected.append(key)
                }
            }
            for (name, child) in module.namedChildren() { visit(child, prefix: prefix + name + ".") }
        }
        visit(self, prefix: "")
        if !mismatches.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            throw StateDictError(moduleName: typeName, missingKeys: strict ? missing : [],
                                 unexpectedKeys: strict ? unexpected : [], sizeMismatches: mismatches)
        }
        withNoGrad {
            for (slot, value) in copies {
                if let target = slot.tensor {
                    if value !== target { target.copy(from: value) }
                } else if let dtype = slot.uninitializedDType {
                    // Materialise a lazy parameter with the checkpoint's shape.
                    slot.assign(value.to(dtype).cloned())
                }
            }
        }
        return (missing, unexpected)
    }

    /// Copies values from a dictionary (e.g. ``Safetensors/read(from:)``'s);
    /// unexpected keys are reported in sorted order. See the `StateDict` overload.
    @discardableResult
    public func loadStateDict(_ dictionary: [String: Tensor], strict: Bool = true) throws
        -> (missingKeys: [String], unexpectedKeys: [String]) {
        try loadStateDict(StateDict(dictionary), strict: strict)
    }
}
