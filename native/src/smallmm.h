// Small dense products inside one attention head (rows ≤ a few hundred, K ≤ a few hundred), operands in L1/L2:
//   C (M × Np) = a · B,  a(i, x) = A[i·ars + x·aks] for x < K,  B (K × Np) with row stride ldb,  C row stride ldc.
// a is read through two strides, so a transposed operand (pᵀ, dsᵀ) is read in place. Np is a multiple of 16 (callers
// pad); rows of C beyond M are neither read nor written.
#pragma once

namespace fls {
using SmallMM = void (*)(const float* A, long ars, long aks, const float* B, long ldb, int K, float* C, long ldc, int M, int Np);
/** The variant for this CPU (AVX-512, AVX2+FMA or portable; FLINKSCOPE_SIMD lowers it like the GEMM's). */
SmallMM pick_small_mm();
}  // namespace fls
