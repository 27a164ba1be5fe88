// Thread-local storage: values isolated between threads across many switches, destructors at exit (also
// via exit()), deleted keys, ThreadLocal<T> and errno. Prints `key=value` lines of computed values.
import {
  spawn, join, exit, self, yieldNow, print, tlsKeyCreate, tlsKeyDelete, tlsGet, tlsSet, ThreadLocal,
  getErrno, setErrno, EINVAL,
} from "weft";
import { Counter } from "./lib/counter";

const THREADS = 6;
const ROUNDS = 200;

let key = -1;
let mismatches = new Counter();
let checks = new Counter();

// 1. Each thread stores its own value in `key` every round, yields, and checks it is still its own.
function isolated(arg: usize): i32 {
  let mine = <usize>arg * 100000;
  if (tlsGet(key) != 0) mismatches.inc();          // a new thread starts with no value
  for (let i = 0; i < ROUNDS; i++) {
    tlsSet(key, mine + <usize>i);
    yieldNow();
    if (tlsGet(key) != mine + <usize>i) mismatches.inc();
    checks.inc();
  }
  return <i32>(tlsGet(key) - mine);
}

// 2. Destructors: count the calls, sum the values, and check they run in the exiting thread.
let dkey = -1;
let destructorCalls = new Counter();
let destructorSum = new Counter();
let destructorInOwnThread = new Counter();
let expectedSelf = new Array<i32>();

function countingDestructor(value: usize): void {
  destructorCalls.inc();
  destructorSum.add(<i32>value);
  // value = 1000 * index + small; expectedSelf[index] is the thread that set it
  let index = <i32>(value / 1000);
  if (index < expectedSelf.length && expectedSelf[index] == self()) destructorInOwnThread.inc();
}

// Set by main once expectedSelf holds every id (M:N: a thread may run, and end, on another processor
// before spawn has returned to main).
const IDS_KNOWN = memory.data(4, 4);

function waitForIds(): void {
  while (atomic.load<i32>(IDS_KNOWN) == 0) yieldNow();
}

function setsAndReturns(arg: usize): i32 {
  waitForIds();
  tlsSet(dkey, arg);
  yieldNow();
  return 0;
}

function deepExit(depth: i32, value: i32): void {
  if (depth == 0) exit(value);
  else deepExit(depth - 1, value);
}

function setsAndExits(arg: usize): i32 {
  waitForIds();
  tlsSet(dkey, arg);
  yieldNow();
  deepExit(10, 3);
  return 99;
}

function setsNothing(arg: usize): i32 {
  yieldNow();
  return 0;
}

function setsZero(arg: usize): i32 {
  tlsSet(dkey, 0);                               // a 0 value has no destructor call (POSIX: NULL)
  return 0;
}

// A destructor that sets a new value: it is called again (bounded rounds), then gives up.
let rkey = -1;
let reviveCalls = new Counter();
function revivingDestructor(value: usize): void {
  reviveCalls.inc();
  tlsSet(rkey, value + 1);
}
function setsReviving(arg: usize): i32 {
  tlsSet(rkey, 1);
  return 0;
}

// 3. A deleted key: its destructor must not run at exit.
let deletedKey = -1;
let deletedDestructorCalls = new Counter();
function deletedDestructor(value: usize): void { deletedDestructorCalls.inc(); }
let deletedStep = 0;
function holdsDeletedKey(arg: usize): i32 {
  tlsSet(deletedKey, 77);
  deletedStep = 1;
  while (deletedStep == 1) yieldNow();          // main deletes the key meanwhile
  return <i32>tlsGet(deletedKey);                // values are dropped on delete
}

// 4. ThreadLocal<i32> and errno.
let local = new ThreadLocal<i32>();
let localMismatches = new Counter();
let errnoMismatches = new Counter();
function typedLocal(arg: usize): i32 {
  let base = <i32>arg * 1000;
  if (local.get() != 0) localMismatches.inc();
  if (getErrno() != 0) errnoMismatches.inc();
  for (let i = 0; i < 50; i++) {
    local.set(base + i);
    setErrno(base + i + 1);
    yieldNow();
    if (local.get() != base + i) localMismatches.inc();
    if (getErrno() != base + i + 1) errnoMismatches.inc();
  }
  return local.get();
}

export function main(): i32 {
  key = tlsKeyCreate();
  print("key_valid=" + (key >= 0 ? "1" : "0"));
  tlsSet(key, 424242);
  let ids = new Array<i32>();
  for (let i = 1; i <= THREADS; i++) ids.push(spawn(isolated, <usize>i));
  let lastSum = 0;
  for (let i = 0; i < ids.length; i++) lastSum += join(ids[i]).value;
  print("tls_checks=" + checks.toString() + " mismatches=" + mismatches.toString());
  print("tls_last_sum=" + lastSum.toString());
  print("tls_main_kept=" + tlsGet(key).toString());

  dkey = tlsKeyCreate(countingDestructor);
  let dIds = new Array<i32>();
  for (let i = 0; i < 4; i++) {
    let id = i < 2 ? spawn(setsAndReturns, <usize>(1000 * i + 7)) : spawn(setsAndExits, <usize>(1000 * i + 7));
    dIds.push(id);
    expectedSelf.push(id);
  }
  atomic.store<i32>(IDS_KNOWN, 1);
  dIds.push(spawn(setsNothing));
  dIds.push(spawn(setsZero));
  let exitValues = new Array<i32>();
  for (let i = 0; i < dIds.length; i++) exitValues.push(join(dIds[i]).value);
  print("destructor_calls=" + destructorCalls.toString() + " sum=" + destructorSum.toString() +
    " in_own_thread=" + destructorInOwnThread.toString());
  print("exit_values=" + exitValues.join(","));

  rkey = tlsKeyCreate(revivingDestructor);
  join(spawn(setsReviving));
  print("revive_calls=" + reviveCalls.toString());

  deletedKey = tlsKeyCreate(deletedDestructor);
  let h = spawn(holdsDeletedKey);
  while (deletedStep == 0) yieldNow();
  print("delete=" + tlsKeyDelete(deletedKey).toString());
  print("delete_again=" + tlsKeyDelete(deletedKey).toString());
  print("set_deleted=" + tlsSet(deletedKey, 1).toString() + " expected=" + EINVAL.toString());
  print("get_deleted=" + tlsGet(deletedKey).toString());
  let reused = tlsKeyCreate();
  print("reused_key_value=" + (reused == deletedKey ? tlsGet(reused).toString() : "other-slot"));
  deletedStep = 2;
  print("holder_saw=" + join(h).value.toString());
  print("deleted_destructor_calls=" + deletedDestructorCalls.toString());
  print("set_invalid=" + tlsSet(-1, 1).toString() + "," + tlsSet(100000, 1).toString());
  print("delete_invalid=" + tlsKeyDelete(-1).toString() + "," + tlsKeyDelete(9999).toString());

  setErrno(-7);
  let tIds = new Array<i32>();
  for (let i = 1; i <= 4; i++) tIds.push(spawn(typedLocal, <usize>i));
  let localSum = 0;
  for (let i = 0; i < tIds.length; i++) localSum += join(tIds[i]).value;
  print("local_mismatches=" + localMismatches.toString() + " errno_mismatches=" + errnoMismatches.toString());
  print("local_sum=" + localSum.toString());
  print("main_errno=" + getErrno().toString() + " main_local=" + local.get().toString());
  return 0;
}
