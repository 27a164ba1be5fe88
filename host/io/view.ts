// Views of a module's memory that last: made once, and again only when the memory has grown.
//
// Why. Every system call's path reads words of its request record and writes its answer, on the kernel
// thread that runs the loop and again on the I/O owner. Made fresh each time (`new Int32Array(
// memory.buffer, addr, 1)`), each read costs a typed array for the young generation and a call of
// memory.buffer's getter, which for a shared memory also freezes the buffer object anew (V8 does so on
// every call). In perf of examples/http.ts on 2 processors under wrk, those two took ~8% of the I/O owner's
// samples and ~3% of each processor's.
//
// When a view is stale. A non-shared memory that grows detaches its buffer (every view's length becomes
// 0); a shared one keeps its old buffer, valid but only as long as it was. Either way an access that
// reaches past the views' end is the sign: they are made again from memory.buffer, and an address still
// past the end is out of bounds (a RangeError, as a fresh view would throw).
//
// Access rule: plain reads and writes; a word another kernel thread reads or writes (a result, a ring's
// head or tail) goes through Atomics on `i32` or `u32`, as before.

export class MemoryView {
  u8!: Uint8Array;
  i32!: Int32Array;
  u32!: Uint32Array;
  f64!: Float64Array;

  constructor(readonly memory: WebAssembly.Memory) { this.refresh(); }

  /** Makes sure bytes [0, end) are in the views; after it, `i32[addr >> 2]` and the others may be used
   *  for addresses below `end`. Returns this. */
  reach(end: number): this {
    if (!this.covers(end)) throw new RangeError(`memory ends at ${this.u8.length}: ${end} is past it`);
    return this;
  }

  /** The u32 at `addr` (4-aligned). */
  u32At(addr: number): number { return this.reach(addr + 4).u32[addr >>> 2]; }
  /** The i32 at `addr` (4-aligned). */
  i32At(addr: number): number { return this.reach(addr + 4).i32[addr >>> 2]; }
  /** The f64 at `addr` (8-aligned). */
  f64At(addr: number): number { return this.reach(addr + 8).f64[addr >>> 3]; }
  /** `len` bytes at `ptr`, a view (not a copy). A buffer a program names by address (writeFrom,
   *  readInto) may lie outside memory: the RangeError says where it is. */
  bytes(ptr: number, len: number): Uint8Array {
    if (!this.holds(ptr, len)) {
      throw new RangeError(`the buffer of ${len} bytes at 0x${ptr.toString(16)} is not in memory (${this.u8.length} bytes)`);
    }
    return new Uint8Array(this.u8.buffer, ptr, len);
  }

  /** Whether the `len` bytes at `ptr` are in memory; after it, they are in `u8` (no view made). */
  holds(ptr: number, len: number): boolean { return ptr >= 0 && len >= 0 && this.covers(ptr + len); }

  /** Whether bytes [0, end) are in the views, after making them again if they may be stale. */
  private covers(end: number): boolean {
    if (end > this.u8.length) this.refresh();
    return end <= this.u8.length;
  }

  private refresh(): void {
    const buffer = this.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.f64 = new Float64Array(buffer, 0, buffer.byteLength >>> 3);
  }
}
