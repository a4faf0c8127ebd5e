import Foundation
import PackagePlugin

/// Compiles the seed tour (`Tour/Tour.swift`, kept byte-for-byte as the
/// contract gives it) into the `cotangent` tool: the program's top-level code
/// becomes the body of `runTour()`, so the `tour` subcommand runs it unchanged.
@main
struct TourPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let input = target.directoryURL.appending(path: "Tour").appending(path: "Tour.swift")
        let output = context.pluginWorkDirectoryURL.appending(path: "TourProgram.swift")
        return [
            .buildCommand(
                displayName: "Wrapping the seed tour into runTour()",
                executable: try context.tool(named: "TourWrapper").url,
                arguments: [input.path, output.path],
                inputFiles: [input],
                outputFiles: [output]
            )
        ]
    }
}
