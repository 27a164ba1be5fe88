// A host function with more arguments than a host call carries (CALL_ARGS_MAX, 16): the build refuses it.
// @ts-ignore: decorator
@external("app", "wide")
declare function wide(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32, g: i32, h: i32, i: i32, j: i32, k: i32,
  l: i32, m: i32, n: i32, o: i32, p: i32, q: i32): i32;

export function main(): i32 {
  return wide(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17);
}
