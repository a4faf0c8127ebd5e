// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Cotangent",
    products: [
        .library(name: "Cotangent", targets: ["Cotangent"]),
        .executable(name: "cotangent", targets: ["cotangent"]),
        .executable(name: "cotangent-bench", targets: ["cotangent-bench"]),
        // MARK: D2L companion
        .library(name: "D2L", targets: ["D2L"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Hot loops in C, with run-time CPU dispatch; no unsafe flags.
        .target(name: "CCotangentKernels"),
        .target(
            name: "Cotangent",
            dependencies: ["CCotangentKernels"],
            // The digits data set (CSV) with its description and attribution.
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "cotangent",
            dependencies: [
                "Cotangent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["Tour/Tour.swift"],
            plugins: ["TourPlugin"]
        ),
        .executableTarget(name: "cotangent-bench", dependencies: ["Cotangent"]),
        // Build-time helper: wraps the verbatim seed tour into a function.
        .executableTarget(name: "TourWrapper"),
        .plugin(name: "TourPlugin", capability: .buildTool(), dependencies: ["TourWrapper"]),
        // Shared checkers for the tests (not a product).
        .target(name: "CotangentTestSupport", dependencies: ["Cotangent"]),
        .testTarget(
            name: "CotangentTests",
            // D2L: its tests seed the shared default generator, so they run in the serialized LearningTests suite.
            dependencies: ["Cotangent", "CotangentTestSupport", "CCotangentKernels", "D2L"]
        ),
        // MARK: D2L companion: the book's d2l scaffolding.
        .target(name: "D2L", dependencies: ["Cotangent"]),
    ],
    swiftLanguageModes: [.v6]
)
