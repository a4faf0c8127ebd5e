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

    /// The layer at `index`.
    public subscript(index: Int) -> any Module { layers[index] }

    /// Adds a layer at the end.
    public func append(_ module: any Module) { layers.append(module) }
}
