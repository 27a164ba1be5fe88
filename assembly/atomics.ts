// Every atomic access weft makes goes through this file, so a test build can swap in a tracing or
// deterministic version (the seam Tokio calls loom). Sequentially consistent, 32-bit, at an address.

// @ts-ignore: decorator
@inline export function atomicLoad(addr: usize): i32 { return atomic.load<i32>(addr); }
// @ts-ignore: decorator
@inline export function atomicStore(addr: usize, value: i32): void { atomic.store<i32>(addr, value); }
/** Compare-and-swap: stores `replacement` if the word holds `expected`; returns what the word held. */
// @ts-ignore: decorator
@inline export function atomicCas(addr: usize, expected: i32, replacement: i32): i32 {
  return atomic.cmpxchg<i32>(addr, expected, replacement);
}
/** Adds `delta`; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicAdd(addr: usize, delta: i32): i32 { return atomic.add<i32>(addr, delta); }
/** Subtracts `delta`; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicSub(addr: usize, delta: i32): i32 { return atomic.sub<i32>(addr, delta); }
/** Stores `value`; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicExchange(addr: usize, value: i32): i32 { return atomic.xchg<i32>(addr, value); }
/** ORs `bits` in; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicOr(addr: usize, bits: i32): i32 { return atomic.or<i32>(addr, bits); }
/** ANDs `bits` in; returns the old value. */
// @ts-ignore: decorator
@inline export function atomicAnd(addr: usize, bits: i32): i32 { return atomic.and<i32>(addr, bits); }
