// Leaves everything open when main returns: listeners here and in the helper with threads waiting in
// accept, connections never accepted, and threads waiting in read. The run must end all the same: the
// host closes what is left and stops the helper (the test checks that the process exits).
import { listen, accept, connect, read, localAddress, spawn, detach, yieldNow, IoMode, print } from "weft";

const buffer = new Uint8Array(16);

function waitAccept(listener: usize): i32 { return accept(<i32>listener); }
function waitRead(fd: usize): i32 { return read(<i32>fd, buffer); }

function leaveOpen(mode: IoMode): void {
  let quiet = listen("127.0.0.1:0", 16, mode);        // nobody connects: its accept waits forever
  let busy = listen("127.0.0.1:0", 16, mode);         // connected to, never accepted
  let c = connect(localAddress(busy)!, mode);         // nobody writes: its read waits forever
  detach(spawn(waitAccept, quiet));
  detach(spawn(waitRead, c));
}

export function main(): i32 {
  leaveOpen(IoMode.Async);                            // sockets here
  leaveOpen(IoMode.Offload);                          // sockets in the helper
  for (let i = 0; i < 10; i++) yieldNow();
  print("left=everything");
  return 0;
}
