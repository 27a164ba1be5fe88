// A counter that threads on several processors may change at once (M:N): one word, changed atomically.
// In N:1 a plain `count++` is enough; the test programs that also run on processors use this instead.

@unmanaged export class Counter {
  private word: i32 = 0;
  add(n: i32): i32 { return atomic.add<i32>(changetype<usize>(this), n) + n; }
  inc(): i32 { return this.add(1); }
  dec(): i32 { return this.add(-1); }
  get(): i32 { return atomic.load<i32>(changetype<usize>(this)); }
  /** Raises the value to `n` if it is lower. */
  max(n: i32): void {
    let seen = this.get();
    while (n > seen && atomic.cmpxchg<i32>(changetype<usize>(this), seen, n) != seen) seen = this.get();
  }
  toString(): string { return this.get().toString(); }
}

/** Adds `n` to element `i` of `array` atomically; returns the new value. */
export function addAt(array: StaticArray<i32>, i: i32, n: i32): i32 {
  return atomic.add<i32>(changetype<usize>(array) + (<usize>i << 2), n) + n;
}
