// N-API surface of the native backend: thin wrappers that check array types and sizes (a wrong call throws a JS
// error instead of touching memory it does not own) and call the kernels on the caller's Float32Arrays, no copies.
#include <napi.h>
#include <cstdlib>
#include <string>
#include <thread>
#include "gemm.h"
#include "kernels.h"
#include "pool.h"

using namespace Napi;

namespace {
bool fail(const Env& env, const std::string& msg) {
  Error::New(env, "native backend: " + msg).ThrowAsJavaScriptException();
  return false;
}

bool f32(const CallbackInfo& info, size_t i, float** p, size_t* n) {
  if (!info[i].IsTypedArray() || info[i].As<TypedArray>().TypedArrayType() != napi_float32_array)
    return fail(info.Env(), "argument " + std::to_string(i) + " must be a Float32Array");
  auto a = info[i].As<Float32Array>();
  *p = a.Data();
  *n = a.ElementLength();
  return true;
}

long num(const CallbackInfo& info, size_t i) { return (long)info[i].As<Number>().Int64Value(); }

bool opt_f32(const CallbackInfo& info, size_t i, size_t need, const char* what, float** out);

Value Bmm(const CallbackInfo& info) {
  Env env = info.Env();
  if (info.Length() < 12) return (fail(env, "bmm takes 12 arguments"), env.Undefined());
  long batch = num(info, 0), M = num(info, 1), N = num(info, 2), K = num(info, 3);
  float *A, *B, *C;
  size_t nA, nB, nC;
  if (!f32(info, 4, &A, &nA) || !f32(info, 7, &B, &nB) || !f32(info, 10, &C, &nC)) return env.Undefined();
  long sA = num(info, 5), sB = num(info, 8);
  bool tA = info[6].As<Boolean>(), tB = info[9].As<Boolean>(), acc = info[11].As<Boolean>();
  if (batch < 0 || M < 0 || N < 0 || K < 0 || sA < 0 || sB < 0) return (fail(env, "bmm: negative size"), env.Undefined());
  if (batch > 0 && ((size_t)((batch - 1) * sA + M * K) > nA || (size_t)((batch - 1) * sB + K * N) > nB || (size_t)(batch * M * N) > nC))
    return (fail(env, "bmm: an array is too short for the given sizes"), env.Undefined());
  // optional fused epilogue: relu (boolean), bias (N floats added to every row, before the relu)
  const bool relu = info.Length() > 12 && info[12].IsBoolean() && info[12].As<Boolean>();
  float* bias = nullptr;
  if (info.Length() > 13 && !opt_f32(info, 13, (size_t)N, "bmm: bias (N)", &bias)) return env.Undefined();
  fls::bmm((int)batch, (int)M, (int)N, (int)K, A, sA, tA, B, sB, tB, C, acc, relu, bias);
  return env.Undefined();
}

Value Unary(const CallbackInfo& info) {
  float *x, *o;
  size_t nx, no;
  if (!f32(info, 1, &x, &nx) || !f32(info, 2, &o, &no)) return info.Env().Undefined();
  if (no < nx) return (fail(info.Env(), "unary: output shorter than input"), info.Env().Undefined());
  fls::unary((int)num(info, 0), x, o, (long)nx);
  return info.Env().Undefined();
}

Value Binary(const CallbackInfo& info) {
  float *a, *b, *o;
  size_t na, nb, no;
  if (!f32(info, 1, &a, &na) || !f32(info, 2, &b, &nb) || !f32(info, 3, &o, &no)) return info.Env().Undefined();
  if (na < no || nb < no) return (fail(info.Env(), "binary: inputs shorter than the output"), info.Env().Undefined());
  fls::binary((int)num(info, 0), a, b, o, (long)no);
  return info.Env().Undefined();
}

Value Softmax(const CallbackInfo& info) {
  float *x, *o;
  size_t nx, no;
  if (!f32(info, 0, &x, &nx) || !f32(info, 1, &o, &no)) return info.Env().Undefined();
  long rows = num(info, 2), cols = num(info, 3);
  if ((size_t)(rows * cols) > nx || (size_t)(rows * cols) > no) return (fail(info.Env(), "softmaxRows: arrays too short"), info.Env().Undefined());
  fls::softmax_rows(x, o, rows, cols);
  return info.Env().Undefined();
}

// sumRows(x, out, rows, cols): out[r] = Σ_j x[r·cols + j] (double accumulation)
Value SumRows(const CallbackInfo& info) {
  float *x, *o;
  size_t nx, no;
  if (!f32(info, 0, &x, &nx) || !f32(info, 1, &o, &no)) return info.Env().Undefined();
  long rows = num(info, 2), cols = num(info, 3);
  if (rows < 0 || cols < 0) return (fail(info.Env(), "sumRows: negative size"), info.Env().Undefined());
  if ((size_t)(rows * cols) > nx || (size_t)rows > no) return (fail(info.Env(), "sumRows: arrays too short"), info.Env().Undefined());
  fls::sum_rows(x, o, rows, cols);
  return info.Env().Undefined();
}

// sumMid(x, out, outer, R, inner): out[o·inner + i] = Σ_r x[(o·R + r)·inner + i] (double accumulation)
Value SumMid(const CallbackInfo& info) {
  float *x, *o;
  size_t nx, no;
  if (!f32(info, 0, &x, &nx) || !f32(info, 1, &o, &no)) return info.Env().Undefined();
  long outer = num(info, 2), R = num(info, 3), inner = num(info, 4);
  if (outer < 0 || R < 0 || inner < 0) return (fail(info.Env(), "sumMid: negative size"), info.Env().Undefined());
  if ((size_t)(outer * R * inner) > nx || (size_t)(outer * inner) > no) return (fail(info.Env(), "sumMid: arrays too short"), info.Env().Undefined());
  fls::sum_mid(x, o, outer, R, inner);
  return info.Env().Undefined();
}

Value SoftmaxBack(const CallbackInfo& info) {
  float *y, *dy, *dx;
  size_t a, b, c;
  if (!f32(info, 0, &y, &a) || !f32(info, 1, &dy, &b) || !f32(info, 2, &dx, &c)) return info.Env().Undefined();
  long rows = num(info, 3), cols = num(info, 4);
  size_t n = (size_t)(rows * cols);
  if (n > a || n > b || n > c) return (fail(info.Env(), "softmaxRowsBackward: arrays too short"), info.Env().Undefined());
  fls::softmax_rows_backward(y, dy, dx, rows, cols);
  return info.Env().Undefined();
}

// layerNormRows(x, out, mean, rstd, rows, cols, eps[, residual]): normalises each row of x (+ residual)
Value LayerNorm(const CallbackInfo& info) {
  float *x, *o, *m, *r;
  size_t a, b, c, d;
  if (!f32(info, 0, &x, &a) || !f32(info, 1, &o, &b) || !f32(info, 2, &m, &c) || !f32(info, 3, &r, &d)) return info.Env().Undefined();
  long rows = num(info, 4), cols = num(info, 5);
  size_t n = (size_t)(rows * cols);
  if (n > a || n > b || (size_t)rows > c || (size_t)rows > d) return (fail(info.Env(), "layerNormRows: arrays too short"), info.Env().Undefined());
  float* res = nullptr;  // optional 8th argument: a residual added to x before the norm
  if (info.Length() > 7 && !opt_f32(info, 7, n, "layerNormRows: residual", &res)) return info.Env().Undefined();
  fls::layernorm_rows(x, o, m, r, rows, cols, info[6].As<Number>().FloatValue(), res);
  return info.Env().Undefined();
}

Value LayerNormBack(const CallbackInfo& info) {
  float *xh, *rs, *dy, *dx;
  size_t a, b, c, d;
  if (!f32(info, 0, &xh, &a) || !f32(info, 1, &rs, &b) || !f32(info, 2, &dy, &c) || !f32(info, 3, &dx, &d)) return info.Env().Undefined();
  long rows = num(info, 4), cols = num(info, 5);
  size_t n = (size_t)(rows * cols);
  if (n > a || (size_t)rows > b || n > c || n > d) return (fail(info.Env(), "layerNormRowsBackward: arrays too short"), info.Env().Undefined());
  fls::layernorm_rows_backward(xh, rs, dy, dx, rows, cols);
  return info.Env().Undefined();
}

Value Adam(const CallbackInfo& info) {
  float *p, *g, *m, *v;
  size_t a, b, c, d;
  if (!f32(info, 0, &p, &a) || !f32(info, 1, &g, &b) || !f32(info, 2, &m, &c) || !f32(info, 3, &v, &d)) return info.Env().Undefined();
  if (b < a || c < a || d < a) return (fail(info.Env(), "adamStep: gradient or moments shorter than the parameter"), info.Env().Undefined());
  auto f = [&](size_t i) { return info[i].As<Number>().FloatValue(); };
  fls::adam_step(p, g, m, v, (long)a, f(4), f(5), f(6), f(7), f(8), (int)num(info, 9));
  return info.Env().Undefined();
}

// gather(x, offset, shape[], strides[], out): out = the row-major values of the strided view (strides ≥ 0, ≤ 8 dims)
Value Gather(const CallbackInfo& info) {
  Env env = info.Env();
  float *x, *o;
  size_t nx, no;
  if (!f32(info, 0, &x, &nx) || !f32(info, 4, &o, &no)) return env.Undefined();
  if (!info[2].IsArray() || !info[3].IsArray()) return (fail(env, "gather: shape and strides must be arrays"), env.Undefined());
  auto sh = info[2].As<Array>(), st = info[3].As<Array>();
  int nd = (int)sh.Length();
  if (nd > 8 || (int)st.Length() != nd) return (fail(env, "gather: at most 8 dimensions, one stride each"), env.Undefined());
  long shape[8], strides[8], offset = num(info, 1), size = 1, last = offset;
  for (int k = 0; k < nd; k++) {
    shape[k] = (long)sh.Get(k).As<Number>().Int64Value();
    strides[k] = (long)st.Get(k).As<Number>().Int64Value();
    if (shape[k] < 0 || strides[k] < 0) return (fail(env, "gather: negative size or stride"), env.Undefined());
    size *= shape[k];
    if (shape[k] > 0) last += (shape[k] - 1) * strides[k];
  }
  if (size == 0) return env.Undefined();
  if (offset < 0 || (size_t)last >= nx || (size_t)size > no) return (fail(env, "gather: the view reaches outside its storage or the output is too short"), env.Undefined());
  fls::gather_strided(x, offset, shape, strides, nd, o);
  return env.Undefined();
}

// scaleColumns(x, center, scale, out, at): out[at + i] = (x[i] − center[i mod C]) / scale[i mod C], C = center's length
Value ScaleColumns(const CallbackInfo& info) {
  Env env = info.Env();
  float *x, *c, *s, *o;
  size_t nx, nc, ns, no;
  if (!f32(info, 0, &x, &nx) || !f32(info, 1, &c, &nc) || !f32(info, 2, &s, &ns) || !f32(info, 3, &o, &no)) return env.Undefined();
  long at = num(info, 4);
  if (nc == 0 || ns != nc || nx % nc != 0) return (fail(env, "scaleColumns: center and scale need one value per column, x whole rows"), env.Undefined());
  if (at < 0 || (size_t)at + nx > no) return (fail(env, "scaleColumns: the output is too short"), env.Undefined());
  fls::scale_columns(x, (long)nx, c, s, (long)nc, o + at);
  return env.Undefined();
}

// allFinite(x): no NaN and no ±Infinity in x
Value AllFinite(const CallbackInfo& info) {
  float* x;
  size_t n;
  if (!f32(info, 0, &x, &n)) return info.Env().Undefined();
  return Boolean::New(info.Env(), fls::all_finite(x, (long)n));
}

// One strided (B, H, rows, dh) operand from five arguments at `a`: (array, offset, sb, sh, st); checked to lie inside
// its storage.
bool attn_view(const CallbackInfo& info, size_t a, long B, long H, long rows, long dh, const char* what, fls::AttnView* out) {
  Env env = info.Env();
  float* p;
  size_t n;
  if (!f32(info, a, &p, &n)) return false;
  long off = num(info, a + 1), sb = num(info, a + 2), sh = num(info, a + 3), st = num(info, a + 4);
  if (off < 0 || sb < 0 || sh < 0 || st < 0) return fail(env, std::string(what) + ": negative offset or stride");
  if (B > 0 && H > 0 && rows > 0 && dh > 0 && (size_t)(off + (B - 1) * sb + (H - 1) * sh + (rows - 1) * st + dh) > n)
    return fail(env, std::string(what) + ": a view reaches outside its storage");
  *out = {p + off, sb, sh, st};
  return true;
}

// An optional Float32Array argument of at least `need` elements (null/undefined → nullptr).
bool opt_f32(const CallbackInfo& info, size_t i, size_t need, const char* what, float** out) {
  *out = nullptr;
  if (info[i].IsNull() || info[i].IsUndefined()) return true;
  size_t n;
  if (!f32(info, i, out, &n)) return false;
  if (n < need) return fail(info.Env(), std::string(what) + " is too short");
  return true;
}

// attention(B, H, T, S, dh, q, qOff, qsb, qsh, qst, k, kOff, ksb, ksh, kst, v, vOff, vsb, vsh, vst, mask|null, scale,
//           out, probs|null): fused attention forward (see kernels.cc); out (B, T, H, dh), probs (B, H, T, S).
Value Attention(const CallbackInfo& info) {
  Env env = info.Env();
  if (info.Length() < 24) return (fail(env, "attention takes 24 arguments"), env.Undefined());
  long B = num(info, 0), H = num(info, 1), T = num(info, 2), S = num(info, 3), dh = num(info, 4);
  if (B < 0 || H < 0 || T < 0 || S < 0 || dh < 0) return (fail(env, "attention: negative size"), env.Undefined());
  fls::AttnView views[3];
  const long rows[3] = {T, S, S};
  for (int i = 0; i < 3; i++)
    if (!attn_view(info, 5 + 5 * i, B, H, rows[i], dh, "attention", &views[i])) return env.Undefined();
  float *mask, *out, *probs;
  if (!opt_f32(info, 20, (size_t)(T * S), "attention: mask (T·S)", &mask)) return env.Undefined();
  const float scale = (float)info[21].As<Number>().DoubleValue();
  if (info[22].IsNull() || info[22].IsUndefined()) return (fail(env, "attention: output missing"), env.Undefined());
  if (!opt_f32(info, 22, (size_t)(B * T * H * dh), "attention: output (B·T·H·dh)", &out)) return env.Undefined();
  if (!opt_f32(info, 23, (size_t)(B * H * T * S), "attention: probs (B·H·T·S)", &probs)) return env.Undefined();
  if (B * H > 0) fls::attention_forward((int)B, (int)H, (int)T, (int)S, (int)dh, views[0], views[1], views[2], mask, scale, out, probs);
  return env.Undefined();
}

// attentionBackward(B, H, T, S, dh, q(5), k(5), v(5), g(5), probs, scale, dq(5), dk(5), dv(5)): gradients of attention
// from its probabilities (B, H, T, S) and the output gradient g (a (B, H, T, dh) view), written through the output
// views dq (B, H, T, dh), dk and dv (B, H, S, dh), each (array|null, offset, sb, sh, st).
Value AttentionBackward(const CallbackInfo& info) {
  Env env = info.Env();
  if (info.Length() < 42) return (fail(env, "attentionBackward takes 42 arguments"), env.Undefined());
  long B = num(info, 0), H = num(info, 1), T = num(info, 2), S = num(info, 3), dh = num(info, 4);
  if (B < 0 || H < 0 || T < 0 || S < 0 || dh < 0) return (fail(env, "attentionBackward: negative size"), env.Undefined());
  fls::AttnView views[4];
  const long rows[4] = {T, S, S, T};
  for (int i = 0; i < 4; i++)
    if (!attn_view(info, 5 + 5 * i, B, H, rows[i], dh, "attentionBackward", &views[i])) return env.Undefined();
  float* probs;
  if (info[25].IsNull() || info[25].IsUndefined()) return (fail(env, "attentionBackward: probs missing"), env.Undefined());
  if (!opt_f32(info, 25, (size_t)(B * H * T * S), "attentionBackward: probs (B·H·T·S)", &probs)) return env.Undefined();
  const float scale = (float)info[26].As<Number>().DoubleValue();
  fls::AttnOut outs[3];
  const long orows[3] = {T, S, S};
  for (int i = 0; i < 3; i++) {
    const size_t a = 27 + 5 * i;
    outs[i] = {nullptr, 0, 0, 0};
    if (info[a].IsNull() || info[a].IsUndefined()) continue;
    fls::AttnView o;  // the same bounds check as an input view
    if (!attn_view(info, a, B, H, orows[i], dh, "attentionBackward (output)", &o)) return env.Undefined();
    outs[i] = {const_cast<float*>(o.p), o.sb, o.sh, o.st};
  }
  float* mask = nullptr;  // optional 43rd argument: the forward's (T × S) mask
  if (info.Length() > 42 && !opt_f32(info, 42, (size_t)(T * S), "attentionBackward: mask (T·S)", &mask)) return env.Undefined();
  if (B * H > 0)
    fls::attention_backward((int)B, (int)H, (int)T, (int)S, (int)dh, views[0], views[1], views[2], views[3], probs, scale, outs[0], outs[1],
                            outs[2], mask);
  return env.Undefined();
}

Value Info(const CallbackInfo& info) {
  Object o = Object::New(info.Env());
  o.Set("simd", fls::isa_name());
  o.Set("threads", fls::pool_threads());
  return o;
}

Object Init(Env env, Object exports) {
  const char* simd = std::getenv("FLINKSCOPE_SIMD");
  if (simd) {
    std::string s(simd);
    fls::set_isa(s == "scalar" ? fls::Isa::Scalar : s == "avx2" ? fls::Isa::Avx2 : fls::Isa::Avx512);
  }
  const char* th = std::getenv("FLINKSCOPE_THREADS");
  int threads = th ? std::atoi(th) : (int)std::thread::hardware_concurrency();
  fls::pool_init(threads > 0 ? threads : 1);
  exports.Set("bmm", Function::New(env, Bmm));
  exports.Set("attention", Function::New(env, Attention));
  exports.Set("attentionBackward", Function::New(env, AttentionBackward));
  exports.Set("unary", Function::New(env, Unary));
  exports.Set("binary", Function::New(env, Binary));
  exports.Set("softmaxRows", Function::New(env, Softmax));
  exports.Set("sumRows", Function::New(env, SumRows));
  exports.Set("sumMid", Function::New(env, SumMid));
  exports.Set("softmaxRowsBackward", Function::New(env, SoftmaxBack));
  exports.Set("layerNormRows", Function::New(env, LayerNorm));
  exports.Set("layerNormRowsBackward", Function::New(env, LayerNormBack));
  exports.Set("adamStep", Function::New(env, Adam));
  exports.Set("gather", Function::New(env, Gather));
  exports.Set("scaleColumns", Function::New(env, ScaleColumns));
  exports.Set("allFinite", Function::New(env, AllFinite));
  exports.Set("info", Function::New(env, Info));
  return exports;
}
}  // namespace

NODE_API_MODULE(flinkscope_native, Init)
