import Cotangent
