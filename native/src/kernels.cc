// Elementwise, row-softmax, layer-norm and Adam kernels. Loops are written for the auto-vectoriser and compiled
// in three clones (AVX-512, AVX2, baseline) picked at load time by the CPU (GCC target_clones); large arrays are
// split over the thread pool. Accumulations of reductions are in double, as in the reference backend.
#include "kernels.h"
#include "gemm.h"
#include "pool.h"
#include <cmath>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <cstring>
#include <cstdint>
#include <algorithm>
#include <vector>

namespace fls {
namespace {
constexpr long CHUNK = 1 << 15;

template <typename F>
void chunked(long n, F body) {
  long tasks = (n + CHUNK - 1) / CHUNK;
  if (tasks <= 1) {
    body(0, n);
    return;
  }
  parallel_for((int)tasks, [&](int t) {
    long a = t * CHUNK, b = std::min(n, a + CHUNK);
    body(a, b);
  });
}

CLONES void add_(const float* a, const float* b, float* o, long n) { for (long i = 0; i < n; i++) o[i] = a[i] + b[i]; }
CLONES void sub_(const float* a, const float* b, float* o, long n) { for (long i = 0; i < n; i++) o[i] = a[i] - b[i]; }
CLONES void mul_(const float* a, const float* b, float* o, long n) { for (long i = 0; i < n; i++) o[i] = a[i] * b[i]; }
CLONES void div_(const float* a, const float* b, float* o, long n) { for (long i = 0; i < n; i++) o[i] = a[i] / b[i]; }
void max_(const float* a, const float* b, float* o, long n) {
  for (long i = 0; i < n; i++) o[i] = (std::isnan(a[i]) || std::isnan(b[i])) ? NAN : (a[i] > b[i] ? a[i] : b[i]);
}
CLONES void relu_grad_(const float* g, const float* x, float* o, long n) { for (long i = 0; i < n; i++) o[i] = x[i] > 0.f ? g[i] : 0.f; }
void pow_(const float* a, const float* b, float* o, long n) { for (long i = 0; i < n; i++) o[i] = (float)std::pow((double)a[i], (double)b[i]); }
CLONES void neg_(const float* x, float* o, long n) { for (long i = 0; i < n; i++) o[i] = -x[i]; }
CLONES void abs_(const float* x, float* o, long n) { for (long i = 0; i < n; i++) o[i] = std::fabs(x[i]); }
CLONES void recip_(const float* x, float* o, long n) { for (long i = 0; i < n; i++) o[i] = 1.f / x[i]; }
CLONES void sqrt_(const float* x, float* o, long n) { for (long i = 0; i < n; i++) o[i] = std::sqrt(x[i]); }
void relu_(const float* x, float* o, long n) { for (long i = 0; i < n; i++) o[i] = x[i] > 0.f ? x[i] : (std::isnan(x[i]) ? x[i] : 0.f); }
void exp_(const float* x, float* o, long n) { for (long i = 0; i < n; i++) o[i] = (float)std::exp((double)x[i]); }
void log_(const float* x, float* o, long n) { for (long i = 0; i < n; i++) o[i] = (float)std::log((double)x[i]); }
void tanh_(const float* x, float* o, long n) { for (long i = 0; i < n; i++) o[i] = (float)std::tanh((double)x[i]); }
void sigmoid_(const float* x, float* o, long n) { for (long i = 0; i < n; i++) o[i] = (float)(1.0 / (1.0 + std::exp(-(double)x[i]))); }
void gelu_(const float* x, float* o, long n) {
  const double k = std::sqrt(2.0 / M_PI);
  for (long i = 0; i < n; i++) {
    double v = x[i];
    o[i] = (float)(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
  }
}
}  // namespace

void gelu_fast(const float* x, float* o, long n);  // vectorised below, next to the exp kernels

void unary(int op, const float* x, float* out, long n) {
  chunked(n, [&](long a, long b) {
    const float* xs = x + a;
    float* os = out + a;
    long m = b - a;
    switch (op) {
      case NEG: neg_(xs, os, m); break;
      case EXP: exp_(xs, os, m); break;
      case LOG: log_(xs, os, m); break;
      case SQRT: sqrt_(xs, os, m); break;
      case RELU: relu_(xs, os, m); break;
      case GELU: gelu_fast(xs, os, m); break;
      case TANH: tanh_(xs, os, m); break;
      case SIGMOID: sigmoid_(xs, os, m); break;
      case ABS: abs_(xs, os, m); break;
      case RECIP: recip_(xs, os, m); break;
    }
  });
}

void binary(int op, const float* a, const float* b, float* out, long n) {
  chunked(n, [&](long s, long e) {
    long m = e - s;
    switch (op) {
      case ADD: add_(a + s, b + s, out + s, m); break;
      case SUB: sub_(a + s, b + s, out + s, m); break;
      case MUL: mul_(a + s, b + s, out + s, m); break;
      case DIV: div_(a + s, b + s, out + s, m); break;
      case MAX: max_(a + s, b + s, out + s, m); break;
      case POW: pow_(a + s, b + s, out + s, m); break;
      case RELU_GRAD: relu_grad_(a + s, b + s, out + s, m); break;
    }
  });
}

template <typename F>
static void rows_parallel(long rows, long cols, F row) {
  long per = std::max(1L, CHUNK / std::max(cols, 1L));
  long tasks = (rows + per - 1) / per;
  auto run = [&](int t) {
    long a = t * per, b = std::min(rows, a + per);
    for (long r = a; r < b; r++) row(r);
  };
  if (tasks <= 1) run(0);
  else parallel_for((int)tasks, run);
}

// Σ and e^(x − mx) of a softmax row, x − mx ≤ 0: Cephes expf (range reduction by ln 2, degree-6 polynomial, 2^n by
// exponent bits; ~1 ulp); arguments below the float range (and −∞, masked scores) give exactly 0.
static float exp_sum_scalar(const float* x, float* o, long n, float mx) {
  double s = 0;
  for (long j = 0; j < n; j++) {
    const float e = std::exp(x[j] - mx);
    o[j] = e;
    s += e;
  }
  return (float)s;
}
#if defined(__x86_64__)
#define EXP_CONSTS                                                                                   \
  const float lo = -87.3365447505f, l2e = 1.44269504088896341f, c1 = 0.693359375f, c2 = -2.12194440e-4f; \
  const float p0 = 1.9875691500E-4f, p1 = 1.3981999507E-3f, p2 = 8.3334519073E-3f, p3 = 4.1665795894E-2f, \
              p4 = 1.6666665459E-1f, p5 = 5.0000001201E-1f;
__attribute__((target("avx512f"))) static inline __m512 exp512(__m512 x) {
  EXP_CONSTS
  const __mmask16 under = _mm512_cmp_ps_mask(x, _mm512_set1_ps(lo), _CMP_LT_OQ);
  x = _mm512_max_ps(x, _mm512_set1_ps(lo));
  const __m512 fx = _mm512_roundscale_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(l2e), _mm512_set1_ps(0.5f)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(c1), x);
  x = _mm512_fnmadd_ps(fx, _mm512_set1_ps(c2), x);
  __m512 y = _mm512_set1_ps(p0);
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(p1));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(p2));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(p3));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(p4));
  y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(p5));
  y = _mm512_add_ps(_mm512_fmadd_ps(y, _mm512_mul_ps(x, x), x), _mm512_set1_ps(1.f));
  const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvttps_epi32(fx), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mov_ps((__mmask16)~under, _mm512_mul_ps(y, _mm512_castsi512_ps(e)));
}
__attribute__((target("avx512f"))) static float exp_sum_avx512(const float* x, float* o, long n, float mx) {
  const __m512 m = _mm512_set1_ps(mx);
  __m512 acc = _mm512_setzero_ps();
  long j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + j), m));
    _mm512_storeu_ps(o + j, e);
    acc = _mm512_add_ps(acc, e);
  }
  if (j < n) {
    const __mmask16 k = (__mmask16)((1u << (n - j)) - 1);
    const __m512 e = _mm512_maskz_mov_ps(k, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + j), m)));
    _mm512_mask_storeu_ps(o + j, k, e);
    acc = _mm512_add_ps(acc, e);
  }
  return _mm512_reduce_add_ps(acc);
}
__attribute__((target("avx2,fma"))) static inline __m256 exp256(__m256 x) {
  EXP_CONSTS
  const __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(lo), _CMP_LT_OQ);
  x = _mm256_max_ps(x, _mm256_set1_ps(lo));
  const __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(l2e), _mm256_set1_ps(0.5f)));
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(c1), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(c2), x);
  __m256 y = _mm256_set1_ps(p0);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(p1));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(p2));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(p3));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(p4));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(p5));
  y = _mm256_add_ps(_mm256_fmadd_ps(y, _mm256_mul_ps(x, x), x), _mm256_set1_ps(1.f));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(y, _mm256_castsi256_ps(e)));
}
__attribute__((target("avx2,fma"))) static float exp_sum_avx2(const float* x, float* o, long n, float mx) {
  const __m256 m = _mm256_set1_ps(mx);
  __m256 acc = _mm256_setzero_ps();
  long j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + j), m));
    _mm256_storeu_ps(o + j, e);
    acc = _mm256_add_ps(acc, e);
  }
  alignas(32) float t[8];
  _mm256_store_ps(t, acc);
  float s = t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
  for (; j < n; j++) {
    const float e = std::exp(x[j] - mx);
    o[j] = e;
    s += e;
  }
  return s;
}
#endif

#if defined(__x86_64__)
// GELU (tanh form) as x · σ(2u), u = √(2/π)(x + 0.044715 x³), with σ from one e^(−2|u|) ≤ 1: no overflow either side.
__attribute__((target("avx512f"))) static void gelu_avx512(const float* x, float* o, long n) {
  const __m512 k = _mm512_set1_ps(0.7978845608028654f), c = _mm512_set1_ps(0.044715f), one = _mm512_set1_ps(1.f);
  for (long j = 0; j < n; j += 16) {
    const __mmask16 m = n - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - j)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + j);
    const __m512 u = _mm512_mul_ps(k, _mm512_fmadd_ps(_mm512_mul_ps(c, _mm512_mul_ps(v, v)), v, v));
    const __m512 au = _mm512_abs_ps(u);
    const __m512 t = exp512(_mm512_mul_ps(_mm512_set1_ps(-2.f), au));  // e^(−2|u|) in (0, 1]
    const __m512 inv = _mm512_div_ps(one, _mm512_add_ps(one, t));
    const __mmask16 pos = _mm512_cmp_ps_mask(u, _mm512_setzero_ps(), _CMP_GE_OQ);
    const __m512 sig = _mm512_mask_blend_ps(pos, _mm512_mul_ps(t, inv), inv);
    _mm512_mask_storeu_ps(o + j, m, _mm512_mul_ps(v, sig));
  }
}
__attribute__((target("avx2,fma"))) static void gelu_avx2(const float* x, float* o, long n) {
  const __m256 k = _mm256_set1_ps(0.7978845608028654f), c = _mm256_set1_ps(0.044715f), one = _mm256_set1_ps(1.f);
  long j = 0;
  for (; j + 8 <= n; j += 8) {
    const __m256 v = _mm256_loadu_ps(x + j);
    const __m256 u = _mm256_mul_ps(k, _mm256_fmadd_ps(_mm256_mul_ps(c, _mm256_mul_ps(v, v)), v, v));
    const __m256 au = _mm256_andnot_ps(_mm256_set1_ps(-0.f), u);
    const __m256 t = exp256(_mm256_mul_ps(_mm256_set1_ps(-2.f), au));
    const __m256 inv = _mm256_div_ps(one, _mm256_add_ps(one, t));
    const __m256 pos = _mm256_cmp_ps(u, _mm256_setzero_ps(), _CMP_GE_OQ);
    _mm256_storeu_ps(o + j, _mm256_mul_ps(v, _mm256_blendv_ps(_mm256_mul_ps(t, inv), inv, pos)));
  }
  gelu_(x + j, o + j, n - j);
}
#endif

void gelu_fast(const float* x, float* o, long n) {
  static const Isa level = isa();  // FLINKSCOPE_SIMD may lower it
#if defined(__x86_64__)
  if (level == Isa::Avx512) return gelu_avx512(x, o, n);
  if (level == Isa::Avx2) return gelu_avx2(x, o, n);
#endif
  gelu_(x, o, n);
}

ExpSum pick_exp_sum() {
#if defined(__x86_64__)
  if (isa() == Isa::Avx512) return exp_sum_avx512;
  if (isa() == Isa::Avx2) return exp_sum_avx2;
#endif
  return exp_sum_scalar;
}

#if defined(__x86_64__)
// Whole-row softmax by hand (the auto-vectorised max/NaN scan spilled its accumulators and ran its tail in scalar code:
// a third of the attention forward's time on 100-wide rows): max and NaN scan, exp and sum, scale — masked tails.
__attribute__((target("avx512f"))) static void softmax_row_avx512(const float* xr, float* o, long n) {
  __m512 mx = _mm512_set1_ps(-INFINITY);
  __mmask16 nan = 0;
  long j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 v = _mm512_loadu_ps(xr + j);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    mx = _mm512_max_ps(mx, v);
  }
  const __mmask16 tail = (__mmask16)((1u << (n - j)) - 1);
  if (j < n) {
    const __m512 v = _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail, xr + j);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    mx = _mm512_max_ps(mx, v);
  }
  float m = _mm512_reduce_max_ps(mx);
  if (nan || m == INFINITY) {  // +∞ − +∞ is NaN: the row is NaN, as in the reference (and PyTorch)
    for (long k = 0; k < n; k++) o[k] = NAN;
    return;
  }
  if (m == -INFINITY) m = 0.f;
  const __m512 inv = _mm512_set1_ps(1.f / exp_sum_avx512(xr, o, n, m));
  for (j = 0; j + 16 <= n; j += 16) _mm512_storeu_ps(o + j, _mm512_mul_ps(_mm512_loadu_ps(o + j), inv));
  if (j < n) _mm512_mask_storeu_ps(o + j, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, o + j), inv));
}

// Rows of at most 16 keys (a band of a local view), four at a time: one vector per row, so a row alone is a chain of
// latencies (max, exp polynomial, sum, divide); four rows in flight fill the pipeline. A row holding NaN or +∞ comes out
// NaN, as from softmax_row.
__attribute__((target("avx512f"))) static void softmax_short_avx512(const float* x, long ldx, float* o, long ldo, int rows, int n) {
  const __mmask16 k = (__mmask16)((1u << n) - 1);
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  constexpr int G = 4;
  for (int r0 = 0; r0 < rows; r0 += G) {
    const int g = std::min(G, rows - r0);
    __m512 v[G], e[G];
    float m[G], s[G];
    bool odd[G];
    for (int r = 0; r < G; r++) {
      v[r] = _mm512_mask_loadu_ps(ninf, k, x + (long)(r0 + std::min(r, g - 1)) * ldx);
      odd[r] = _mm512_cmp_ps_mask(v[r], v[r], _CMP_UNORD_Q) != 0;
      m[r] = _mm512_reduce_max_ps(v[r]);
      odd[r] = odd[r] || m[r] == INFINITY;
      if (m[r] == -INFINITY) m[r] = 0.f;
    }
    for (int r = 0; r < G; r++) e[r] = _mm512_maskz_mov_ps(k, exp512(_mm512_sub_ps(v[r], _mm512_set1_ps(m[r]))));
    for (int r = 0; r < G; r++) s[r] = _mm512_reduce_add_ps(e[r]);
    for (int r = 0; r < g; r++) {
      float* orow = o + (long)(r0 + r) * ldo;
      if (odd[r]) {
        for (int j = 0; j < n; j++) orow[j] = NAN;
        continue;
      }
      _mm512_mask_storeu_ps(orow, k, _mm512_mul_ps(e[r], _mm512_set1_ps(1.f / s[r])));
    }
  }
}
#endif

void softmax_rows_short(const float* x, long ldx, float* o, long ldo, int rows, int n, ExpSum exp_sum) {
#if defined(__x86_64__)
  if (exp_sum == exp_sum_avx512 && n <= 16 && n > 0) return softmax_short_avx512(x, ldx, o, ldo, rows, n);
#endif
  for (int r = 0; r < rows; r++) softmax_row(x + (long)r * ldx, o + (long)r * ldo, n, exp_sum);
}

CLONES void softmax_row(const float* xr, float* o, long cols, ExpSum exp_sum) {
#if defined(__x86_64__)
  if (exp_sum == exp_sum_avx512) return softmax_row_avx512(xr, o, cols);
#endif
  float mx = -INFINITY;
  int nan = 0;
#pragma omp simd reduction(max : mx) reduction(| : nan)
  for (long j = 0; j < cols; j++) {
    const float v = xr[j];
    nan |= v != v;
    mx = v > mx ? v : mx;
  }
  if (nan || mx == INFINITY) {
    for (long k = 0; k < cols; k++) o[k] = NAN;
    return;
  }
  if (mx == -INFINITY) mx = 0.f;
  const float inv = 1.f / exp_sum(xr, o, cols, mx);
  for (long k = 0; k < cols; k++) o[k] *= inv;
}

void softmax_rows(const float* x, float* out, long rows, long cols) {
  static const ExpSum exp_sum = pick_exp_sum();
  rows_parallel(rows, cols, [&](long r) { softmax_row(x + r * cols, out + r * cols, cols, exp_sum); });
}

// Row kernels for the auto-vectoriser: reductions in double with `omp simd` (reordered, still double precision).
CLONES static void softmax_back_row(const float* yr, const float* g, float* o, long cols) {
  double dot = 0;
#pragma omp simd reduction(+ : dot)
  for (long j = 0; j < cols; j++) dot += (double)g[j] * yr[j];
  const float d = (float)dot;
  for (long j = 0; j < cols; j++) o[j] = yr[j] * (g[j] - d);
}

// over the row x (+ res, the residual of a post-norm block, added in float exactly as the add op does; the sum is
// not stored — the backward needs only the output and rstd)
template <bool Res>
__attribute__((always_inline)) inline void layernorm_row_t(const float* xr, const float* rr, float* o, float* mean, float* rstd, long cols,
                                                          float eps) {
  auto at = [&](long j) { return Res ? xr[j] + rr[j] : xr[j]; };
  double m = 0;
#pragma omp simd reduction(+ : m)
  for (long j = 0; j < cols; j++) m += at(j);
  m /= cols;
  double v = 0;
#pragma omp simd reduction(+ : v)
  for (long j = 0; j < cols; j++) v += (at(j) - m) * (at(j) - m);
  const float rs = (float)(1.0 / std::sqrt(v / cols + eps));
  *mean = (float)m;
  *rstd = rs;
  const float mf = (float)m;
  for (long j = 0; j < cols; j++) o[j] = (at(j) - mf) * rs;
}
CLONES static void layernorm_row(const float* xr, float* o, float* mean, float* rstd, long cols, float eps) {
  layernorm_row_t<false>(xr, nullptr, o, mean, rstd, cols, eps);
}
CLONES static void layernorm_row_res(const float* xr, const float* rr, float* o, float* mean, float* rstd, long cols, float eps) {
  layernorm_row_t<true>(xr, rr, o, mean, rstd, cols, eps);
}

CLONES static void layernorm_back_row(const float* xh, const float* g, float* o, float rs, long cols) {
  double a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
  for (long j = 0; j < cols; j++) {
    a += g[j];
    b += (double)g[j] * xh[j];
  }
  const float ma = (float)(a / cols), mb = (float)(b / cols);
  for (long j = 0; j < cols; j++) o[j] = rs * (g[j] - ma - xh[j] * mb);
}

CLONES static double sum_row(const float* x, long n) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (long j = 0; j < n; j++) s += x[j];
  return s;
}

void sum_rows(const float* x, float* out, long rows, long cols) {
  if (rows == 1 && cols >= (1 << 16)) {
    // one long row (a loss over a whole tensor): partial sums of fixed ranges over the pool, added in order (the
    // ranges follow the length, not the thread count, so the sum is the same on any number of threads)
    const long parts = std::min<long>(64, cols / CHUNK + 1);
    std::vector<double> part(parts);
    parallel_for((int)parts, [&](int t) {
      const long a = cols * t / parts, b = cols * (t + 1) / parts;
      part[t] = sum_row(x + a, b - a);
    });
    double s = 0;
    for (double v : part) s += v;
    out[0] = (float)s;
    return;
  }
  rows_parallel(rows, cols, [&](long r) { out[r] = (float)sum_row(x + r * cols, cols); });
}

// acc[i] += x[r·stride + i] for r < R, i < width: a slab's column sums, in double
CLONES static void accumulate_slab(const float* x, double* acc, long R, long width, long stride) {
  for (long r = 0; r < R; r++) {
    const float* xr = x + r * stride;
    for (long i = 0; i < width; i++) acc[i] += xr[i];
  }
}

void sum_mid(const float* x, float* out, long outer, long R, long inner) {
  if (outer == 1) {
    // one slab (column sums of a matrix: bias gradients): split over its columns
    const long parts = std::max(1L, std::min(inner / 256, 16L));
    parallel_for((int)parts, [&](int c) {
      const long i0 = inner * c / parts, i1 = inner * (c + 1) / parts;
      thread_local std::vector<double> acc;
      acc.assign(i1 - i0, 0.0);
      accumulate_slab(x + i0, acc.data(), R, i1 - i0, inner);
      for (long i = i0; i < i1; i++) out[i] = (float)acc[i - i0];
    });
    return;
  }
  // many slabs (patch means): groups of whole slabs per task, ~CHUNK floats each
  rows_parallel(outer, R * inner, [&](long o) {
    thread_local std::vector<double> acc;
    acc.assign(inner, 0.0);
    accumulate_slab(x + o * R * inner, acc.data(), R, inner, inner);
    for (long i = 0; i < inner; i++) out[o * inner + i] = (float)acc[i];
  });
}

void softmax_rows_backward(const float* y, const float* dy, float* dx, long rows, long cols) {
  rows_parallel(rows, cols, [&](long r) { softmax_back_row(y + r * cols, dy + r * cols, dx + r * cols, cols); });
}

#if defined(__x86_64__)
// Layer-norm rows for AVX-512 by hand: the auto-vectorised double reductions ended in a chain of scalar adds through
// the stack (~60 cycles a row; rows here are 128 wide). Sums still in double: each 16 floats widen to two 8-double
// halves; tails are masked (and masked out of the variance, where a zero lane would add m²).
__attribute__((target("avx512f"))) static inline void widen(__m512 v, __m512d* lo, __m512d* hi) {
  *lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
  *hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}
// (lambdas do not inherit a function's target attribute: helpers are functions)
template <bool Res>
__attribute__((target("avx512f"), always_inline)) static inline __m512 ln_load(const float* x, const float* r, long j, __mmask16 k) {
  __m512 v = _mm512_maskz_loadu_ps(k, x + j);
  if (Res) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(k, r + j));
  return v;
}
template <bool Res>
__attribute__((target("avx512f"))) static void layernorm_row_avx512(const float* x, const float* r, float* o, float* mean, float* rstd,
                                                                   long n, float eps) {
#define load(j, k) ln_load<Res>(x, r, j, k)
  const long full = n / 16 * 16;
  const __mmask16 tail = (__mmask16)((1u << (n - full)) - 1);
  __m512d s0 = _mm512_setzero_pd(), s1 = s0, lo, hi;
  for (long j = 0; j < n; j += 16) {
    widen(load(j, j < full ? (__mmask16)0xffff : tail), &lo, &hi);
    s0 = _mm512_add_pd(s0, lo);
    s1 = _mm512_add_pd(s1, hi);
  }
  const double m = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1)) / n;
  const __m512d md = _mm512_set1_pd(m);
  s0 = s1 = _mm512_setzero_pd();
  for (long j = 0; j < n; j += 16) {
    const __mmask16 k = j < full ? (__mmask16)0xffff : tail;
    widen(load(j, k), &lo, &hi);
    lo = _mm512_maskz_sub_pd((__mmask8)(k & 0xff), lo, md);
    hi = _mm512_maskz_sub_pd((__mmask8)(k >> 8), hi, md);
    s0 = _mm512_add_pd(s0, _mm512_mul_pd(lo, lo));
    s1 = _mm512_add_pd(s1, _mm512_mul_pd(hi, hi));
  }
  const double v = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
  const float rs = (float)(1.0 / std::sqrt(v / n + eps));
  *mean = (float)m;
  *rstd = rs;
  const __m512 mf = _mm512_set1_ps((float)m), rsv = _mm512_set1_ps(rs);
  for (long j = 0; j < full; j += 16) _mm512_storeu_ps(o + j, _mm512_mul_ps(_mm512_sub_ps(load(j, 0xffff), mf), rsv));
  if (full < n) _mm512_mask_storeu_ps(o + full, tail, _mm512_mul_ps(_mm512_sub_ps(load(full, tail), mf), rsv));
#undef load
}
__attribute__((target("avx512f"), always_inline)) static inline __m512 ln_back(const float* g, const float* xh, long j, __mmask16 k, __m512 ma,
                                                                              __m512 mb, __m512 rsv) {
  const __m512 gv = _mm512_maskz_loadu_ps(k, g + j), xv = _mm512_maskz_loadu_ps(k, xh + j);
  return _mm512_mul_ps(rsv, _mm512_sub_ps(_mm512_sub_ps(gv, ma), _mm512_mul_ps(xv, mb)));
}
// dx = rs · (g − mean(g) − xh · mean(g ⊙ xh)), the sums in double
__attribute__((target("avx512f"))) static void layernorm_back_row_avx512(const float* xh, const float* g, float* o, float rs, long n) {
  const long full = n / 16 * 16;
  const __mmask16 tail = (__mmask16)((1u << (n - full)) - 1);
  __m512d a0 = _mm512_setzero_pd(), a1 = a0, b0 = a0, b1 = a0, gl, gh, xl, xhh;
  for (long j = 0; j < n; j += 16) {
    const __mmask16 k = j < full ? (__mmask16)0xffff : tail;
    widen(_mm512_maskz_loadu_ps(k, g + j), &gl, &gh);
    widen(_mm512_maskz_loadu_ps(k, xh + j), &xl, &xhh);
    a0 = _mm512_add_pd(a0, gl);
    a1 = _mm512_add_pd(a1, gh);
    b0 = _mm512_add_pd(b0, _mm512_mul_pd(gl, xl));
    b1 = _mm512_add_pd(b1, _mm512_mul_pd(gh, xhh));
  }
  const __m512 ma = _mm512_set1_ps((float)(_mm512_reduce_add_pd(_mm512_add_pd(a0, a1)) / n));
  const __m512 mb = _mm512_set1_ps((float)(_mm512_reduce_add_pd(_mm512_add_pd(b0, b1)) / n));
  const __m512 rsv = _mm512_set1_ps(rs);
  for (long j = 0; j < full; j += 16) _mm512_storeu_ps(o + j, ln_back(g, xh, j, 0xffff, ma, mb, rsv));
  if (full < n) _mm512_mask_storeu_ps(o + full, tail, ln_back(g, xh, full, tail, ma, mb, rsv));
}
#endif

static bool use_avx512() { return isa() == Isa::Avx512; }

void layernorm_rows(const float* x, float* out, float* mean, float* rstd, long rows, long cols, float eps, const float* res) {
#if defined(__x86_64__)
  if (use_avx512()) {
    if (res)
      rows_parallel(rows, cols, [&](long r) { layernorm_row_avx512<true>(x + r * cols, res + r * cols, out + r * cols, mean + r, rstd + r, cols, eps); });
    else rows_parallel(rows, cols, [&](long r) { layernorm_row_avx512<false>(x + r * cols, nullptr, out + r * cols, mean + r, rstd + r, cols, eps); });
    return;
  }
#endif
  if (res) rows_parallel(rows, cols, [&](long r) { layernorm_row_res(x + r * cols, res + r * cols, out + r * cols, mean + r, rstd + r, cols, eps); });
  else rows_parallel(rows, cols, [&](long r) { layernorm_row(x + r * cols, out + r * cols, mean + r, rstd + r, cols, eps); });
}

void layernorm_rows_backward(const float* xhat, const float* rstd, const float* dy, float* dx, long rows, long cols) {
#if defined(__x86_64__)
  if (use_avx512()) {
    rows_parallel(rows, cols, [&](long r) { layernorm_back_row_avx512(xhat + r * cols, dy + r * cols, dx + r * cols, rstd[r], cols); });
    return;
  }
#endif
  rows_parallel(rows, cols, [&](long r) { layernorm_back_row(xhat + r * cols, dy + r * cols, dx + r * cols, rstd[r], cols); });
}

// Vectorised in float, as PyTorch's Adam; the bias corrections are computed once in double.
CLONES static void adam_range(float* p, const float* g, float* m, float* v, long s, long e, float lr, float b1, float b2, float eps,
                              float wd, float ib1, float ib2) {
  const float a1 = 1.f - b1, a2 = 1.f - b2;
  for (long i = s; i < e; i++) {
    const float mi = b1 * m[i] + a1 * g[i];
    const float vi = b2 * v[i] + a2 * g[i] * g[i];
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - lr * ((mi * ib1) / (std::sqrt(vi * ib2) + eps) + wd * p[i]);
  }
}

void adam_step(float* p, const float* g, float* m, float* v, long n, float lr, float b1, float b2, float eps, float wd, int step) {
  const float ib1 = (float)(1.0 / (1.0 - std::pow((double)b1, step))), ib2 = (float)(1.0 / (1.0 - std::pow((double)b2, step)));
  chunked(n, [&](long s, long e) { adam_range(p, g, m, v, s, e, lr, b1, b2, eps, wd, ib1, ib2); });
}
}  // namespace fls

namespace fls {
// Row-major copy of a strided view: out[i] for i over shape, reading x[offset + Σ idx_k · strides_k]. Dimensions
// after the first are walked with an odometer; the outer dimension is split over the pool for large copies.
void gather_strided(const float* x, long offset, const long* shape, const long* strides, int nd, float* out) {
  if (nd == 0) {
    out[0] = x[offset];
    return;
  }
  long inner = shape[nd - 1], istr = strides[nd - 1];
  long per_outer = 1;
  for (int k = 1; k < nd; k++) per_outer *= shape[k];
  auto copy_outer = [&](long o) {
    long idx[8] = {0};
    long src = offset + o * strides[0];
    float* dst = out + o * per_outer;
    long rows = per_outer / (inner ? inner : 1);
    for (long r = 0; r < rows; r++) {
      if (istr == 1) std::copy(x + src, x + src + inner, dst);
      else if (istr == 0) std::fill(dst, dst + inner, x[src]);  // a broadcast axis
      else for (long j = 0; j < inner; j++) dst[j] = x[src + j * istr];
      dst += inner;
      for (int k = nd - 2; k >= 1; k--) {  // odometer over the middle dimensions
        src += strides[k];
        if (++idx[k] < shape[k]) break;
        src -= strides[k] * shape[k];
        idx[k] = 0;
      }
    }
  };
  if (nd == 1) {
    if (istr == 1) std::copy(x + offset, x + offset + inner, out);
    else for (long j = 0; j < inner; j++) out[j] = x[offset + j * istr];
    return;
  }
  long total = shape[0] * per_outer;
  if (total < (1 << 16) || shape[0] < 2) {
    for (long o = 0; o < shape[0]; o++) copy_outer(o);
    return;
  }
  parallel_for((int)shape[0], [&](int o) { copy_outer(o); });
}

void scale_columns(const float* x, long n, const float* center, const float* scale, long C, float* out) {
  for (long i = 0; i < n; i += C)
    for (long c = 0; c < C; c++) out[i + c] = (float)(((double)x[i + c] - (double)center[c]) / (double)scale[c]);
}

bool all_finite(const float* x, long n) {
  // the exponent bits of a NaN or an infinity are all ones; no early exit, so the loop vectorises
  int bad = 0;
  for (long i = 0; i < n; i++) {
    uint32_t b;
    std::memcpy(&b, x + i, 4);
    bad |= (b & 0x7f800000u) == 0x7f800000u;
  }
  return bad == 0;
}
}  // namespace fls
