# -ffp-contract=off: the auto-vectoriser keeps a scalar copy of a loop for arrays that sit close in memory; with
# contraction on, GCC fused a*b + c into an FMA in one copy and not the other, so a result depended on where V8 or
# the arena had put the arrays (Adam on small biases differed run to run by an ulp). The hand-written SIMD kernels
# (GEMM, small_mm, exp) call FMA intrinsics explicitly and are unaffected.
{
  "targets": [
    {
      "target_name": "flinkscope_native",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/kernels.cc", "src/pool.cc", "src/smallmm.cc", "src/attention.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O2"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-ffp-contract=off", "-fopenmp-simd", "-Wall", "-Wno-unused-function"],
      "cflags": ["-O3"]
    }
  ]
}
