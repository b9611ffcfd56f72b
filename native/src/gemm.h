#pragma once
namespace fls {
enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };
Isa isa();
void set_isa(Isa want);  // capped by what the CPU supports
const char* isa_name();
// C_b (M, N) = op(A_b) (M, K) · op(B_b) (K, N) [+ C_b]; A_b = A + b*strideA, B_b = B + b*strideB, C_b = C + b*M*N.
// relu: C_b = max(that, 0), applied as the tiles are stored (a fused epilogue: no second pass over C).
void bmm(int batch, int M, int N, int K, const float* A, long strideA, bool transA, const float* B, long strideB,
         bool transB, float* C, bool accumulate, bool relu = false);
}  // namespace fls
