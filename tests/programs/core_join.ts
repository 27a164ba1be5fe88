// join, detach, exit and names: each case prints `key=value` lines of what the calls returned, and
// tests/core.test.ts compares them with the semantics (POSIX's pthread_join / pthread_detach / pthread_exit).
import {
  spawn, join, detach, exit, self, setName, getName, yieldNow, print, SpawnOptions,
} from "weft";
import { liveThreadCount } from "weft/assembly/core/thread";

function triple(arg: usize): i32 {
  yieldNow();
  return <i32>arg * 3;
}

function quick(arg: usize): i32 {
  return <i32>arg + 1;
}

let detachedDone = 0;
function detachedWorker(arg: usize): i32 {
  yieldNow();
  yieldNow();
  detachedDone = 1;
  return 9;
}

// exit from deep inside a call stack: nothing after the exit call may run, at any depth.
let afterExit = 0;
let deepestReached = 0;
function dive(depth: i32, value: i32): i32 {
  if (depth == 0) {
    deepestReached = 1;
    yieldNow();                    // suspended and resumed with the whole stack below it
    exit(value);
    afterExit += 1;                // must never run
    return -1;
  }
  let r = dive(depth - 1, value);
  afterExit += 1;                  // must never run either
  return r + 1;
}
function exiter(arg: usize): i32 {
  let r = dive(50, <i32>arg);
  afterExit += 100;
  return r;
}

// Names: the thread checks its own name, renames itself, and waits for main to look.
let nameSeenInside = "";
let renamed = 0;
function named(arg: usize): i32 {
  nameSeenInside = getName();
  setName("renamed-" + arg.toString());
  renamed = 1;
  yieldNow();
  return 0;
}

// A thread joining another, so main's join of the same thread finds it already joined.
let innerJoinValue = -1;
function joinerOf(arg: usize): i32 {
  let r = join(<i32>arg);
  innerJoinValue = r.value;
  return r.code;
}

export function main(): i32 {
  let liveAtStart = liveThreadCount();
  print("live_start=" + liveAtStart.toString());

  // 1. join returns the value.
  let a = spawn(triple, 14);
  let ra = join(a);
  print("join_value=" + ra.value.toString() + " code=" + ra.code.toString() + " ok=" + (ra.ok ? "1" : "0"));

  // 2. join of a thread that already finished (it runs while main yields, and stays a zombie).
  let q = spawn(quick, 41);
  yieldNow();
  print("live_with_zombie=" + liveThreadCount().toString());
  let rq = join(q);
  print("join_finished=" + rq.value.toString() + " code=" + rq.code.toString());
  print("live_after_join=" + liveThreadCount().toString());

  // 3. joining yourself.
  let rs = join(self());
  print("join_self=" + rs.code.toString());

  // 4. joining twice, a stale id after the slot was reused, and ids that never were.
  let rq2 = join(q);
  print("join_twice=" + rq2.code.toString());
  let reuse = spawn(quick, 1);      // likely reuses q's slot, with a new generation
  print("reused_id_differs=" + (reuse != q ? "1" : "0"));
  print("join_stale=" + join(q).code.toString());
  print("join_reused=" + join(reuse).value.toString());
  print("join_never=" + join(123456).code.toString());
  print("join_zero=" + join(0).code.toString() + " join_negative=" + join(-5).code.toString());

  // 5. detach: the thread can no longer be joined, and its record is freed when it finishes.
  let d = spawn(detachedWorker);
  print("live_before_detach=" + liveThreadCount().toString());
  print("detach=" + detach(d).toString());
  print("detach_again=" + detach(d).toString());
  print("join_detached=" + join(d).code.toString());
  while (detachedDone == 0) yieldNow();
  yieldNow();                       // let the loop reap it after its entry returned
  print("live_after_detached_exit=" + liveThreadCount().toString());
  print("join_reaped_detached=" + join(d).code.toString());
  print("detach_reaped=" + detach(d).toString());

  // 5b. detach of a thread that already finished frees it at once.
  let z = spawn(quick, 5);
  yieldNow();
  let liveZombie = liveThreadCount();
  print("detach_zombie=" + detach(z).toString());
  print("detach_zombie_freed=" + (liveZombie - liveThreadCount()).toString());

  // 5d. spawned detached (SpawnOptions.detached): never joinable, freed when it finishes.
  detachedDone = 0;
  let opts = new SpawnOptions();
  opts.detached = true;
  let liveBeforeSpawnDetached = liveThreadCount();
  let sd = spawn(detachedWorker, 0, opts);
  print("spawn_detached_live=" + (liveThreadCount() - liveBeforeSpawnDetached).toString());
  print("spawn_detached_join=" + join(sd).code.toString());
  print("spawn_detached_detach=" + detach(sd).toString());
  while (detachedDone == 0) yieldNow();
  yieldNow();                       // let the loop reap it after its entry returned
  print("spawn_detached_freed=" + (liveThreadCount() == liveBeforeSpawnDetached ? "1" : "0"));
  print("spawn_detached_gone=" + join(sd).code.toString());

  // 5c. a thread already being joined by another thread: main's join and detach say EINVAL.
  let target = spawn(triple, 7);
  let j = spawn(joinerOf, <usize>target);
  yieldNow();                       // j starts and blocks in join(target)
  print("join_being_joined=" + join(target).code.toString());
  print("detach_being_joined=" + detach(target).toString());
  let rj = join(j);
  print("inner_join=" + innerJoinValue.toString() + " code=" + rj.value.toString());

  // 6. exit(value) from depth 50, after a switch at the bottom.
  let e = spawn(exiter, 77);
  let re = join(e);
  print("exit_value=" + re.value.toString() + " deepest=" + deepestReached.toString() +
    " after_exit=" + afterExit.toString() + " error=" + (re.error === null ? "none" : re.error!));

  // 7. names.
  let options = new SpawnOptions();
  options.name = "worker-a";
  let n = spawn(named, 3, options);
  print("name_before_run=" + getName(n));
  while (renamed == 0) yieldNow();
  print("name_inside=" + nameSeenInside);
  print("name_after_rename=" + getName(n));
  let rn = join(n);
  print("join_name=" + (rn.name === null ? "null" : rn.name!));
  print("name_main=" + getName() + " name_self=" + getName(self()));
  let u = spawn(quick);
  print("name_unnamed=[" + getName(u) + "]");
  join(u);
  print("name_stale=[" + getName(u) + "]");
  setName("boss");
  print("name_main_renamed=" + getName());

  // 8. bad spawn options.
  let bad = new SpawnOptions();
  bad.priority = 8;
  print("spawn_priority_8=" + spawn(quick, 0, bad).toString());
  bad.priority = -1;
  print("spawn_priority_neg=" + spawn(quick, 0, bad).toString());
  bad.priority = 4;
  bad.stackSize = -1;
  print("spawn_stack_neg=" + spawn(quick, 0, bad).toString());

  print("live_end=" + liveThreadCount().toString());
  return 0;
}
