import ArgumentParser
import Cotangent

/// The `cotangent` command: the seed tour, training examples and tools.
@main
struct CotangentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cotangent",
        abstract: "Tensors and PyTorch-style automatic differentiation for Swift.",
        discussion: "With no subcommand, runs the tour of the seed notebook, then trains the MLP on the digits and prints its test accuracy.",
        subcommands: [TourCommand.self, TrainCommand.self, GraphCommand.self]
    )

    func run() throws {
        runTour()
        print()
        print("Training an MLP (64-256-10) on the bundled digits (cotangent train mlp):")
        let options = try TrainingOptions.parse([])
        let result = try MLPCommand.train(options: options)
        report("MLP", result, epochs: MLPCommand.defaultEpochs)
        print(Digits.attribution)
    }
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
