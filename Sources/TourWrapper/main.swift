// Turns a top-level Swift program into a function: `import` lines stay at file
// scope, every other line becomes the body of `func runTour()`.
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: TourWrapper INPUT.swift OUTPUT.swift\n".utf8))
    exit(2)
}
let source = try String(contentsOfFile: arguments[1], encoding: .utf8)
var imports: [String] = []
var body: [String] = []
for line in source.split(separator: "\n", omittingEmptySubsequences: false) {
    if line.hasPrefix("import ") { imports.append(String(line)) } else { body.append(line.isEmpty ? "" : "    " + line) }
}
let output = """
    // Generated at build time from Tour/Tour.swift by TourWrapper; do not edit.
    \(imports.joined(separator: "\n"))

    /// Runs the seed notebook's tour (Tour/Tour.swift) exactly as written.
    func runTour() {
    \(body.joined(separator: "\n"))
    }

    """
try output.write(toFile: arguments[2], atomically: true, encoding: .utf8)
