{
  "targets": [
    {
      "target_name": "flinkscope_native",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/kernels.cc", "src/pool.cc", "src/smallmm.cc", "src/attention.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-O2"],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-fopenmp-simd", "-Wall", "-Wno-unused-function"],
      "cflags": ["-O3"]
    }
  ]
}
