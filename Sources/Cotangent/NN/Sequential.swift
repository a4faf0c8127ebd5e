/// Builds the layer list of a ``Sequential`` from a closure of modules, with
/// `if`, `if`/`else` and `for` allowed.
@resultBuilder
public enum ModuleBuilder {
    public static func buildExpression(_ module: any Module) -> [any Module] { [module] }
    public static func buildExpression(_ modules: [any Module]) -> [any Module] { modules }
    public static func buildBlock(_ parts: [any Module]...) -> [any Module] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [any Module]?) -> [any Module] { part ?? [] }
    public static func buildEither(first part: [any Module]) -> [any Module] { part }
    public static func buildEither(second part: [any Module]) -> [any Module] { part }
    public static func buildArray(_ parts: [[any Module]]) -> [any Module] { parts.flatMap { $0 } }
}

/// Modules applied one after another (PyTorch's `nn.Sequential`).
///
/// Its layers are named by position, so parameter names match PyTorch's:
///
/// ```swift
/// let net = Sequential {
///     Flatten()
///     Linear(64, 256)
///     ReLU()
///     Linear(256, 10)
/// }
/// net.namedParameters().map(\.name)   // ["1.weight", "1.bias", "3.weight", "3.bias"]
/// ```
public final class Sequential: Module {
    /// The layers, in the order they run.
    public private(set) var layers: [any Module]
    public var isTraining = true

    /// Creates the container from a list of modules written one per line.
    public init(@ModuleBuilder _ layers: () -> [any Module]) { self.layers = layers() }

    /// Creates the container from an array of modules.
    public init(_ layers: [any Module]) { self.layers = layers }

    /// Runs each layer on the previous layer's output.
    public func forward(_ input: Tensor) -> Tensor {
        layers.reduce(input) { x, layer in layer(x) }
    }

    /// The layers, named `"0"`, `"1"`, ... as in PyTorch.
    public func namedChildren() -> [(name: String, module: any Module)] {
        layers.enumerated().map { (String($0.offset), $0.element) }
    }

    /// The number of layers.
    public var count: Int { layers.count }

    /// The layer at `index`; a negative index counts from the end, as in PyTorch.
    public subscript(index: Int) -> any Module { layers[normalizedIndex(index)] }

    /// The layer at `index` as its concrete type, without a cast at the call site:
    /// `net[0, as: Linear.self].weight`.
    ///
    /// Stops, naming both types, when the layer is of another type.
    ///
    /// - Parameters:
    ///   - index: The position; negative counts from the end.
    ///   - type: The layer's type.
    public subscript<Layer: Module>(index: Int, as type: Layer.Type) -> Layer {
        let layer = self[index]
        guard let typed = layer as? Layer else {
            fail("Sequential", "layer \(index) is \(Swift.type(of: layer)), not \(Layer.self)")
        }
        return typed
    }

    /// The layers in `range` as a new container sharing them (PyTorch's `net[1:3]`).
    public subscript(range: Range<Int>) -> Sequential {
        check(range.lowerBound >= 0 && range.upperBound <= layers.count, "Sequential",
              "slice \(range) is out of range for \(layers.count) layers")
        return Sequential(Array(layers[range]))
    }

    /// The layers of type `Layer`, in order (e.g. every `Linear`, to initialise them).
    public func layers<Layer: Module>(ofType type: Layer.Type) -> [Layer] { layers.compactMap { $0 as? Layer } }

    private func normalizedIndex(_ index: Int) -> Int {
        check(index >= -layers.count && index < layers.count, "Sequential", "index \(index) is out of range")
        return index < 0 ? index + layers.count : index
    }

    /// Adds a layer at the end.
    public func append(_ module: any Module) { layers.append(module) }
}
