// Register-tiled small products for the attention kernels (see smallmm.h): tiles of 6 rows × 32 columns (AVX-512:
// 12 zmm accumulators) or 6 × 16 (AVX2: 12 ymm), one broadcast of a(i, x) per row and step. Written with intrinsics:
// GCC's vector extensions turn a scalar broadcast into an add or element-wise masked loads inside target_clones code.
#include "smallmm.h"
#include "gemm.h"
#include <algorithm>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fls {
namespace {
constexpr int R = 6;

void small_mm_portable(const float* A, long ars, long aks, const float* B, long ldb, int K, float* C, long ldc, int M, int Np) {
  for (int i = 0; i < M; i++) {
    float* c = C + i * ldc;
    std::fill(c, c + Np, 0.f);
    for (int x = 0; x < K; x++) {
      const float a = A[i * ars + x * aks];
      const float* b = B + x * ldb;
      for (int j = 0; j < Np; j++) c[j] += a * b[j];
    }
  }
}

#if defined(__x86_64__)
// NV vectors of 16 columns; rows < R of the tile valid (the others read row 0 and are not stored)
template <int NV>
__attribute__((target("avx512f"), always_inline)) inline void tile512(const float* A, long ars, long aks, const float* B, long ldb,
                                                                         int K, float* C, long ldc, int rows) {
  __m512 acc[R][NV];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  long ro[R];
  for (int r = 0; r < R; r++) ro[r] = (r < rows ? r : 0) * ars;
  for (int x = 0; x < K; x++) {
    __m512 b[NV];
    for (int v = 0; v < NV; v++) b[v] = _mm512_loadu_ps(B + x * ldb + 16 * v);
    const float* ax = A + x * aks;
#pragma GCC unroll 6
    for (int r = 0; r < R; r++) {
      const __m512 a = _mm512_set1_ps(ax[ro[r]]);
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
    }
  }
  for (int r = 0; r < rows; r++)
    for (int v = 0; v < NV; v++) _mm512_storeu_ps(C + r * ldc + 16 * v, acc[r][v]);
}

__attribute__((target("avx512f"))) void small_mm_avx512(const float* A, long ars, long aks, const float* B, long ldb, int K, float* C,
                                                        long ldc, int M, int Np) {
  for (int c0 = 0; c0 < Np; c0 += 32) {
    const bool two = Np - c0 >= 32;
    for (int i0 = 0; i0 < M; i0 += R) {
      const int rows = std::min(R, M - i0);
      if (two) tile512<2>(A + i0 * ars, ars, aks, B + c0, ldb, K, C + i0 * ldc + c0, ldc, rows);
      else tile512<1>(A + i0 * ars, ars, aks, B + c0, ldb, K, C + i0 * ldc + c0, ldc, rows);
    }
  }
}

// named accumulators: as an array GCC kept them in memory, a store after every FMA
__attribute__((target("avx2,fma"), always_inline)) inline void tile256(const float* A, long ars, long aks, const float* B, long ldb,
                                                                          int K, float* C, long ldc, int rows) {
  long ro[R];
  for (int r = 0; r < R; r++) ro[r] = (r < rows ? r : 0) * ars;
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00,
         c50 = c00, c51 = c00;
  for (int x = 0; x < K; x++) {
    const __m256 b0 = _mm256_loadu_ps(B + x * ldb), b1 = _mm256_loadu_ps(B + x * ldb + 8);
    const float* ax = A + x * aks;
    __m256 a = _mm256_broadcast_ss(ax + ro[0]);
    c00 = _mm256_fmadd_ps(a, b0, c00);
    c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(ax + ro[1]);
    c10 = _mm256_fmadd_ps(a, b0, c10);
    c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(ax + ro[2]);
    c20 = _mm256_fmadd_ps(a, b0, c20);
    c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(ax + ro[3]);
    c30 = _mm256_fmadd_ps(a, b0, c30);
    c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(ax + ro[4]);
    c40 = _mm256_fmadd_ps(a, b0, c40);
    c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(ax + ro[5]);
    c50 = _mm256_fmadd_ps(a, b0, c50);
    c51 = _mm256_fmadd_ps(a, b1, c51);
  }
  const __m256 acc[R][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < rows; r++) {
    _mm256_storeu_ps(C + r * ldc, acc[r][0]);
    _mm256_storeu_ps(C + r * ldc + 8, acc[r][1]);
  }
}

__attribute__((target("avx2,fma"))) void small_mm_avx2(const float* A, long ars, long aks, const float* B, long ldb, int K, float* C,
                                                       long ldc, int M, int Np) {
  for (int c0 = 0; c0 < Np; c0 += 16)
    for (int i0 = 0; i0 < M; i0 += R) tile256(A + i0 * ars, ars, aks, B + c0, ldb, K, C + i0 * ldc + c0, ldc, std::min(R, M - i0));
}
#endif
}  // namespace

SmallMM pick_small_mm() {
#if defined(__x86_64__)
  if (isa() == Isa::Avx512) return small_mm_avx512;
  if (isa() == Isa::Avx2) return small_mm_avx2;
#endif
  return small_mm_portable;
}
}  // namespace fls
