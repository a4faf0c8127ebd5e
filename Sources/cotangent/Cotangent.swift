import ArgumentParser
import Cotangent

/// The `cotangent` command: the seed tour, training examples and tools.
@main
struct CotangentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cotangent",
        abstract: "Tensors and PyTorch-style automatic differentiation for Swift.",
        discussion: "With no subcommand, runs the tour of the seed notebook.",
        subcommands: [TourCommand.self],
        defaultSubcommand: TourCommand.self
    )
}

/// Runs `Tour/Tour.swift`, the seed notebook translated cell by cell.
struct TourCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tour",
        abstract: "Run the seed notebook (derivatives, gradients, detach, control flow, MSE) in Swift."
    )

    func run() throws {
        runTour()
    }
}
