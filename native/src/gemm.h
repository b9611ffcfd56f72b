#pragma once
namespace fls {
enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };
Isa isa();
void set_isa(Isa want);  // capped by what the CPU supports
const char* isa_name();
// C_b (M, N) = op(A_b) (M, K) · op(B_b) (K, N) [+ C_b]; A_b = A + b*strideA, B_b = B + b*strideB, C_b = C + b*M*N.
// Fused epilogue, applied as the tiles are stored (no second pass over C): bias (N floats, or null) added to every row,
// then relu: C_b = relu(that) as the relu op clamps (x > 0 or NaN kept, else +0).
void bmm(int batch, int M, int N, int K, const float* A, long strideA, bool transA, const float* B, long strideB,
         bool transB, float* C, bool accumulate, bool relu = false, const float* bias = nullptr);
}  // namespace fls
