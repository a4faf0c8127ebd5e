import Testing
import CotangentTestSupport

@testable import Cotangent

// Anomaly mode is a global switch (as in PyTorch), and its NaN checks would
// stop other tests that run at the same time on purpose with NaN gradients:
// every test that turns it on does so in a child process (an exit test).

/// The forward call whose line an anomaly report must name.
func anomalousForward(_ x: Tensor) -> Tensor { x.exp() }
let anomalousForwardLine = #line - 1
let anomalyTestFile = #filePath

@Suite("Anomaly mode") struct AnomalyTests {
    @Test func aNaNFromABackwardNodeStopsWithPyTorchsMessage() async {
        let mul = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            detectAnomaly {
                let x = Tensor([1.0, 2.0], requiresGrad: true)
                let w = Tensor([Double.infinity, 1])
                (x * w).backward(gradient: Tensor.zeros(2))
            }
        }
        expectStandardError(mul, contains: AnomalyGoldens.mulNaN)
        expectStandardError(mul, contains: "Error detected in MulBackward0.")
        let sqrt = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            AnomalyMode.isEnabled = true
            let x = Tensor([0.0, 1.0], requiresGrad: true)
            (x.sqrt() * 0).sum().backward()
        }
        expectStandardError(sqrt, contains: AnomalyGoldens.sqrtNaN)
    }

    @Test func withoutNaNChecksANaNGradientPasses() async {
        await #expect(processExitsWith: .success) {
            detectAnomaly(checkNaN: false) {
                let x = Tensor([0.0, 1.0], requiresGrad: true)
                (x.sqrt() * 0).sum().backward()
                precondition(x.grad!.scalars(as: Double.self)[0].isNaN)
            }
        }
    }

    @Test func anErrorDuringBackwardNamesTheNodeAndTheSwiftLineOfItsForwardCall() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            detectAnomaly {
                let x = Tensor([1.0, 2.0], requiresGrad: true)
                let y = anomalousForward(x)
                y += 1
                y.sum().backward()
            }
        }
        expectStandardError(result, contains: "which is output 0 of Exp, is at version 1; expected version 0 instead. Hint: "
            + AnomalyGoldens.modifiedHintInAnomalyMode.replacing("further above", with: "further below"))
        expectStandardError(result, contains: "Error detected in ExpBackward0. Traceback of forward call that caused the error")
        expectStandardError(result, contains: "\(anomalyTestFile):\(anomalousForwardLine) in ")
    }

    @Test func anErrorInACustomFunctionsBackwardNamesItsNode() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            detectAnomaly {
                BadShape.apply(Tensor([1.0, 2.0, 3.0], requiresGrad: true)).sum().backward()
            }
        }
        expectStandardError(result, contains: CustomFunctionGoldens.badShape)
        expectStandardError(result, contains: "Error detected in BadShapeBackward. Traceback of forward call that caused the error")
    }

    @Test func outsideAnomalyModeAnInPlaceErrorSaysHowToTurnItOn() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let x = Tensor([1.0, 2.0], requiresGrad: true)
            let y = anomalousForward(x)
            y += 1
            y.sum().backward()
        }
        let pytorchHint = AnomalyGoldens.modifiedHint
        let sharedPart = String(pytorchHint[..<pytorchHint.firstRange(of: "with torch")!.lowerBound])
        expectStandardError(result, contains: "Hint: " + sharedPart + "with detectAnomaly(checkNaN: false) { } or AnomalyMode.isEnabled = true.")
    }

    @Test func theSwitchAndTheScope() async {
        await #expect(processExitsWith: .success) {
            precondition(!AnomalyMode.isEnabled)
            detectAnomaly(checkNaN: false) {
                precondition(AnomalyMode.isEnabled && !AnomalyMode.checksNaN)
                detectAnomaly { precondition(AnomalyMode.checksNaN) }
                precondition(AnomalyMode.isEnabled && !AnomalyMode.checksNaN)
            }
            precondition(!AnomalyMode.isEnabled)
            AnomalyMode.isEnabled = true
            precondition(AnomalyMode.checksNaN)
            AnomalyMode.checksNaN = false
            precondition(AnomalyMode.isEnabled && !AnomalyMode.checksNaN)
            AnomalyMode.isEnabled = false
            precondition(!AnomalyMode.isEnabled)
        }
    }

    @Test func nodesRecordNothingOutsideAnomalyMode() {
        // Recording the forward call costs nothing when anomaly mode is off.
        let y = anomalousForward(Tensor([1.0], requiresGrad: true))
        #expect(y.gradFn?.extras == nil)
    }
}
