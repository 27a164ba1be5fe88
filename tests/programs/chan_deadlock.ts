// main receives on a channel nobody sends to, a helper blocks sending on another and a third blocks in a
// select: the run must end as a deadlock whose report names each channel wait.
import { spawn, print } from "weft";
import { Channel } from "weft/assembly/lib/channel";
import { Select } from "weft/assembly/lib/select";

let never = new Channel<i32>();
let nobodyReceives = new Channel<i32>();
let quiet1 = new Channel<i32>(1);
let quiet2 = new Channel<i32>();

function stuckSender(arg: usize): i32 {
  nobodyReceives.send(1);
  print("sender returned");
  return 0;
}

function stuckSelect(arg: usize): i32 {
  let s = new Select();
  s.recv(quiet1);
  s.recv(quiet2);
  s.wait();
  print("select returned");
  return 0;
}

export function main(): i32 {
  spawn(stuckSender);
  spawn(stuckSelect);
  print("waiting");
  let v = never.recv();
  print("received " + v.toString());
  return 0;
}
