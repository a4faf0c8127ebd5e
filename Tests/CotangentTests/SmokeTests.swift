import Testing
@testable import Cotangent

@Test func smoke() {
    let x = Tensor.arange(4.0)
    #expect(x.scalars(as: Float.self) == [0, 1, 2, 3])
}
