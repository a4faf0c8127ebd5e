// The module protocol (PyTorch's `nn.Module`): parameters, buffers and
// sub-modules are found by reflecting over stored properties, as mlx-swift
// does, and named by property name (or the name a `@Parameter`/`@Buffer`
// declares), so `stateDict()` keys match PyTorch's (`0.weight`, `fc1.bias`,
// `bn.num_batches_tracked`).

/// A layer or a model: a callable that owns parameters and sub-modules
/// (PyTorch's `torch.nn.Module`).
///
/// Conform a class and store its parts as properties; nothing needs to be
/// listed by hand. A property declared ``Parameter`` is a parameter, one
/// declared ``Buffer`` a buffer, and every stored module (or `[any Module]`,
/// or an optional module) a sub-module, named after the property, as PyTorch
/// names attributes. Any other stored tensor is a plain attribute, neither
/// trained nor saved (PyTorch's plain tensor attribute):
///
/// ```swift
/// final class FixedHiddenMLP: Module {                 // D2L 6.1
///     let randWeight = Tensor.rand(20, 20)             // a constant: not a parameter
///     let linear = Linear(20, 20)
///     func forward(_ x: Tensor) -> Tensor {
///         var x = linear(x)
///         x = (x.mm(randWeight) + 1).relu()
///         x = linear(x)
///         while x.abs().sum().item() > 1 { x = x / 2 }
///         return x.sum()
///     }
/// }
/// FixedHiddenMLP().namedParameters().map(\.name)   // ["linear.weight", "linear.bias"]
/// ```
///
/// Parameters and buffers are ordered as in PyTorch: a module's own, in
/// declaration order, then each sub-module's, depth first.
///
/// As in PyTorch, a module implements ``forward(_:)`` and is called as a
/// function (`model(x)`), which also runs the hooks registered on it
/// (``registerForwardHook(_:)`` and the others in `ModuleHooks.swift`).
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

    /// The name shown by ``description`` and in state-dict errors (PyTorch's
    /// `_get_name()`); by default the Swift type's name. A lazy layer reports
    /// the layer it becomes once initialised, as PyTorch's does (`Linear`).
    var typeName: String { get }
}

/// One stored member that reflection found on a module.
private enum ModuleMember {
    case parameter(ModuleTensorSlot)
    case buffer(persistent: Bool, ModuleTensorSlot)
    case module(any Module)
}

/// The parameters, buffers and sub-modules stored on `object`, superclass members first.
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
            case let slot as ModuleTensorSlot:
                // A wrapped property `x` is stored as `_x`.
                if name.hasPrefix("_") { name.removeFirst() }
                let key = slot.stateName ?? name
                if let buffer = slot as? BufferSlotKind {
                    members.append((key, .buffer(persistent: buffer.isPersistent, slot)))
                } else {
                    members.append((key, .parameter(slot)))
                }
            case let module as any Module:
                members.append((name, .module(module)))
            case let modules as [any Module]:
                for (i, m) in modules.enumerated() { members.append(("\(name).\(i)", .module(m))) }
            case let slots as [ModuleTensorSlot]:
                // A layer with a variable number of parameters (RNN's `weight_ih_l0`, ...)
                // stores them in an array of boxes, each named by its `name:`.
                for (i, slot) in slots.enumerated() {
                    let key = slot.stateName ?? "\(name).\(i)"
                    if let buffer = slot as? BufferSlotKind {
                        members.append((key, .buffer(persistent: buffer.isPersistent, slot)))
                    } else {
                        members.append((key, .parameter(slot)))
                    }
                }
            default:
                continue
            }
        }
    }
    return members
}

/// Lets reflection tell buffers from parameters without knowing their `Value`.
protocol BufferSlotKind { var isPersistent: Bool { get } }
extension Buffer: BufferSlotKind { var isPersistent: Bool { persistent } }

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

    public var typeName: String { String(describing: type(of: self)) }

    /// The parameters stored directly on this module, not on its sub-modules,
    /// in declaration order; absent (nil) and uninitialized lazy ones are skipped.
    public func namedDirectParameters() -> [(name: String, parameter: Tensor)] {
        reflectedMembers(of: self).compactMap { name, member in
            if case .parameter(let slot) = member, let t = slot.tensor { (name, t) } else { nil }
        }
    }

    /// The buffers stored directly on this module, persistent or not, in
    /// declaration order; absent (nil) ones are skipped.
    public func namedDirectBuffers() -> [(name: String, buffer: Tensor)] {
        reflectedMembers(of: self).compactMap { name, member in
            if case .buffer(_, let slot) = member, let t = slot.tensor { (name, t) } else { nil }
        }
    }

    /// The slots saved in a state dict, in PyTorch's order: parameters, then
    /// persistent buffers; absent ones are skipped, uninitialized lazy ones kept.
    func stateSlots() -> [(name: String, slot: ModuleTensorSlot)] {
        let members = reflectedMembers(of: self)
        var parameters: [(name: String, slot: ModuleTensorSlot)] = [], buffers: [(name: String, slot: ModuleTensorSlot)] = []
        for (name, member) in members {
            switch member {
            case .parameter(let slot) where slot.tensor != nil || slot.isUninitialized: parameters.append((name, slot))
            case .buffer(true, let slot) where slot.tensor != nil || slot.isUninitialized: buffers.append((name, slot))
            default: continue
            }
        }
        return parameters + buffers
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

    /// The direct sub-modules, each once (PyTorch's `children()`).
    public func children() -> [any Module] {
        var seen = Set<ObjectIdentifier>()
        return namedChildren().map(\.module).filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    /// Calls `function` on every sub-module, then on this module (PyTorch's
    /// `apply(fn)`, children first), e.g. to initialise weights:
    ///
    /// ```swift
    /// net.apply { module in
    ///     if let linear = module as? Linear {
    ///         Init.normal(linear.weight, std: 0.01)
    ///         if let bias = linear.bias { Init.zeros(bias) }
    ///     }
    /// }
    /// ```
    ///
    /// - Parameter function: Called once per visit; a module shared by two
    ///   parents at different depths is visited from each, as in PyTorch.
    /// - Returns: This module, for chaining.
    @discardableResult
    public func apply(_ function: (any Module) -> Void) -> Self {
        for child in children() { child.apply(function) }
        function(self)
        return self
    }

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

    /// Every buffer, persistent or not, with its dotted name, e.g.
    /// `1.running_mean` (PyTorch's `named_buffers()`); a shared buffer appears once.
    public func namedBuffers() -> [(name: String, buffer: Tensor)] {
        var seen = Set<ObjectIdentifier>()
        var result: [(name: String, buffer: Tensor)] = []
        for (prefix, module) in namedModules() {
            for (name, buffer) in module.namedDirectBuffers() where seen.insert(ObjectIdentifier(buffer)).inserted {
                result.append((prefix.isEmpty ? name : "\(prefix).\(name)", buffer))
            }
        }
        return result
    }

    /// Every buffer, in the order of ``namedBuffers()`` (PyTorch's `buffers()`).
    public func buffers() -> [Tensor] { namedBuffers().map(\.buffer) }

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

    /// Turns gradients on or off for every parameter (PyTorch's
    /// `requires_grad_()`), e.g. to freeze a pretrained body.
    ///
    /// - Parameter flag: Whether the parameters require grad (default `true`).
    /// - Returns: This module, for chaining.
    @discardableResult
    public func requiresGrad(_ flag: Bool = true) -> Self {
        for p in parameters() { p.requiresGrad = flag }
        return self
    }

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
        let name = typeName
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
