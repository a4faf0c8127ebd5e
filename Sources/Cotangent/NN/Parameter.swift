// Parameters and buffers are declared, as in PyTorch (`nn.Parameter`,
// `register_buffer`): a property wrapper marks a stored tensor as one, and
// module reflection finds the wrapper's box. A stored tensor without a wrapper
// is a plain attribute: neither trained nor saved.

/// What a ``Parameter`` or ``Buffer`` property may hold: a `Tensor`, or a
/// `Tensor?` for one that may be absent (PyTorch registers `None`).
public protocol ModuleTensorValue {
    /// The value of a slot holding `tensor` (nil for an absent one).
    static func fromModuleTensor(_ tensor: Tensor?) -> Self
    /// The tensor, or nil.
    var moduleTensor: Tensor? { get }
}

extension Tensor: ModuleTensorValue {
    /// The tensor itself; a non-optional slot read before it was assigned stops.
    public static func fromModuleTensor(_ tensor: Tensor?) -> Tensor {
        guard let tensor else {
            fail("Module", "a parameter or buffer was read before it was assigned (or it is an uninitialized lazy parameter)")
        }
        return tensor
    }
    public var moduleTensor: Tensor? { self }
}

extension Optional: ModuleTensorValue where Wrapped == Tensor {
    public static func fromModuleTensor(_ tensor: Tensor?) -> Tensor? { tensor }
    public var moduleTensor: Tensor? { self }
}

/// The storage of one parameter or buffer, as reflection finds it on a
/// module: the common base of ``Parameter`` and ``Buffer``.
public class ModuleTensorSlot {
    /// The key in ``StateDict``s when it differs from the property's name.
    let stateName: String?
    /// The tensor, or nil (absent, or an uninitialized lazy parameter).
    var tensor: Tensor?
    /// The dtype an uninitialized lazy parameter will have; nil once it has a value.
    var uninitializedDType: DType?

    init(tensor: Tensor?, stateName: String?, uninitializedDType: DType? = nil) {
        self.tensor = tensor
        self.stateName = stateName
        self.uninitializedDType = uninitializedDType
    }

    /// The key this slot has in state dicts when it differs from the property's name.
    public var stateDictName: String? { stateName }

    /// Whether this is a lazy parameter whose shape is not known yet.
    var isUninitialized: Bool { uninitializedDType != nil && tensor == nil }

    /// Stores a value the module assigned (or a state dict materialised).
    func assign(_ value: Tensor?) {
        tensor = value.map(prepared)
        if value != nil { uninitializedDType = nil }
    }

    /// How this kind of slot adopts a tensor.
    func prepared(_ value: Tensor) -> Tensor { value }
}

/// Declares a learnable parameter of a ``Module`` (PyTorch's `nn.Parameter`).
///
/// Parameters are what ``Module/parameters()`` returns, what optimizers update
/// and, with persistent buffers, what ``Module/stateDict()`` saves. Declare one
/// per property; assign its tensor in the initialiser (or give it an initial value):
///
/// ```swift
/// final class Affine: Module {
///     @Parameter var weight: Tensor
///     @Parameter var bias: Tensor?                // nil: no bias, as PyTorch's `None`
///     let scale = Tensor.rand(4)                  // a constant: not a parameter
///     init() { weight = Tensor.randn(4, 4); bias = Tensor.zeros(4) }
///     func forward(_ x: Tensor) -> Tensor { x.mm(weight) * scale + bias! }
/// }
/// print(Affine().$weight)   // Parameter containing:\ntensor([[...]], requires_grad=True)
/// ```
///
/// Assigning a tensor makes it a leaf that requires grad (PyTorch's
/// `nn.Parameter(t)`): a leaf is kept as it is, so two modules given the same
/// tensor share it (weight tying); a tensor with history is detached first.
/// The projected value (`$weight`) is this box, which prints as PyTorch
/// prints a parameter.
@propertyWrapper
public final class Parameter<Value: ModuleTensorValue>: ModuleTensorSlot, CustomStringConvertible {
    /// Whether assigned tensors are made to require grad (PyTorch's `requires_grad=` argument).
    public let requiresGrad: Bool

    /// Declares a parameter with an initial value.
    ///
    /// - Parameters:
    ///   - wrappedValue: The initial tensor.
    ///   - name: The key in state dicts, when PyTorch's name differs from the property's
    ///     (e.g. `"in_proj_weight"` for `inProjWeight`).
    ///   - requiresGrad: Whether assigned tensors require grad (default `true`).
    public init(wrappedValue: Value, name: String? = nil, requiresGrad: Bool = true) {
        self.requiresGrad = requiresGrad
        super.init(tensor: nil, stateName: name)
        assign(wrappedValue.moduleTensor)
    }

    /// Declares a parameter assigned later, in the module's initialiser (a
    /// `Tensor?` parameter starts as nil).
    ///
    /// - Parameters:
    ///   - name: The key in state dicts, when it differs from the property's name.
    ///   - requiresGrad: Whether assigned tensors require grad (default `true`).
    public init(name: String? = nil, requiresGrad: Bool = true) {
        self.requiresGrad = requiresGrad
        super.init(tensor: nil, stateName: name)
    }

    /// Declares a lazy parameter (PyTorch's `UninitializedParameter`): it has
    /// no value, and so is not among ``Module/parameters()``, until the module
    /// assigns one at its first call or `loadStateDict(_:strict:)`
    /// materialises it from a state dict.
    ///
    /// - Parameters:
    ///   - dtype: The dtype the parameter will have.
    ///   - name: The key in state dicts, when it differs from the property's name.
    public init(uninitialized dtype: DType, name: String? = nil) {
        requiresGrad = true
        super.init(tensor: nil, stateName: name, uninitializedDType: dtype)
    }

    /// The parameter's tensor.
    public var wrappedValue: Value {
        get { Value.fromModuleTensor(tensor) }
        set { assign(newValue.moduleTensor) }
    }

    /// This box: print it to see `Parameter containing:` as in PyTorch.
    public var projectedValue: Parameter<Value> { self }

    /// Whether this is a lazy parameter that has no value yet.
    public var isUninitializedParameter: Bool { isUninitialized }

    override func prepared(_ value: Tensor) -> Tensor {
        let leaf = value.isLeaf ? value : value.detached()
        if requiresGrad && leaf.dtype.isFloatingPoint && !leaf.requiresGrad { leaf.requiresGrad = true }
        return leaf
    }

    /// PyTorch's repr of a parameter: `Parameter containing:` and the tensor
    /// on the next line; `None` when absent, `<UninitializedParameter>` when lazy.
    public var description: String {
        if let tensor { return "Parameter containing:\n\(tensor)" }
        return isUninitialized ? "<UninitializedParameter>" : "None"
    }
}


/// Declares a buffer of a ``Module``: state that is not trained, such as batch
/// norm's running statistics (PyTorch's `register_buffer`).
///
/// Buffers are listed by ``Module/buffers()``; persistent ones (the default)
/// are saved in ``Module/stateDict()`` after the module's parameters.
///
/// ```swift
/// @Buffer var runningMean: Tensor
/// @Buffer(name: "num_batches_tracked") var numBatchesTracked: Tensor
/// @Buffer(persistent: false) var mask: Tensor
/// ```
@propertyWrapper
public final class Buffer<Value: ModuleTensorValue>: ModuleTensorSlot {
    /// Whether the buffer is part of the module's state dict.
    public let persistent: Bool

    /// Declares a buffer with an initial value.
    ///
    /// - Parameters:
    ///   - wrappedValue: The initial tensor (or nil for a `Tensor?` buffer).
    ///   - name: The key in state dicts, when PyTorch's name differs from the property's.
    ///   - persistent: Whether the buffer is saved in state dicts (default `true`).
    public init(wrappedValue: Value, name: String? = nil, persistent: Bool = true) {
        self.persistent = persistent
        super.init(tensor: wrappedValue.moduleTensor, stateName: name)
    }

    /// Declares a lazy buffer (PyTorch's `UninitializedBuffer`): it has no
    /// value until the module assigns one at its first call or a state dict
    /// materialises it.
    ///
    /// - Parameters:
    ///   - dtype: The dtype the buffer will have.
    ///   - name: The key in state dicts, when it differs from the property's name.
    ///   - persistent: Whether the buffer is saved in state dicts (default `true`).
    public init(uninitialized dtype: DType, name: String? = nil, persistent: Bool = true) {
        self.persistent = persistent
        super.init(tensor: nil, stateName: name, uninitializedDType: dtype)
    }

    /// Whether this is a lazy buffer that has no value yet.
    public var isUninitializedBuffer: Bool { isUninitialized }

    /// Declares a buffer assigned later, in the module's initialiser.
    ///
    /// - Parameters:
    ///   - name: The key in state dicts, when it differs from the property's name.
    ///   - persistent: Whether the buffer is saved in state dicts (default `true`).
    public init(name: String? = nil, persistent: Bool = true) {
        self.persistent = persistent
        super.init(tensor: nil, stateName: name)
    }

    /// The buffer's tensor.
    public var wrappedValue: Value {
        get { Value.fromModuleTensor(tensor) }
        set { assign(newValue.moduleTensor) }
    }

    /// This box, which says whether the buffer is persistent.
    public var projectedValue: Buffer<Value> { self }
}

