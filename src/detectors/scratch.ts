// A reusable Float32Array that grows to the largest length asked of it, for buffers a hot loop fills anew on every call
// and drops when the call returns: the online loop's scoring batch, its peer means and each machine's model input — at
// 10 000 machines each some 100 MB a scrape, which as fresh arrays every time cost their allocation, zeroing and GC.
export class Scratch {
  private buf = new Float32Array(0);

  /** A view of the first n values. It holds whatever an earlier use left: the caller writes every value it reads.
   *  The view is valid until the next take (which may grow, i.e. replace, the array). */
  take(n: number): Float32Array {
    if (this.buf.length < n) this.buf = new Float32Array(n);
    return this.buf.subarray(0, n);
  }
}
