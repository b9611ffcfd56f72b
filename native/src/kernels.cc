// Elementwise, row-softmax, layer-norm and Adam kernels. Loops are written for the auto-vectoriser and compiled
// in three clones (AVX-512, AVX2, baseline) picked at load time by the CPU (GCC target_clones); large arrays are
// split over the thread pool. Accumulations of reductions are in double, as in the reference backend.
#include "kernels.h"
#include "pool.h"
#include <cmath>
#include <algorithm>

#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif

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
      case GELU: gelu_(xs, os, m); break;
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

void softmax_rows(const float* x, float* out, long rows, long cols) {
  rows_parallel(rows, cols, [&](long r) {
    const float* xr = x + r * cols;
    float* o = out + r * cols;
    float mx = -INFINITY;
    bool nan = false;
    for (long j = 0; j < cols; j++) {
      if (std::isnan(xr[j])) nan = true;
      mx = xr[j] > mx ? xr[j] : mx;
    }
    if (nan) {
      for (long j = 0; j < cols; j++) o[j] = NAN;
      return;
    }
    if (mx == -INFINITY) mx = 0.f;
    double s = 0;
    for (long j = 0; j < cols; j++) {
      float e = std::exp(xr[j] - mx);
      o[j] = e;
      s += e;
    }
    float inv = (float)(1.0 / s);
    for (long j = 0; j < cols; j++) o[j] *= inv;
  });
}

void softmax_rows_backward(const float* y, const float* dy, float* dx, long rows, long cols) {
  rows_parallel(rows, cols, [&](long r) {
    const float* yr = y + r * cols;
    const float* g = dy + r * cols;
    double dot = 0;
    for (long j = 0; j < cols; j++) dot += (double)g[j] * yr[j];
    float d = (float)dot;
    for (long j = 0; j < cols; j++) dx[r * cols + j] = yr[j] * (g[j] - d);
  });
}

void layernorm_rows(const float* x, float* out, float* mean, float* rstd, long rows, long cols, float eps) {
  rows_parallel(rows, cols, [&](long r) {
    const float* xr = x + r * cols;
    double m = 0;
    for (long j = 0; j < cols; j++) m += xr[j];
    m /= cols;
    double v = 0;
    for (long j = 0; j < cols; j++) v += (xr[j] - m) * (xr[j] - m);
    float rs = (float)(1.0 / std::sqrt(v / cols + eps));
    mean[r] = (float)m;
    rstd[r] = rs;
    float mf = (float)m;
    for (long j = 0; j < cols; j++) out[r * cols + j] = (xr[j] - mf) * rs;
  });
}

void layernorm_rows_backward(const float* xhat, const float* rstd, const float* dy, float* dx, long rows, long cols) {
  rows_parallel(rows, cols, [&](long r) {
    const float* xh = xhat + r * cols;
    const float* g = dy + r * cols;
    double a = 0, b = 0;
    for (long j = 0; j < cols; j++) {
      a += g[j];
      b += (double)g[j] * xh[j];
    }
    float ma = (float)(a / cols), mb = (float)(b / cols), rs = rstd[r];
    for (long j = 0; j < cols; j++) dx[r * cols + j] = rs * (g[j] - ma - xh[j] * mb);
  });
}

void adam_step(float* p, const float* g, float* m, float* v, long n, float lr, float b1, float b2, float eps, float wd, int step) {
  const double bc1 = 1.0 - std::pow((double)b1, step), bc2 = 1.0 - std::pow((double)b2, step);
  chunked(n, [&](long s, long e) {
    for (long i = s; i < e; i++) {
      m[i] = b1 * m[i] + (1.f - b1) * g[i];
      v[i] = b2 * v[i] + (1.f - b2) * g[i] * g[i];
      double upd = (m[i] / bc1) / (std::sqrt(v[i] / bc2) + eps);
      p[i] = (float)(p[i] - lr * (upd + wd * p[i]));
    }
  });
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
}  // namespace fls
