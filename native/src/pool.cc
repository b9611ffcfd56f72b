// Persistent workers wait on a condition variable; a job hands out indices through an atomic counter, the caller
// works too, and parallel_for returns when every index is done. Nested calls run serially.
#include "pool.h"
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace fls {
namespace {
// Never destroyed: glibc's condition-variable destructor waits for waiters, and the workers wait forever, so
// destroying these at process exit would hang it.
std::vector<std::thread>& workers = *new std::vector<std::thread>();
std::mutex& mu = *new std::mutex();
std::condition_variable& cv_work = *new std::condition_variable();
std::condition_variable& cv_done = *new std::condition_variable();
const std::function<void(int)>* job = nullptr;
int job_n = 0;
std::atomic<int> next{0};
int active = 0;
long generation = 0;
bool stopping = false;
thread_local bool in_job = false;

void run_items() {
  for (;;) {
    int i = next.fetch_add(1);
    if (i >= job_n) break;
    (*job)(i);
  }
}

void worker_loop() {
  long seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(mu);
      cv_work.wait(lk, [&] { return stopping || generation != seen; });
      if (stopping) return;
      seen = generation;
    }
    in_job = true;
    run_items();
    in_job = false;
    {
      std::lock_guard<std::mutex> lk(mu);
      if (--active == 0) cv_done.notify_one();
    }
  }
}
}  // namespace

void pool_init(int threads) {
  if (!workers.empty() || threads <= 1) return;
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
  {
    std::lock_guard<std::mutex> lk(mu);
    job = &fn;
    job_n = n;
    next.store(0);
    active = (int)workers.size();
    generation++;
  }
  cv_work.notify_all();
  in_job = true;
  run_items();
  in_job = false;
  std::unique_lock<std::mutex> lk(mu);
  cv_done.wait(lk, [] { return active == 0; });
  job = nullptr;
}
}  // namespace fls
