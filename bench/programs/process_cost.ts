// process_cost (bench/processes.js): what a process costs. With a 16 MB heap of live objects (256 arrays of
// 64 KiB, one byte set in each; with args()[2] "dense", every byte), ROUNDS times:
// fork, and the child says when it began running (its clock is its parent's); then posixSpawn of a small
// program (args()[1], a built .wasm), which says when its main began. Each line: "fork_ms x" / "spawn_ms x".
import { print, now, fork, waitpid, posixSpawn, args } from "weft";

const ROUNDS = 9;
const keep = new Array<Uint8Array>();         // 16 MB the child's copy must carry

export function main(): i32 {
  let argv = args();
  let dense = argv.length > 2 && argv[2] == "dense";
  for (let i = 0; i < 256; i++) {
    let block = new Uint8Array(65536);
    if (dense) block.fill(<u8>(i | 1)); else block[i] = 1;
    keep.push(block);
  }
  let hello = argv[1];
  let status = new StaticArray<i32>(1);
  for (let i = 0; i < ROUNDS; i++) {
    let t0 = now();
    let pid = fork();
    if (pid == 0) { print("fork_ms " + (now() - t0).toString()); return 0; }
    waitpid(pid, status);
    t0 = now();
    print("spawn_at " + t0.toString());
    pid = posixSpawn(hello);
    waitpid(pid, status);
  }
  return keep.length == 256 ? 0 : 1;
}
