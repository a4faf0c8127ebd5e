#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Reports training progress: on a terminal, a progress bar per epoch redrawn
/// in place; otherwise (a pipe, a file, CI logs) one plain line per epoch.
struct TrainingProgress {
    /// Whether standard output is a terminal.
    let isTerminal = isatty(1) != 0
    let epochs: Int
    private var epoch = 0, batches = 0
    private var epochStart = ContinuousClock.now
    private var lastDraw = ContinuousClock.now

    init(epochs: Int) { self.epochs = epochs }

    /// Running totals of one epoch.
    struct Totals {
        var loss = 0.0, correct = 0, seen = 0
        var meanLoss: Double { seen > 0 ? loss / Double(seen) : .nan }
        var accuracy: Double { seen > 0 ? Double(correct) / Double(seen) : .nan }
    }

    mutating func startEpoch(_ epoch: Int, batches: Int) {
        self.epoch = epoch
        self.batches = batches
        epochStart = .now
        lastDraw = .now - .seconds(1)
    }

    /// Examples per second so far in this epoch.
    private func rate(_ seen: Int) -> Double {
        let elapsed = epochStart.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return seconds > 0 ? Double(seen) / seconds : 0
    }

    private var prefix: String {
        let width = String(epochs).count
        return "epoch " + String(repeating: " ", count: width - String(epoch).count) + "\(epoch)/\(epochs)"
    }

    /// Redraws the bar after a batch (at most every 50 ms, and always for the last batch).
    mutating func batchDone(_ batch: Int, _ totals: Totals, showsAccuracy: Bool) {
        guard isTerminal else { return }
        let now = ContinuousClock.now
        guard batch == batches || lastDraw.duration(to: now) >= .milliseconds(50) else { return }
        lastDraw = now
        let barWidth = 24
        let filled = batches > 0 ? batch * barWidth / batches : barWidth
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
        var line = "\r\(prefix) \(bar) \(batch)/\(batches)  loss \(String(format: "%.6f", totals.meanLoss))"
        if showsAccuracy { line += "  acc \(String(format: "%5.1f%%", totals.accuracy * 100))" }
        line += "  \(Self.grouped(rate(totals.seen))) ex/s\u{1B}[K"
        FileHandle.standardOutput.write(Data(line.utf8))
    }

    /// Ends the epoch's line with its summary.
    func finishEpoch(_ totals: Totals, testAccuracy: Double?) {
        var summary = isTerminal ? "" : "\(prefix): "
        if isTerminal {
            summary += "\r\(prefix)  loss \(String(format: "%.6f", totals.meanLoss))"
        } else {
            summary += "loss \(String(format: "%.6f", totals.meanLoss))"
        }
        if totals.correct > 0 || testAccuracy != nil { summary += ", train acc \(String(format: "%.3f", totals.accuracy))" }
        if let testAccuracy { summary += ", test acc \(String(format: "%.3f", testAccuracy))" }
        summary += ", \(Self.grouped(rate(totals.seen))) examples/s"
        if isTerminal { summary += "\u{1B}[K" }
        print(summary)
        fflush(nil)  // every stream, so piped output shows each epoch as it ends
    }

    /// A rate with thousands separators: `52,310`.
    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }
}
