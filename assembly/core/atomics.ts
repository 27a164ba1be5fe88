// Every atomic access weft makes goes through this file, so a test build can swap in a tracing or
// deterministic version (the seam Tokio calls loom). Sequentially consistent, 32-bit, at an address.
//
// Design note: a module built for one processor (N:1, the default) has one thread of execution per
// memory, so read-modify-write needs no bus lock: these compile to plain loads and stores, which is what
// brings an uncontended mutex from ~20 ns (two lock-prefixed instructions) to a few. A module built for
// shared memory (weft build --shared, M:N) defines WEFT_SHARED_MEMORY and gets real atomics.

// @ts-ignore: decorator
@inline export const SHARED_MEMORY: bool = isDefined(WEFT_SHARED_MEMORY);

// @ts-ignore: decorator
@inline export function atomicLoad(addr: usize): i32 {
  return SHARED_MEMORY ? atomic.load<i32>(addr) : load<i32>(addr);
}
// @ts-ignore: decorator
@inline export function atomicStore(addr: usize, value: i32): void {
  if (SHARED_MEMORY) atomic.store<i32>(addr, value); else store<i32>(addr, value);
}
/** Compare-and-swap: stores `replacement` if the word holds `expected`; returns what the word held. */
// @ts-ignore: decorator
@inline export function atomicCas(addr: usize, expected: i32, replacement: i32): i32 {
  if (SHARED_MEMORY) return atomic.cmpxchg<i32>(addr, expected, replacement);
  let old = load<i32>(addr);
  if (old == expected) store<i32>(addr, replacement);
  return old;
}
/** Adds `delta`; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicAdd(addr: usize, delta: i32): i32 {
  if (SHARED_MEMORY) return atomic.add<i32>(addr, delta);
  let old = load<i32>(addr);
  store<i32>(addr, old + delta);
  return old;
}
/** Subtracts `delta`; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicSub(addr: usize, delta: i32): i32 { return atomicAdd(addr, -delta); }
/** Stores `value`; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicExchange(addr: usize, value: i32): i32 {
  if (SHARED_MEMORY) return atomic.xchg<i32>(addr, value);
  let old = load<i32>(addr);
  store<i32>(addr, value);
  return old;
}
/** ORs `bits` in; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicOr(addr: usize, bits: i32): i32 {
  if (SHARED_MEMORY) return atomic.or<i32>(addr, bits);
  let old = load<i32>(addr);
  store<i32>(addr, old | bits);
  return old;
}
/** ANDs `bits` in; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicAnd(addr: usize, bits: i32): i32 {
  if (SHARED_MEMORY) return atomic.and<i32>(addr, bits);
  let old = load<i32>(addr);
  store<i32>(addr, old & bits);
  return old;
}

/** memory.atomic.wait32 (shared builds only): sleeps while the word at `addr` holds `expected`, up to
 *  `timeoutNs` (< 0: no limit); 0 woken, 1 the word differed, 2 timed out. Every wait weft makes goes
 *  through here, and this function is never inlined (host/compiler/pipeline.ts, NEVER_INLINE): Node 20's
 *  V8 (11.3) compiles a wait in its baseline tier (Liftoff) so that the address, widened to 64 bits and
 *  spilled across the timeout's conversion, is stored 8 bytes wide into a 4-byte stack slot, zeroing the
 *  slot before it — the calling function's last local. Inlined into idleWait, that zeroed its asleep
 *  flag's address: the flag stayed set on a processor that went on running threads, and another declared
 *  a false deadlock. Here nothing is read after the wait (tests/build-shared.test.ts checks both the
 *  builds and the engine). Node 22 and later compile it right. */
export function atomicWait(addr: usize, expected: i32, timeoutNs: i64): i32 {
  return atomic.wait<i32>(addr, expected, timeoutNs);
}
