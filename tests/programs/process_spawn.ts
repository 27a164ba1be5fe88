// posixSpawn, exec and args (tests/processes.test.ts): a child program started with pipes as its stdin and
// stdout (dup2 actions), one that takes a forked child's place, and the errors.
import {
  print, fork, waitpid, pipe, close, read, writeString, args, posixSpawn, exec, SpawnActions, WEXITSTATUS, ENOENT,
  ENOEXEC, EBADF, STDIN, STDOUT,
} from "weft";

const CHILD = "tests/programs/process_child.ts";
const status = new StaticArray<i32>(1);

function readAll(fd: i32): string {
  let text = "";
  let buffer = new Uint8Array(64);
  let n = 0;
  while ((n = read(fd, buffer)) > 0) text += String.UTF8.decode(buffer.buffer.slice(0, n));
  return text;
}

export function main(): i32 {
  print("my_args=" + args().slice(1).join(","));

  // A child whose stdin and stdout are pipes: the parent feeds one and reads the other.
  let input = new StaticArray<i32>(2), output = new StaticArray<i32>(2);
  pipe(input);
  pipe(output);
  let actions = new SpawnActions().dup2(input[0], STDIN).dup2(output[1], STDOUT).close(input[1]).close(output[0]);
  let pid = posixSpawn(CHILD, ["one", "two"], actions);
  close(input[0]);
  close(output[1]);
  writeString(input[1], "through a pipe\n");
  close(input[1]);
  print("child_output=" + readAll(output[0]).trim());
  close(output[0]);
  waitpid(pid, status);
  print("spawned_exit=" + WEXITSTATUS(status[0]).toString());

  // exec: the forked child becomes another program; its parent sees that program's end, and the program
  // it becomes has its children (it waits for the one spawned before the exec).
  pid = fork();
  if (pid == 0) {
    close(STDIN);                       // the program it becomes reads nothing, and so does its child
    posixSpawn(CHILD, ["g"]);
    exec(CHILD, ["a", "b", "reap"]);
    print("exec_failed");
    return 99;
  }
  waitpid(pid, status);
  print("exec_exit=" + WEXITSTATUS(status[0]).toString());

  print("spawn_missing=" + (posixSpawn("tests/programs/no_such_program.wasm") == -ENOENT ? "ENOENT" : "other"));
  print("spawn_not_weft=" + (posixSpawn("README.md") == -ENOEXEC ? "ENOEXEC" : "other"));
  print("spawn_bad_action=" + (posixSpawn(CHILD, null, new SpawnActions().dup2(77, 0)) == -EBADF ? "EBADF" : "other"));
  return 0;
}
