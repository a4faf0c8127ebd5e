// The module protocol (PyTorch's `nn.Module`): parameters and sub-modules are
// found by reflecting over stored properties, as mlx-swift does, and named by
// property name, so `stateDict()` keys match PyTorch's (`0.weight`, `fc1.bias`).

/// A layer or a model: a callable that owns parameters and sub-modules
/// (PyTorch's `torch.nn.Module`).
///
/// Conform a class and store its parts as properties; nothing needs to be
/// listed by hand. Every stored `Tensor` (or `Tensor?`, `[Tensor]`) is a
/// parameter and every stored module (or `[any Module]`) is a sub-module,
/// named after the property, as PyTorch names attributes:
///
/// ```swift
/// final class MLP: Module {
///     let hidden = Linear(64, 256)
///     let output = Linear(256, 10)
///     var isTraining = true
///     func forward(_ x: Tensor) -> Tensor { output(hidden(x).relu()) }
/// }
/// let model = MLP()
/// model.namedParameters().map(\.name)   // ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
/// let y = model(x)                      // forward, with the module's hooks
/// ```
///
/// As in PyTorch, a module implements ``forward(_:)`` and is called as a
/// function (`model(x)`), which also runs the hooks registered on it
/// (``registerForwardHook(_:)`` and the others in `ModuleHooks.swift`).
///
/// Parameters are ordered as in PyTorch: a module's own, in declaration
/// order, then each sub-module's, depth first.
public protocol Module: AnyObject, CustomStringConvertible {
    /// Computes the module's output (PyTorch's `forward`).
    ///
    /// Implement it, but call the module itself (`model(x)`): that runs
    /// `forward` together with the module's hooks.
    func forward(_ input: Tensor) -> Tensor

    /// Whether the module is in training mode (PyTorch's `training`); see ``train(_:)``.
    ///
    /// Declare it as a stored `var isTraining = true` in a module whose forward
    /// pass depends on the mode (as ``Dropout`` does). Without one, the module
    /// reports its first sub-module's mode.
    var isTraining: Bool { get set }

    /// The direct sub-modules and their names (PyTorch's `named_children()`).
    ///
    /// The default reflects over stored properties; ``Sequential`` names its
    /// layers by position instead.
    func namedChildren() -> [(name: String, module: any Module)]

    /// The arguments shown between the parentheses of ``description``
    /// (PyTorch's `extra_repr`), e.g. `in_features=3, out_features=2, bias=True`.
    var extraDescription: String { get }
}

/// One stored member that reflection found on a module.
private enum ModuleMember {
    case parameter(Tensor)
    case module(any Module)
}

/// The parameters and sub-modules stored on `object`, superclass members first.
private func reflectedMembers(of object: AnyObject) -> [(name: String, member: ModuleMember)] {
    var mirrors: [Mirror] = []
    var next: Mirror? = Mirror(reflecting: object)
    while let mirror = next {
        mirrors.append(mirror)
        next = mirror.superclassMirror
    }
    var members: [(name: String, member: ModuleMember)] = []
    for mirror in mirrors.reversed() {
        for child in mirror.children {
            guard var name = child.label else { continue }
            // `lazy var x` is stored as `$__lazy_storage_$_x`.
            let lazyPrefix = "$__lazy_storage_$_"
            if name.hasPrefix(lazyPrefix) { name.removeFirst(lazyPrefix.count) }
            switch child.value {
            case let tensor as Tensor:
                members.append((name, .parameter(tensor)))
            case let module as any Module:
                members.append((name, .module(module)))
            case let tensors as [Tensor]:
                for (i, t) in tensors.enumerated() { members.append(("\(name).\(i)", .parameter(t))) }
            case let modules as [any Module]:
                for (i, m) in modules.enumerated() { members.append(("\(name).\(i)", .module(m))) }
            default:
                continue
            }
        }
    }
    return members
}

extension Module {
    /// Runs the module on `input`: its forward pre-hooks, ``forward(_:)``, its
    /// forward hooks, and, when it has backward hooks, the nodes that run them
    /// (PyTorch's `Module.__call__`).
    public func callAsFunction(_ input: Tensor) -> Tensor { callWithHooks(input) }

    /// Reports the first sub-module's mode, or `true` for a module without any;
    /// setting it does nothing (``train(_:)`` sets the sub-modules' own flags).
    public var isTraining: Bool {
        get { namedChildren().first?.module.isTraining ?? true }
        set {}
    }

    public func namedChildren() -> [(name: String, module: any Module)] {
        reflectedMembers(of: self).compactMap { name, member in
            if case .module(let m) = member { (name, m) } else { nil }
        }
    }

    public var extraDescription: String { "" }

    /// The parameters stored directly on this module, not on its sub-modules.
    public func namedDirectParameters() -> [(name: String, parameter: Tensor)] {
        reflectedMembers(of: self).compactMap { name, member in
            if case .parameter(let t) = member { (name, t) } else { nil }
        }
    }

    // MARK: Traversal

    /// This module and every module below it, with dotted names; this module
    /// is named `""` (PyTorch's `named_modules()`, duplicates removed).
    public func namedModules() -> [(name: String, module: any Module)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(name: String, module: any Module)] = []
        func visit(_ module: any Module, prefix: String) {
            guard seen.insert(ObjectIdentifier(module)).inserted else { return }
            result.append((prefix, module))
            for (name, child) in module.namedChildren() {
                visit(child, prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
            }
        }
        visit(self, prefix: "")
        return result
    }

    /// This module and every module below it, depth first (PyTorch's `modules()`).
    public func modules() -> [any Module] { namedModules().map(\.module) }

    /// The direct sub-modules (PyTorch's `children()`).
    public func children() -> [any Module] { namedChildren().map(\.module) }

    /// Every parameter with its dotted name, e.g. `0.weight` (PyTorch's
    /// `named_parameters()`); a parameter shared by several modules appears once.
    public func namedParameters() -> [(name: String, parameter: Tensor)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(name: String, parameter: Tensor)] = []
        for (prefix, module) in namedModules() {
            for (name, parameter) in module.namedDirectParameters()
            where seen.insert(ObjectIdentifier(parameter)).inserted {
                result.append((prefix.isEmpty ? name : "\(prefix).\(name)", parameter))
            }
        }
        return result
    }

    /// Every parameter, in the order of ``namedParameters()`` (PyTorch's
    /// `parameters()`); pass them to an optimizer.
    public func parameters() -> [Tensor] { namedParameters().map(\.parameter) }

    /// The number of elements in all parameters.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

    // MARK: Modes and gradients

    /// Sets training mode (`true`) or evaluation mode (`false`) on this module
    /// and every module below it (PyTorch's `train(mode)`).
    ///
    /// - Parameter mode: `true` for training, `false` for evaluation.
    /// - Returns: This module, for chaining.
    @discardableResult
    public func train(_ mode: Bool = true) -> Self {
        for module in modules() { module.isTraining = mode }
        return self
    }

    /// Sets evaluation mode on this module and every module below it
    /// (PyTorch's `eval()`): ``Dropout`` passes its input through unchanged.
    ///
    /// - Returns: This module, for chaining.
    @discardableResult
    public func eval() -> Self { train(false) }

    /// Clears the gradient of every parameter (PyTorch's `zero_grad()`).
    ///
    /// - Parameter setToNil: Sets each `grad` to nil (the default, as in
    ///   PyTorch); with `false`, fills existing gradients with zeros instead.
    public func zeroGrad(setToNil: Bool = true) {
        for p in parameters() { p.clearGradient(setToNil: setToNil) }
    }

    // MARK: Printing

    /// The module as PyTorch prints it: `Linear(in_features=3, out_features=2, bias=True)`,
    /// with sub-modules on indented lines.
    public var description: String {
        let name = String(describing: type(of: self))
        let children = namedChildren()
        let extra = extraDescription
        if children.isEmpty { return "\(name)(\(extra))" }
        var lines = extra.isEmpty ? [] : extra.split(separator: "\n").map(String.init)
        for (childName, child) in children {
            // Continuation lines of a child's text are indented by two spaces, as PyTorch's _addindent does.
            let text = child.description.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n  ")
            lines.append("(\(childName)): \(text)")
        }
        return "\(name)(\n  " + lines.joined(separator: "\n  ") + "\n)"
    }
}

extension Tensor {
    /// Sets `grad` to nil, or fills it with zeros (what `zeroGrad` does to each parameter).
    func clearGradient(setToNil: Bool) {
        if setToNil {
            grad = nil
        } else if let g = grad {
            // PyTorch detaches a gradient with history before zeroing it.
            let target = g.gradFn == nil ? g : g.detached()
            grad = target
            withNoGrad { target.zero() }
        }
    }
}

// MARK: State dicts

/// Why ``Module/loadStateDict(_:strict:)`` refused a state dict, worded as
/// PyTorch's `load_state_dict` error.
public struct StateDictError: Error, CustomStringConvertible, Sendable {
    /// The type name of the module being loaded, e.g. `Sequential`.
    public let moduleName: String
    /// Keys the module has but the state dict lacks (reported when loading strictly).
    public let missingKeys: [String]
    /// Keys the state dict has but the module lacks (reported when loading strictly).
    public let unexpectedKeys: [String]
    /// One PyTorch-worded line per key whose shape differs.
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
    /// Every parameter under its dotted name, in model order, shared ones under each name.
    func stateEntries() -> [(key: String, value: Tensor)] {
        var result: [(key: String, value: Tensor)] = []
        func visit(_ module: any Module, prefix: String) {
            for (name, t) in module.namedDirectParameters() { result.append((prefix + name, t)) }
            for (name, child) in module.namedChildren() { visit(child, prefix: prefix + name + ".") }
        }
        visit(self, prefix: "")
        return result
    }

    /// The module's parameters by their PyTorch names, e.g. `"0.weight"`
    /// (PyTorch's `state_dict()`).
    ///
    /// The values share storage with the parameters but carry no autograd
    /// history; save them with ``Safetensors/write(_:to:)``.
    ///
    /// - Returns: A dictionary from dotted name to tensor.
    public func stateDict() -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (key, value) in stateEntries() { result[key] = value.detached() }
        return result
    }

    /// Copies values into the module's parameters by name (PyTorch's `load_state_dict`).
    ///
    /// Nothing is copied unless every check passes, so a failed load leaves the
    /// module unchanged. Values are converted to each parameter's dtype.
    ///
    /// - Parameters:
    ///   - stateDict: Tensors by dotted name, as ``stateDict()`` returns them.
    ///   - strict: Whether missing and unexpected keys are errors (the default).
    ///     Shape mismatches are always errors.
    /// - Returns: The keys that were missing and unexpected (both empty after a strict load).
    /// - Throws: ``StateDictError``, listing every missing, unexpected and mis-shaped key.
    @discardableResult
    public func loadStateDict(_ stateDict: [String: Tensor], strict: Bool = true) throws
        -> (missingKeys: [String], unexpectedKeys: [String]) {
        let entries = stateEntries()
        let ownKeys = Set(entries.map(\.key))
        var missing: [String] = [], mismatches: [String] = []
        for (key, parameter) in entries {
            guard let value = stateDict[key] else { missing.append(key); continue }
            if value.shape != parameter.shape {
                mismatches.append("size mismatch for \(key): copying a param with shape \(torchSizeText(value.shape)) from checkpoint, the shape in current model is \(torchSizeText(parameter.shape)).")
            }
        }
        let unexpected = stateDict.keys.filter { !ownKeys.contains($0) }.sorted()
        if !mismatches.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            throw StateDictError(moduleName: String(describing: type(of: self)),
                                 missingKeys: strict ? missing : [], unexpectedKeys: strict ? unexpected : [],
                                 sizeMismatches: mismatches)
        }
        withNoGrad {
            for (key, parameter) in entries {
                if let value = stateDict[key], value !== parameter { parameter.copy(from: value) }
            }
        }
        return (missing, unexpected)
    }
}
