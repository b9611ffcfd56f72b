// A persistent thread pool: parallel_for(n, fn) runs fn(i) for i in [0, n) on all workers and the caller.
#pragma once
#include <functional>

namespace fls {
void pool_init(int threads);
int pool_threads();
void parallel_for(int n, const std::function<void(int)>& fn);
}  // namespace fls
