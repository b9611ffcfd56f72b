// Persistent workers; a job hands out indices through an atomic counter, the caller works too, and parallel_for
// returns when every index is done. Nested calls run serially.
// Waking a sleeping thread through a condition variable costs ~20 µs here — more than many of the engine's kernels
// take — so a worker that finished a job spins for a short while (SPIN_US, ~30 µs) on the job counter before it goes
// to sleep, and the caller spins while the workers finish. Back-to-back kernels of a training step then hand work
// over in well under a microsecond; an idle process sleeps after one spin period (bounded CPU cost per job).
#include "pool.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#define FLS_PAUSE() _mm_pause()
#else
#define FLS_PAUSE() std::this_thread::yield()
#endif

namespace fls {
namespace {
// Never destroyed: glibc's condition-variable destructor waits for waiters, and the workers wait forever, so
// destroying these at process exit would hang it.
std::vector<std::thread>& workers = *new std::vector<std::thread>();
std::mutex& mu = *new std::mutex();
// One job at a time: the addon may be loaded by several JavaScript threads (worker_threads), which share this pool.
std::mutex& job_mu = *new std::mutex();
std::condition_variable& cv_work = *new std::condition_variable();
const std::function<void(int)>* job = nullptr;
int job_n = 0;
std::atomic<int> next{0};
std::atomic<int> active{0};
std::atomic<long> generation{0};
std::atomic<int> sleepers{0};
long spin_ns = 30000;  // FLINKSCOPE_POOL_SPIN_US overrides (0: always sleep)
thread_local bool in_job = false;

using Clock = std::chrono::steady_clock;

void run_items() {
  for (;;) {
    int i = next.fetch_add(1, std::memory_order_relaxed);
    if (i >= job_n) break;
    (*job)(i);
  }
}

void worker_loop() {
  long seen = 0;
  for (;;) {
    // spin a short while for the next job, then sleep
    bool got = false;
    const auto until = Clock::now() + std::chrono::nanoseconds(spin_ns);
    for (int n = 0; spin_ns > 0; n++) {
      if (generation.load(std::memory_order_acquire) != seen) {
        got = true;
        break;
      }
      FLS_PAUSE();
      if ((n & 63) == 63 && Clock::now() > until) break;
    }
    if (!got) {
      std::unique_lock<std::mutex> lk(mu);
      sleepers.fetch_add(1);
      cv_work.wait(lk, [&] { return generation.load() != seen; });
      sleepers.fetch_sub(1);
    }
    seen = generation.load(std::memory_order_acquire);
    in_job = true;
    run_items();
    in_job = false;
    active.fetch_sub(1, std::memory_order_acq_rel);
  }
}
}  // namespace

void pool_init(int threads) {
  if (!workers.empty() || threads <= 1) return;
  if (const char* s = std::getenv("FLINKSCOPE_POOL_SPIN_US")) spin_ns = std::atol(s) * 1000;
  for (int t = 1; t < threads; t++) workers.emplace_back(worker_loop);
  for (auto& w : workers) w.detach();
}

int pool_threads() { return (int)workers.size() + 1; }

void parallel_for(int n, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  if (workers.empty() || n == 1 || in_job) {
    for (int i = 0; i < n; i++) fn(i);
    return;
  }
  std::lock_guard<std::mutex> one_job(job_mu);
  // the previous job is over (its caller waited for active == 0), so no worker reads job / job_n now
  job = &fn;
  job_n = n;
  next.store(0, std::memory_order_relaxed);
  active.store((int)workers.size(), std::memory_order_relaxed);
  {
    // publish under the lock so a worker between its check and its wait cannot miss the new generation
    std::lock_guard<std::mutex> lk(mu);
    generation.fetch_add(1, std::memory_order_release);
  }
  if (sleepers.load() > 0) cv_work.notify_all();
  in_job = true;
  run_items();
  in_job = false;
  // the workers are finishing their last items: spin (they are awake), yielding now and then
  for (int k = 0; active.load(std::memory_order_acquire) != 0; k++) {
    if (k < 4096) FLS_PAUSE();
    else std::this_thread::yield();
  }
  job = nullptr;
}
}  // namespace fls
