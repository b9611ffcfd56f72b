// Fused multi-head attention, forward and backward, one task per (batch, head) on the pool. Every product is small_mm
// (smallmm.cc), which reads its left operand through a row and a step stride and its right operand and output through
// a row stride — so q, k, v and the output gradient are read in place through the head-split views of a (B, T, H·dh)
// projection, pᵀ and dsᵀ are read without transposing, and outputs are written through strided views too (the
// forward's in (B, T, H, dh) order, so the head merge is a free view; gradients wherever the caller wants them, e.g.
// straight into the gradient of a packed (B, T, 3·H·dh) projection). Only kᵀ / vᵀ (padded to 16 columns), the scores
// and ds live in per-thread scratch; when dh is not a multiple of 16 the per-head operands are copied into zero-padded
// scratch first. Query rows are taken in blocks; with a band mask each block covers only the keys its band reaches.
//   forward:  s = scale · q kᵀ (+ mask), p = softmax(s), out = p v
//   backward: dv = pᵀ g, dp = g vᵀ, ds = scale · p ⊙ (dp − rowsum(dp ⊙ p)), dq = ds k, dk = dsᵀ q
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>
#include "kernels.h"
#include "pool.h"
#include "smallmm.h"

namespace fls {
namespace {
struct Scratch {
  std::vector<float> xT, s, ds, q, k, v, g, o;  // only xT, s and ds when dh is a multiple of 16
  std::vector<float> acc, tmp;                   // banded backward: dk and dv accumulators, one block's product
};

constexpr int up16(int n) { return (n + 15) / 16 * 16; }

// rows (n × dh, row stride xt) as a small_mm operand with Dp columns: in place when dh = Dp, else a padded copy
const float* operand(const float* x, long xt, int n, int dh, int Dp, std::vector<float>& buf, long* ld) {
  if (dh == Dp) {
    *ld = xt;
    return x;
  }
  buf.assign((size_t)n * Dp, 0.f);
  for (int i = 0; i < n; i++) std::memcpy(buf.data() + (long)i * Dp, x + i * xt, sizeof(float) * dh);
  *ld = Dp;
  return buf.data();
}

// f · xᵀ (dh × Sp, zero-padded columns) of rows (S × dh, row stride xt)
CLONES const float* transposed(const float* x, long xt, int S, int dh, int Sp, std::vector<float>& buf, float f = 1.f) {
  buf.assign((size_t)dh * Sp, 0.f);
  float* t = buf.data();
  // written row by row (the S rows of x, a few KB, stay in L1 while they are read down their columns)
  for (int d = 0; d < dh; d++) {
    float* td = t + (long)d * Sp;
    for (int j = 0; j < S; j++) td[j] = f * x[j * xt + d];
  }
  return t;
}

// C (M × dh) = a · B into out (row stride ot): straight into out when dh = Dp, else through scratch
template <typename F>
void product_into(float* out, long ot, int M, int dh, int Dp, std::vector<float>& o, F product) {
  if (dh == Dp) return product(out, ot);
  o.resize((size_t)M * Dp);
  product(o.data(), (long)Dp);
  for (int i = 0; i < M; i++) std::memcpy(out + i * ot, o.data() + (long)i * Dp, sizeof(float) * dh);
}

// The keys a row of the mask lets through: [lo, hi] around its finite entries (a band mask: a few columns), computed
// once per call. Empty when the mask is absent, or when some row masks every key (then the plain path keeps its
// semantics).
struct Band {
  std::vector<int> lo, hi;
  bool on = false;
};
Band mask_band(const float* mask, int T, int S) {
  Band b;
  if (!mask) return b;
  b.lo.resize(T);
  b.hi.resize(T);
  long kept = 0;
  for (int i = 0; i < T; i++) {
    const float* mr = mask + (long)i * S;
    int lo = 0, hi = S - 1;
    while (lo < S && mr[lo] == -INFINITY) lo++;
    while (hi >= lo && mr[hi] == -INFINITY) hi--;
    if (lo > hi) return Band{};  // a fully masked row
    b.lo[i] = lo;
    b.hi[i] = hi;
    kept += hi - lo + 1;
  }
  b.on = kept * 2 < (long)T * S;  // worth it only when most keys are masked
  return b;
}

CLONES void head_forward(const float* q, long qt, const float* k, long kt, const float* v, long vt, const float* mask, const Band& band,
                         float scale, float* out, long ot, float* probs, int T, int S, int dh, Scratch& w, SmallMM mm, ExpSum exp_sum) {
  const int Sp = up16(S), Dp = up16(dh);
  long lv;
  // kᵀ with 16 spare zero columns: a banded block reads up to 15 columns past its last key
  const float* KT = transposed(k, kt, S, dh, Sp + 16, w.xT, scale);  // the scale rides on the transpose
  const float* V = operand(v, vt, S, dh, Dp, w.v, &lv);
  // Blocks of query rows: scores, softmax and p v of RB rows at a time, so the block's scores and probabilities stay in
  // L1 next to kᵀ and v (a whole head's scores and probabilities, 2 × T × S floats, overflowed it at T = S = 100). With a
  // band mask, blocks of 6 rows and only the keys their band reaches (a local view: 7 of 64 keys — the rest would be
  // exp(−∞) = 0): scores, exp and p·v shrink with the band.
  const int RB = band.on ? 6 : 24;
  w.s.resize((size_t)RB * (Sp + 16));
  float* Sc = w.s.data();
  for (int i0 = 0; i0 < T; i0 += RB) {
    const int rb = std::min(RB, T - i0);
    int c0 = 0, c1 = S - 1;  // the block's keys
    if (band.on) {
      c0 = *std::min_element(band.lo.begin() + i0, band.lo.begin() + i0 + rb);
      c1 = *std::max_element(band.hi.begin() + i0, band.hi.begin() + i0 + rb);
    }
    const int nk = c1 - c0 + 1, nkp = up16(nk);
    mm(q + i0 * qt, qt, 1, KT + c0, Sp + 16, dh, Sc, nkp, rb, nkp);  // (rb, nkp) = scale · q kᵀ over the block's keys
    // probabilities straight into probs when they are wanted (then p v reads them there), else in place
    const long lp = probs ? S : nkp;
    float* P = probs ? probs + (long)i0 * S + c0 : Sc;
    for (int i = 0; i < rb; i++) {
      float* si = Sc + (long)i * nkp;
      if (mask) {
        const float* mr = mask + (long)(i0 + i) * S + c0;
        for (int j = 0; j < nk; j++) si[j] += mr[j];
      }
      if (probs && nk < S) {  // keys outside the block's range: probability 0
        float* pr = probs + (long)(i0 + i) * S;
        std::fill(pr, pr + c0, 0.f);
        std::fill(pr + c1 + 1, pr + S, 0.f);
      }
    }
    softmax_rows_short(Sc, nkp, P, lp, rb, nk, exp_sum);
    // out (rb, dh) = p v over the block's keys (the padded columns of the scores are never read)
    product_into(out + i0 * ot, ot, rb, dh, Dp, w.o, [&](float* C, long ldc) { mm(P, lp, 1, V + c0 * lv, lv, nk, C, ldc, rb, Dp); });
  }
}

// ds = scale · p ⊙ (dp − rowsum(dp ⊙ p)) in place over rows × n (dp rows with stride ldd, p rows with stride ldp)
CLONES void ds_rows(float* dp, long ldd, const float* p, long ldp, int rows, int n, float scale) {
  for (int i = 0; i < rows; i++) {
    float* di = dp + (long)i * ldd;
    const float* pi = p + (long)i * ldp;
    float dot = 0.f;
#pragma omp simd reduction(+ : dot)
    for (int j = 0; j < n; j++) dot += di[j] * pi[j];
    for (int j = 0; j < n; j++) di[j] = scale * pi[j] * (di[j] - dot);
  }
}

// rows (n × Dp) of a into out (n × dh, row stride ot)
void store_rows(const float* a, int n, int dh, int Dp, float* out, long ot) {
  for (int i = 0; i < n; i++) std::memcpy(out + i * ot, a + (long)i * Dp, sizeof(float) * dh);
}
// acc (n × Dp) += t (n × Dp)
CLONES void add_rows(float* acc, const float* t, long n) {
  for (long i = 0; i < n; i++) acc[i] += t[i];
}

// The backward with a band mask: blocks of 6 query rows and only the keys their band reaches, as in the forward.
// dq is written block by block; dk and dv gather the blocks' products over their keys in accumulators.
CLONES void head_backward_band(const float* q, long qt, const float* k, long kt, const float* v, long vt, const float* g, long gt,
                               const float* p, const Band& band, float scale, float* dq, long dqt, float* dk, long dkt, float* dv, long dvt,
                               int T, int S, int dh, Scratch& w, SmallMM mm) {
  const int Sp = up16(S), Dp = up16(dh);
  constexpr int RB = 6;
  long lg = 0, lq = 0, lk = 0;
  const float* G = dv ? operand(g, gt, T, dh, Dp, w.g, &lg) : nullptr;
  const float* Q = dk ? operand(q, qt, T, dh, Dp, w.q, &lq) : nullptr;
  const float* K = dq ? operand(k, kt, S, dh, Dp, w.k, &lk) : nullptr;
  const float* VT = dq || dk ? transposed(v, vt, S, dh, Sp + 16, w.xT) : nullptr;
  w.acc.assign((size_t)2 * S * Dp, 0.f);
  float* DK = w.acc.data();
  float* DV = DK + (long)S * Dp;
  w.tmp.resize((size_t)S * Dp);
  float* tmp = w.tmp.data();
  w.ds.resize((size_t)RB * (Sp + 16));
  float* DS = w.ds.data();
  for (int i0 = 0; i0 < T; i0 += RB) {
    const int rb = std::min(RB, T - i0);
    const int c0 = *std::min_element(band.lo.begin() + i0, band.lo.begin() + i0 + rb);
    const int c1 = *std::max_element(band.hi.begin() + i0, band.hi.begin() + i0 + rb);
    const int nk = c1 - c0 + 1, nkp = up16(nk);
    const float* pb = p + (long)i0 * S + c0;  // the block's probabilities over its keys, row stride S
    if (dv) {  // dv[c0 ..] += p_bᵀ g_b: a(j, i) = p[i][c0 + j]
      mm(pb, 1, S, G + i0 * lg, lg, rb, tmp, Dp, nk, Dp);
      add_rows(DV + (long)c0 * Dp, tmp, (long)nk * Dp);
    }
    if (!dq && !dk) continue;
    mm(g + i0 * gt, gt, 1, VT + c0, Sp + 16, dh, DS, nkp, rb, nkp);  // dp (rb, nkp) = g vᵀ over the keys, then ds in place
    ds_rows(DS, nkp, pb, S, rb, nk, scale);
    if (dq)  // dq_b (rb, dh) = ds_b k[c0 ..]
      product_into(dq + i0 * dqt, dqt, rb, dh, Dp, w.o, [&](float* C, long ldc) { mm(DS, nkp, 1, K + c0 * lk, lk, nk, C, ldc, rb, Dp); });
    if (dk) {  // dk[c0 ..] += ds_bᵀ q_b: a(j, i) = ds[i][j]
      mm(DS, 1, nkp, Q + i0 * lq, lq, rb, tmp, Dp, nk, Dp);
      add_rows(DK + (long)c0 * Dp, tmp, (long)nk * Dp);
    }
  }
  if (dk) store_rows(DK, S, dh, Dp, dk, dkt);
  if (dv) store_rows(DV, S, dh, Dp, dv, dvt);
}

CLONES void head_backward(const float* q, long qt, const float* k, long kt, const float* v, long vt, const float* g, long gt, const float* p,
                          float scale, float* dq, long dqt, float* dk, long dkt, float* dv, long dvt, int T, int S, int dh, Scratch& w,
                          SmallMM mm) {
  const int Sp = up16(S), Dp = up16(dh);
  long lg, lq, lk;
  if (dv) {  // dv (S, dh) = pᵀ g: a(j, i) = p[i][j]
    const float* G = operand(g, gt, T, dh, Dp, w.g, &lg);
    product_into(dv, dvt, S, dh, Dp, w.o, [&](float* C, long ldc) { mm(p, 1, S, G, lg, T, C, ldc, S, Dp); });
  }
  if (!dq && !dk) return;
  const float* VT = transposed(v, vt, S, dh, Sp, w.xT);
  w.ds.resize((size_t)T * Sp);
  float* DS = w.ds.data();
  mm(g, gt, 1, VT, Sp, dh, DS, Sp, T, Sp);  // dp (T, Sp) = g vᵀ, then ds in place
  ds_rows(DS, Sp, p, S, T, S, scale);
  if (dq) {  // dq (T, dh) = ds k
    const float* K = operand(k, kt, S, dh, Dp, w.k, &lk);
    product_into(dq, dqt, T, dh, Dp, w.o, [&](float* C, long ldc) { mm(DS, Sp, 1, K, lk, S, C, ldc, T, Dp); });
  }
  if (dk) {  // dk (S, dh) = dsᵀ q: a(j, i) = ds[i][j]
    const float* Q = operand(q, qt, T, dh, Dp, w.q, &lq);
    product_into(dk, dkt, S, dh, Dp, w.o, [&](float* C, long ldc) { mm(DS, 1, Sp, Q, lq, T, C, ldc, S, Dp); });
  }
}
}  // namespace

void attention_forward(int B, int H, int T, int S, int dh, AttnView q, AttnView k, AttnView v, const float* mask, float scale,
                       float* out, float* probs) {
  static const ExpSum exp_sum = pick_exp_sum();
  static const SmallMM mm = pick_small_mm();
  const Band band = mask_band(mask, T, S);
  parallel_for(B * H, [&](int task) {
    const int b = task / H, h = task % H;
    thread_local Scratch w;
    head_forward(q.p + b * q.sb + h * q.sh, q.st, k.p + b * k.sb + h * k.sh, k.st, v.p + b * v.sb + h * v.sh, v.st, mask, band, scale,
                 out + ((long)b * T * H + h) * dh, (long)H * dh, probs ? probs + ((long)b * H + h) * T * S : nullptr, T, S, dh, w, mm,
                 exp_sum);
  });
}

void attention_backward(int B, int H, int T, int S, int dh, AttnView q, AttnView k, AttnView v, AttnView g, const float* probs,
                        float scale, AttnOut dq, AttnOut dk, AttnOut dv, const float* mask) {
  static const SmallMM mm = pick_small_mm();
  const Band band = mask_band(mask, T, S);
  parallel_for(B * H, [&](int task) {
    const int b = task / H, h = task % H;
    thread_local Scratch w;
    auto at = [&](const AttnOut& o) { return o.p ? o.p + b * o.sb + h * o.sh : nullptr; };
    if (band.on) {
      head_backward_band(q.p + b * q.sb + h * q.sh, q.st, k.p + b * k.sb + h * k.sh, k.st, v.p + b * v.sb + h * v.sh, v.st,
                         g.p + b * g.sb + h * g.sh, g.st, probs + ((long)b * H + h) * T * S, band, scale, at(dq), dq.st, at(dk), dk.st,
                         at(dv), dv.st, T, S, dh, w, mm);
      return;
    }
    head_backward(q.p + b * q.sb + h * q.sh, q.st, k.p + b * k.sb + h * k.sh, k.st, v.p + b * v.sb + h * v.sh, v.st,
                  g.p + b * g.sb + h * g.sh, g.st, probs + ((long)b * H + h) * T * S, scale, at(dq), dq.st, at(dk), dk.st, at(dv), dv.st,
                  T, S, dh, w, mm);
  });
}
}  // namespace fls
