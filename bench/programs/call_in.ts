// JavaScript calling in (bench/call-in.js): the functions a call_in_* bench calls, one thread per call.
export function main(): void {}
export function add(x: i32, y: i32): i32 { return x + y; }
