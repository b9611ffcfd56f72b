// Cache-blocked SGEMM (the Goto/BLIS scheme): B is packed in K-blocks into NR-wide panels and a register-blocked
// micro-kernel (AVX-512 6×32, AVX2+FMA 6×16, or portable 6×16) computes each MR×NR tile. The AVX-512 kernel reads A in
// place — six rows side by side, or six adjacent columns of a transposed A — with the next row panel prefetched while
// the first column panel is computed; packing A cost a read and a write of every element for no gain at the model's
// shapes (3200×128·128×128: 182 → 200 GFLOP/s). The AVX2 and portable kernels read MR-high packed panels of A. Work is
// split over (row block, column block) tasks on the thread pool; batched products of small matrices over the batch.
#include "gemm.h"
#include "pool.h"
#include <immintrin.h>
#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <vector>

namespace fls {
namespace {
constexpr int MR = 6;
constexpr int KC = 128;  // a 128 × 32 panel of B (16 KB) and one of A stay in the 32 KB L1 while the micro-kernel streams them
constexpr int MC = MR * 24;   // 144 rows of A per task
constexpr int NCB = 384;      // columns per task (multiple of 16 and 32)

// The fused epilogue, applied as the last K-block's tiles are stored: + bias[column], then the relu op's clamp (x > 0 or
// NaN kept, else +0). Bitwise what a separate add and relu would give: the tile is rounded before the bias is added.
struct Epi {
  const float* bias = nullptr;  // of the tile's first column
  bool relu = false;
  Epi at(long j) const { return {bias ? bias + j : nullptr, relu}; }
  float apply(float v, int j) const {
    if (bias) v += bias[j];
    return relu && !(v > 0.f || v != v) ? 0.f : v;
  }
  // over elements [i0, i1) of a row-major C with N columns (bias the whole row's): the paths that finish C outside a tile
  void apply_range(float* C, long i0, long i1, int N) const {
    if (bias || relu)
      for (long i = i0; i < i1; i++) C[i] = apply(C[i], (int)(i % N));
  }
};

Isa g_isa = Isa::Scalar;
bool g_isa_init = false;

Isa detect() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return Isa::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::Avx2;
#endif
  return Isa::Scalar;
}

struct Op {
  const float* p;
  int rows, cols;  // of op(X)
  bool trans;      // stored transposed: element (i, k) at p[k * rows + i]
  inline float at(int i, int k) const { return trans ? p[(long)k * rows + i] : p[(long)i * cols + k]; }
};

// Ap: panels of MR rows: Ap[panel][k][r]
void pack_a(const Op& a, int i0, int mc, int p0, int kc, float* Ap) {
  for (int ir = 0; ir < mc; ir += MR) {
    float* dst = Ap + (long)ir * kc;
    int rows = std::min(MR, mc - ir);
    if (!a.trans) {
      // six rows read side by side, the panel written in order (a strided write per element was the slow part)
      const float* src[MR];
      for (int r = 0; r < MR; r++) src[r] = r < rows ? a.p + (long)(i0 + ir + r) * a.cols + p0 : nullptr;
      if (ir + MR < mc) {
        // the next panel's rows are six short streams the hardware prefetcher is slow to pick up: ask for them now
        const int nrows = std::min(MR, mc - ir - MR);
        for (int r = 0; r < nrows; r++) {
          const char* nx = (const char*)(a.p + (long)(i0 + ir + MR + r) * a.cols + p0);
          for (int off = 0; off < kc * 4; off += 64) __builtin_prefetch(nx + off, 0, 3);
        }
      }
      if (rows == MR) {
        for (int k = 0; k < kc; k++) {
#pragma GCC unroll 6
          for (int r = 0; r < MR; r++) dst[k * MR + r] = src[r][k];
        }
      } else {
        for (int k = 0; k < kc; k++)
          for (int r = 0; r < MR; r++) dst[k * MR + r] = r < rows ? src[r][k] : 0.f;
      }
    } else {
      if (rows == MR) {
        for (int k = 0; k < kc; k++) {
          const float* src = a.p + (long)(p0 + k) * a.rows + i0 + ir;
#pragma GCC unroll 6
          for (int r = 0; r < MR; r++) dst[k * MR + r] = src[r];
        }
      } else {
        for (int k = 0; k < kc; k++) {
          const float* src = a.p + (long)(p0 + k) * a.rows + i0 + ir;
          for (int r = 0; r < MR; r++) dst[k * MR + r] = r < rows ? src[r] : 0.f;
        }
      }
    }
  }
}

// Bp: panels of NR columns: Bp[panel][k][c]
void pack_b(const Op& b, int p0, int kc, int j0, int nc, int NR, float* Bp) {
  for (int jr = 0; jr < nc; jr += NR) {
    float* dst = Bp + (long)jr * kc;
    int cols = std::min(NR, nc - jr);
    if (!b.trans) {
      for (int k = 0; k < kc; k++) {
        const float* src = b.p + (long)(p0 + k) * b.cols + j0 + jr;
        float* d = dst + k * NR;
        if (cols == NR) std::memcpy(d, src, sizeof(float) * NR);
        else {
          for (int c = 0; c < cols; c++) d[c] = src[c];
          for (int c = cols; c < NR; c++) d[c] = 0.f;
        }
      }
    } else {
      // eight stored rows (= columns of op(B)) read side by side, each k's eight values written together (a strided
      // store per element was the slow part)
      for (int c8 = 0; c8 < NR; c8 += 8) {
        const float* src[8];
        for (int c = 0; c < 8; c++) src[c] = c8 + c < cols ? b.p + (long)(j0 + jr + c8 + c) * b.rows + p0 : nullptr;
        if (c8 + 8 <= cols) {
          for (int k = 0; k < kc; k++) {
            float* d = dst + k * NR + c8;
#pragma GCC unroll 8
            for (int c = 0; c < 8; c++) d[c] = src[c][k];
          }
        } else {
          for (int k = 0; k < kc; k++)
            for (int c = 0; c < 8; c++) dst[k * NR + c8 + c] = src[c] ? src[c][k] : 0.f;
        }
      }
    }
  }
}

// ---- micro-kernels: acc (MR × NR) = Σ_k a[k][r] b[k][c]; then C (+)= acc for the valid rows/cols
void kern_scalar(int kc, const float* a, const float* b, float* c, int ldc, int rows, int cols, bool add, Epi e) {
  float acc[MR][16] = {};
  for (int k = 0; k < kc; k++)
    for (int r = 0; r < MR; r++) {
      float av = a[k * MR + r];
      for (int j = 0; j < 16; j++) acc[r][j] += av * b[k * 16 + j];
    }
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) c[(long)r * ldc + j] = e.apply(add ? c[(long)r * ldc + j] + acc[r][j] : acc[r][j], j);
}

#if defined(__x86_64__)
// AVX2 (16 ymm registers): the 6×16 tile is computed as two 3×16 halves over the same L1-resident panels; written as a
// 6×16 array of accumulators GCC stored every accumulator after each FMA (41 of 117 GFLOP/s per core).
__attribute__((target("avx2,fma"))) void kern_avx2(int kc, const float* a, const float* b, float* c, int ldc, int rows, int cols, bool add,
                                                   Epi e) {
  for (int r = 0; r < rows; r++) {
    __builtin_prefetch(c + (long)r * ldc, 1, 3);
    __builtin_prefetch(c + (long)r * ldc + cols - 1, 1, 3);
  }
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00,
         c50 = c00, c51 = c00;
  for (int k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(b + k * 16), b1 = _mm256_loadu_ps(b + k * 16 + 8);
    const float* ak = a + k * MR;
    __m256 av = _mm256_broadcast_ss(ak);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(ak + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(ak + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(ak + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(ak + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(ak + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
  }
  alignas(32) float tmp[MR][16];
  const __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < MR; r++) {
    _mm256_store_ps(tmp[r], acc[r][0]);
    _mm256_store_ps(tmp[r] + 8, acc[r][1]);
  }
  for (int r = 0; r < rows; r++) {
    float* cr = c + (long)r * ldc;
    if (cols == 16) {
      for (int h = 0; h < 16; h += 8) {
        __m256 v = _mm256_load_ps(tmp[r] + h);
        if (add) v = _mm256_add_ps(v, _mm256_loadu_ps(cr + h));
        if (e.bias) v = _mm256_add_ps(v, _mm256_loadu_ps(e.bias + h));
        if (e.relu) v = _mm256_and_ps(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_NLE_UQ), v);  // x > 0 or NaN kept, else +0
        _mm256_storeu_ps(cr + h, v);
      }
    } else {
      for (int j = 0; j < cols; j++) cr[j] = e.apply(add ? cr[j] + tmp[r][j] : tmp[r][j], j);
    }
  }
}

// How the micro-kernel reads A: a packed panel, a(r, k) = a[k·MR + r]; or A in place, row-major a(r, k) = a[r·lda + k]
// or stored transposed a(r, k) = a[k·lda + r] (rows beyond `rows` read row 0 and are not stored).
enum class AMode { Packed, Rows, Cols };
template <AMode Mode>
__attribute__((target("avx512f"), always_inline)) inline void kern512(int kc, const float* a, long lda, const float* b, float* c, int ldc,
                                                                      int rows, int cols, bool add, Epi e) {
  long ro[MR];
  for (int r = 0; r < MR; r++) ro[r] = Mode == AMode::Packed ? r : (r < rows ? r : 0) * (Mode == AMode::Rows ? lda : 1);
  const long ks = Mode == AMode::Packed ? MR : Mode == AMode::Rows ? 1 : lda;
  __m512 acc[MR][2];
  // C is written at the end: fetch its lines now so the stores do not wait on memory (outputs are often cold)
  for (int r = 0; r < rows; r++) {
    __builtin_prefetch(c + (long)r * ldc, 1, 3);
    __builtin_prefetch(c + (long)r * ldc + cols - 1, 1, 3);
  }
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int k = 0; k < kc; k++) {
    __m512 b0 = _mm512_loadu_ps(b + k * 32);
    __m512 b1 = _mm512_loadu_ps(b + k * 32 + 16);
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      __m512 av = _mm512_set1_ps(a[k * ks + ro[r]]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
  }
  if (rows == MR && cols == 32) {
    for (int r = 0; r < MR; r++) {
      float* cr = c + (long)r * ldc;
      if (add) {
        acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_loadu_ps(cr));
        acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_loadu_ps(cr + 16));
      }
      if (e.bias) {
        acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_loadu_ps(e.bias));
        acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_loadu_ps(e.bias + 16));
      }
      if (e.relu) {  // as the relu op: x > 0 or NaN kept, else +0 (so −0 becomes +0 and NaN stays NaN)
        acc[r][0] = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(acc[r][0], _mm512_setzero_ps(), _CMP_NLE_UQ), acc[r][0]);
        acc[r][1] = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(acc[r][1], _mm512_setzero_ps(), _CMP_NLE_UQ), acc[r][1]);
      }
      _mm512_storeu_ps(cr, acc[r][0]);
      _mm512_storeu_ps(cr + 16, acc[r][1]);
    }
    return;
  }
  alignas(64) float tmp[MR][32];
  for (int r = 0; r < MR; r++) {
    _mm512_store_ps(tmp[r], acc[r][0]);
    _mm512_store_ps(tmp[r] + 16, acc[r][1]);
  }
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) c[(long)r * ldc + j] = e.apply(add ? c[(long)r * ldc + j] + tmp[r][j] : tmp[r][j], j);
}
__attribute__((target("avx512f"))) void kern_avx512(int kc, const float* a, const float* b, float* c, int ldc, int rows, int cols, bool add,
                                                    Epi e) {
  kern512<AMode::Packed>(kc, a, 0, b, c, ldc, rows, cols, add, e);
}
__attribute__((target("avx512f"))) void kern_avx512_rows(int kc, const float* a, long lda, const float* b, float* c, int ldc, int rows, int cols,
                                                         bool add, Epi e) {
  kern512<AMode::Rows>(kc, a, lda, b, c, ldc, rows, cols, add, e);
}
__attribute__((target("avx512f"))) void kern_avx512_cols(int kc, const float* a, long lda, const float* b, float* c, int ldc, int rows, int cols,
                                                         bool add, Epi e) {
  kern512<AMode::Cols>(kc, a, lda, b, c, ldc, rows, cols, add, e);
}
#endif

using Kern = void (*)(int, const float*, const float*, float*, int, int, int, bool, Epi);

using KernDirect = void (*)(int, const float*, long, const float*, float*, int, int, int, bool, Epi);
struct Plan {
  Kern kern;
  int NR;
  KernDirect rows, cols;  // read A in place (no packing), row-major or stored transposed; or null
};
Plan plan() {
#if defined(__x86_64__)
  if (isa() == Isa::Avx512) return {kern_avx512, 32, kern_avx512_rows, kern_avx512_cols};
  if (isa() == Isa::Avx2) return {kern_avx2, 16, nullptr, nullptr};
#endif
  return {kern_scalar, 16, nullptr, nullptr};
}

thread_local std::vector<float> tl_a;

// One product; `parallel` splits it over the pool.
// K range [k_begin, k_end) of the product (default all of K: split-K runs each of its four ranges through here).
// B's K-blocks are packed a chunk at a time (in parallel: groups of NR-panels per K-block, so even one K-block of a
// narrow B is shared by the threads), then one parallel pass computes the (row block, column block) tasks, each
// running the chunk's K-blocks in turn over its tile of C: two pool jobs per chunk instead of two per K-block, and no
// thread waits while another packs (256³: 2 K-blocks, each packed by one thread while the other idled).
// epi: applied by the last K-block's stores (the fused epilogue; the caller passes it only when this call finishes C).
void gemm(int M, int N, int K, const Op& a, const Op& b, float* C, bool accumulate, bool parallel, std::vector<float>& bp,
          int k_begin = 0, int k_end = -1, Epi epi = {}) {
  if (k_end < 0) k_end = K;
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate) std::fill(C, C + (long)M * N, 0.f);
    epi.apply_range(C, 0, (long)M * N, N);
    return;
  }
  const Plan pl = plan();
  const KernDirect direct = a.trans ? pl.cols : pl.rows;  // AVX-512: A is never packed (its rows or columns are read in place)
  const int NR = pl.NR;
  const int Npad = (N + NR - 1) / NR * NR;
  const int nBlocks = (N + NCB - 1) / NCB;
  const int kBlocks = (k_end - k_begin + KC - 1) / KC;
  // Row blocks of A: at most MC rows each; in parallel their count is a multiple of the thread count and the MR-row
  // panels are dealt out evenly (3200 rows on 2 threads: 24 blocks of 22–23 panels, not 22 × 144 + 32 rows, which
  // left one thread a block behind — 8 % of the product idle).
  const int panels = (M + MR - 1) / MR;
  int mBlocks = (M + MC - 1) / MC;
  const int threads = parallel ? pool_threads() : 1;
  if (parallel) {
    mBlocks = (mBlocks + threads - 1) / threads * threads;
    mBlocks = std::min(mBlocks, panels);
  }
  auto rows_of = [&](int ib, int* i0, int* mc) {
    const int pa = (int)((long)ib * panels / mBlocks), pb = (int)((long)(ib + 1) * panels / mBlocks);
    *i0 = pa * MR;
    *mc = std::min(M, pb * MR) - *i0;
  };
  // B is packed a chunk of K-blocks at a time — as many as fit in ~512 KB, so the packed chunk stays in L2 while the
  // tasks read it (packing all of a 1024-deep B first, 4 MB, sent every panel read to L3: 1024³ and the weight
  // gradients lost a fifth). K-block kb of the chunk (kc rows from p0) at Bp + kb·KC·Npad, NR-column panels kc × NR.
  const int chunk = std::max(1, (int)((512L << 10) / ((long)KC * Npad * (long)sizeof(float))));
  bp.resize((size_t)std::min(chunk, kBlocks) * KC * Npad);
  float* Bp = bp.data();
  const int bPanels = Npad / NR;
  const int perGroup = parallel ? std::max(1, bPanels / (2 * threads)) : bPanels;  // ≥ 2 groups per thread per K-block
  const int groups = (bPanels + perGroup - 1) / perGroup;
  for (int kb0 = 0; kb0 < kBlocks; kb0 += chunk) {
    const int kb1 = std::min(kBlocks, kb0 + chunk);
    auto pack = [&](int t) {
      const int kb = kb0 + t / groups, g = t % groups;
      const int p0 = k_begin + kb * KC, kc = std::min(KC, k_end - p0);
      const int j0 = g * perGroup * NR, nc = std::min(perGroup * NR, N - j0);
      if (nc > 0) pack_b(b, p0, kc, j0, nc, NR, Bp + (long)(kb - kb0) * KC * Npad + (long)j0 * kc);
    };
    const int packs = (kb1 - kb0) * groups;
    if (parallel && packs > 1) parallel_for(packs, pack);
    else for (int t = 0; t < packs; t++) pack(t);
    auto task = [&](int t) {
      const int ib = t / nBlocks, jb = t % nBlocks;
      int i0, mc;
      rows_of(ib, &i0, &mc);
      if (mc <= 0) return;
      const int j0 = jb * NCB, nc = std::min(NCB, N - j0);
      for (int kb = kb0; kb < kb1; kb++) {
        const int p0 = k_begin + kb * KC, kc = std::min(KC, k_end - p0);
        const float* Bk = Bp + (long)(kb - kb0) * KC * Npad;
        const bool add = accumulate || kb > 0, last = kb == kBlocks - 1;
        if (direct) {
          // A read in place: its values go from memory to the micro-kernel once, with no packed copy; on the first
          // column panel the next row panel's lines are fetched meanwhile
          const long lda = a.trans ? a.rows : a.cols;
          auto at = [&](int i) { return a.trans ? a.p + (long)p0 * lda + i : a.p + (long)i * lda + p0; };
          for (int jr = 0; jr < nc; jr += NR) {
            const float* bpan = Bk + (long)(j0 + jr) * kc;
            const int cols = std::min(NR, nc - jr);
            for (int ir = 0; ir < mc; ir += MR) {
              if (jr == 0 && ir + MR < mc) {
                if (!a.trans) {
                  for (int r = 0; r < std::min(MR, mc - ir - MR); r++) {
                    const char* nx = (const char*)at(i0 + ir + MR + r);
                    for (int off = 0; off < kc * 4; off += 64) __builtin_prefetch(nx + off, 0, 3);
                  }
                } else if ((ir + MR) % 16 == 0) {
                  for (int k = 0; k < kc; k++) __builtin_prefetch(at(i0 + ir + MR) + (long)k * lda, 0, 3);
                }
              }
              direct(kc, at(i0 + ir), lda, bpan, C + (long)(i0 + ir) * N + j0 + jr, N, std::min(MR, mc - ir), cols, add,
                     last ? epi.at(j0 + jr) : Epi{});
            }
          }
          continue;
        }
        std::vector<float>& ap = tl_a;
        ap.resize((size_t)((mc + MR - 1) / MR * MR) * kc);
        pack_a(a, i0, mc, p0, kc, ap.data());
        for (int jr = 0; jr < nc; jr += NR) {
          const float* bpan = Bk + (long)(j0 + jr) * kc;
          const int cols = std::min(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            pl.kern(kc, ap.data() + (long)ir * kc, bpan, C + (long)(i0 + ir) * N + j0 + jr, N, std::min(MR, mc - ir), cols, add,
                    last ? epi.at(j0 + jr) : Epi{});
          }
        }
      }
    };
    const int tasks = mBlocks * nBlocks;
    if (parallel) parallel_for(tasks, task);
    else for (int t = 0; t < tasks; t++) task(t);
  }
}
}  // namespace

Isa isa() {
  if (!g_isa_init) {
    g_isa = detect();
    g_isa_init = true;
  }
  return g_isa;
}
void set_isa(Isa want) {
  Isa have = detect();
  g_isa = (int)want < (int)have ? want : have;
  g_isa_init = true;
}
const char* isa_name() {
  switch (isa()) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "scalar";
  }
}

void bmm(int batch, int M, int N, int K, const float* A, long strideA, bool transA, const float* B, long strideB,
         bool transB, float* C, bool accumulate, bool relu, const float* bias) {
  const Epi epi{bias, relu};
  const double flops = 2.0 * M * N * K;
  const bool small = flops < 2.0e6;
  if (batch > 1 && small) {
    // many small products (attention): one per task
    parallel_for(batch, [&](int bi) {
      thread_local std::vector<float> bp;
      Op a{A + bi * strideA, M, K, transA}, b{B + bi * strideB, K, N, transB};
      gemm(M, N, K, a, b, C + (long)bi * M * N, accumulate, false, bp, 0, -1, epi);
    });
    return;
  }
  static thread_local std::vector<float> bp;
  constexpr int parts = 4;
  if (batch == 1 && K >= parts * KC && ((M + MC - 1) / MC) * ((N + NCB - 1) / NCB) < parts) {
    // split-K (weight gradients: 128 × 384 over K = B·T = 3200): too few row/column blocks to share, so K is cut into
    // four equal ranges, shared by the threads — the first straight into C, the others into partial products kept per
    // calling thread (allocated once: a fresh 200 KB vector per call was mmap'd and page-faulted every time) — and the
    // partials are added into C, in order, by rows in parallel. The cut and the order do not depend on the thread
    // count, so neither do the results (a run is bit-for-bit the same on 1, 2 or 16 threads).
    const int span = (K + parts - 1) / parts;
    const Op a{A, M, K, transA}, b{B, K, N, transB};
    // the caller's buffers, reached through a reference (naming a thread_local inside the task would give each worker
    // its own): workers fill them while the caller waits
    static thread_local std::vector<std::vector<float>> mine;
    std::vector<std::vector<float>>& partial = mine;
    if ((int)partial.size() < parts) partial.resize(parts);
    parallel_for(parts, [&](int t) {
      thread_local std::vector<float> bpk;
      const int k0 = std::min(K, t * span), k1 = std::min(K, k0 + span);
      if (t == 0) {
        gemm(M, N, K, a, b, C, accumulate, false, bpk, k0, k1);
        return;
      }
      std::vector<float>& pt = partial[t];
      pt.resize((size_t)M * N);
      if (k1 > k0) gemm(M, N, K, a, b, pt.data(), false, false, bpk, k0, k1);
      else std::fill(pt.begin(), pt.end(), 0.f);
    });
    const long total = (long)M * N, chunk = 16384;
    parallel_for((int)((total + chunk - 1) / chunk), [&](int c) {
      const long i0 = c * chunk, i1 = std::min(total, i0 + chunk);
      for (int t = 1; t < parts; t++) {
        const float* pt = partial[t].data();
        for (long i = i0; i < i1; i++) C[i] += pt[i];
      }
      epi.apply_range(C, i0, i1, N);
    });
    return;
  }
  for (int bi = 0; bi < batch; bi++) {
    Op a{A + bi * strideA, M, K, transA}, b{B + bi * strideB, K, N, transB};
    gemm(M, N, K, a, b, C + (long)bi * M * N, accumulate, flops > 2.0e5, bp, 0, -1, epi);
  }
}
}  // namespace fls
