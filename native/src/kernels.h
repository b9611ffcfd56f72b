#pragma once
// Functions compiled for AVX-512, AVX2 and baseline and picked at load time by the CPU (GCC target_clones).
#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CLONES
#endif
namespace fls {
// opcodes shared with src/tensor/backends/native.ts
enum Unary { NEG = 0, EXP, LOG, SQRT, RELU, GELU, TANH, SIGMOID, ABS, RECIP };
enum Binary { ADD = 0, SUB, MUL, DIV, MAX, POW, RELU_GRAD };
void unary(int op, const float* x, float* out, long n);
void binary(int op, const float* a, const float* b, float* out, long n);
void softmax_rows(const float* x, float* out, long rows, long cols);
// out[r] = Σ_j x[r][j], accumulated in double
void sum_rows(const float* x, float* out, long rows, long cols);
// out[o][i] = Σ_r x[o][r][i] over the middle axis of an (outer, R, inner) array, accumulated in double
void sum_mid(const float* x, float* out, long outer, long R, long inner);
void softmax_rows_backward(const float* y, const float* dy, float* dx, long rows, long cols);
// res (optional, rows × cols): normalise x + res
void layernorm_rows(const float* x, float* out, float* mean, float* rstd, long rows, long cols, float eps, const float* res = nullptr);
void layernorm_rows_backward(const float* xhat, const float* rstd, const float* dy, float* dx, long rows, long cols);
// Row softmax pieces shared with attention.cc: Σ exp(x − mx) written to o (the variant for this CPU), one row.
using ExpSum = float (*)(const float* x, float* o, long n, float mx);
ExpSum pick_exp_sum();
void softmax_row(const float* xr, float* o, long cols, ExpSum exp_sum);
// rows × n softmax of rows with strides ldx (in) and ldo (out); n ≤ 16 runs several rows at once on AVX-512
void softmax_rows_short(const float* x, long ldx, float* o, long ldo, int rows, int n, ExpSum exp_sum);
void gather_strided(const float* x, long offset, const long* shape, const long* strides, int nd, float* out);
// out[t·C + c] = ((double) x[t·C + c] − center[c]) / scale[c], rounded to float: per-column scaling, computed as
// JavaScript computes it (in double), so either backend gives the same floats. n a multiple of C.
void scale_columns(const float* x, long n, const float* center, const float* scale, long C, float* out);
// Whether every value is finite (no NaN, no ±Infinity).
bool all_finite(const float* x, long n);
// A strided (B, H, rows, dh) operand: element (b, h, t, d) at p + b·sb + h·sh + t·st + d.
struct AttnView {
  const float* p;
  long sb, sh, st;
};
void attention_forward(int B, int H, int T, int S, int dh, AttnView q, AttnView k, AttnView v, const float* mask, float scale,
                       float* out, float* probs);
// An output (B, H, rows, dh) view: element (b, h, t, d) at p + b·sb + h·sh + t·st + d; p null = not wanted.
struct AttnOut {
  float* p;
  long sb, sh, st;
};
// Gradients of attention_forward from its probabilities and the output gradient g (a strided (B, H, T, dh) view),
// written through the views dq (B, H, T, dh), dk and dv (B, H, S, dh).
// mask (T × S, optional): the forward's; a band mask lets the backward skip the keys outside each row's band.
void attention_backward(int B, int H, int T, int S, int dh, AttnView q, AttnView k, AttnView v, AttnView g, const float* probs,
                        float scale, AttnOut dq, AttnOut dk, AttnOut dv, const float* mask = nullptr);
void adam_step(float* p, const float* g, float* m, float* v, long n, float lr, float b1, float b2, float eps, float wd, int step);
}  // namespace fls
