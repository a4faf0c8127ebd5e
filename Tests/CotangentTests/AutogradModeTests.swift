import Cotangent
import CotangentTestSupport
import Testing

// `withNoGrad` / `withGrad`: what they record, and that the mode is task-local
// (PyTorch's grad mode is thread-local; a Swift task is the unit here).

extension AutogradTests {
    @Suite("withNoGrad and withGrad") struct GradModeScopes {
        @Test func noGradRecordsNothing() {
            let x = Tensor.ones([3], requiresGrad: true)
            #expect(GradMode.isEnabled)
            let y = withNoGrad {
                #expect(!GradMode.isEnabled)
                return (x * 2 + 1).exp().sum()
            }
            #expect(!y.requiresGrad && y.gradFn == nil && y.isLeaf)
            #expect(GradMode.isEnabled, "the mode is restored after the scope")
            // The leaf itself is unchanged.
            #expect(x.requiresGrad && x.isLeaf)
        }

        @Test func noGradReturnsItsValueAndRethrows() {
            struct Failure: Error {}
            #expect(withNoGrad { 42 } == 42)
            #expect(throws: Failure.self) { try withNoGrad { throw Failure() } }
            #expect(GradMode.isEnabled)
        }

        @Test func withGradInsideNoGradRecordsAgain() {
            let x = Tensor.ones([2], requiresGrad: true)
            withNoGrad {
                let recorded = withGrad { x * 2 }
                #expect(recorded.gradFn?.name == "MulBackward0")
                #expect(!GradMode.isEnabled)
                let untracked = x * 2
                #expect(!untracked.requiresGrad)
                // Nesting: no-grad inside grad inside no-grad.
                withGrad {
                    #expect(GradMode.isEnabled)
                    let inner = withNoGrad { x * 3 }
                    #expect(!inner.requiresGrad)
                    #expect(GradMode.isEnabled)
                }
                // (A sum taken here would not be recorded: backpropagate one taken under withGrad.)
                withGrad { recorded.sum() }.backward()
            }
            expectClose(x.grad!, [2, 2])
        }

        @Test func backwardInsideNoGradStillComputesGradients() {
            // As in PyTorch: no_grad stops recording, not backward.
            let x = Tensor.ones([2], requiresGrad: true)
            let y = (x * x).sum()
            withNoGrad { y.backward() }
            expectClose(x.grad!, [2, 2])
        }

        @Test func childTasksInheritNoGrad() async {
            let (structured, unstructured, grouped) = await withNoGrad {
                async let child = GradMode.isEnabled
                let task = Task { GradMode.isEnabled }
                let inGroup = await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<4 { group.addTask { GradMode.isEnabled } }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                return (await child, await task.value, inGroup)
            }
            #expect(!structured && !unstructured && grouped == [false, false, false, false])
            // A detached task starts with recording on, like a new thread in PyTorch.
            let detached = await withNoGrad { await Task.detached { GradMode.isEnabled }.value }
            #expect(detached)
        }

        @Test func childTaskRecordsNothingUnderNoGrad() async {
            let requiresGrad = await withNoGrad {
                await Task {
                    let x = Tensor.ones([2], requiresGrad: true)
                    return (x * 2).requiresGrad
                }.value
            }
            #expect(!requiresGrad)
        }

        @Test func noGradInOneTaskLeavesAConcurrentTaskAlone() async {
            // Task A enters withNoGrad and waits inside it while task B records a graph.
            let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
            let (checked, checkedSignal) = AsyncStream.makeStream(of: Void.self)
            let results = await withTaskGroup(of: (String, Bool).self) { group in
                group.addTask {
                    await withNoGrad {
                        enteredSignal.yield()
                        for await _ in checked { break }
                        let x = Tensor.ones([2], requiresGrad: true)
                        return ("a", !GradMode.isEnabled && !(x * 2).requiresGrad)
                    }
                }
                group.addTask {
                    for await _ in entered { break }
                    let x = Tensor.ones([2], requiresGrad: true)
                    let y = (x * x).sum()
                    y.backward()
                    let ok = GradMode.isEnabled && y.gradFn?.name == "SumBackward0" && x.grad!.equal(Tensor([2.0, 2.0]))
                    checkedSignal.yield()
                    return ("b", ok)
                }
                return await group.reduce(into: [String: Bool]()) { $0[$1.0] = $1.1 }
            }
            #expect(results == ["a": true, "b": true])
        }

        @Test func manyTasksMixingModes() async {
            // Half the tasks train under grad, half evaluate under no-grad, interleaved.
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        let x = Tensor.full([4], Double(i), dtype: .float64, requiresGrad: true)
                        if i.isMultiple(of: 2) {
                            let y = (x * x).sum()
                            await Task.yield()
                            y.backward()
                            return x.grad!.equal(2 * x) && GradMode.isEnabled
                        }
                        return await withNoGrad {
                            await Task.yield()
                            return !(x * x).sum().requiresGrad && !GradMode.isEnabled
                        }
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.count == 16 && outcomes.allSatisfy { $0 })
        }
    }
}
