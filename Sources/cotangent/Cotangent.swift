import ArgumentParser
import Cotangent

/// The `cotangent` command: the seed tour, training examples and tools.
@main
struct CotangentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cotangent",
        abstract: "Tensors and PyTorch-style automatic differentiation for Swift.",
        subcommands: []
    )

    func run() throws {
        print(CotangentCommand.helpMessage())
    }
}
