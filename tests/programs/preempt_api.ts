// The policy calls' errors and defaults (tests/preempt.test.ts). Each line is `call=result`.
import {
  spawn, join, print, SpawnOptions, setPriority, getPriority, groupCreate, groupSetWeight, groupCpuTime, setGroup,
  getGroup, setWeight, setTimeSlice, timeSlice, cpuTime, threadStats,
} from "weft";

const NO_THREAD = 0x7fff_0000;          // an id no thread has

function idle(arg: usize): i32 { return 0; }

function spawnIn(group: i32, weight: i32 = 1): i32 {
  let o = new SpawnOptions();
  o.group = group;
  o.weight = weight;
  let id = spawn(idle, 0, o);
  if (id > 0) join(id);
  return id > 0 ? 0 : id;               // 0: spawned (and joined)
}

function show(key: string, value: i32): void { print(key + "=" + value.toString()); }

export function main(): i32 {
  // Defaults.
  show("priority_default", getPriority());
  show("group_default", getGroup());
  print("slice_default=" + timeSlice().toString());
  // Priorities.
  show("set_priority_8", setPriority(0, 8));
  show("set_priority_neg", setPriority(0, -1));
  show("set_priority_bad_id", setPriority(NO_THREAD, 3));
  show("get_priority_bad_id", getPriority(NO_THREAD));
  show("set_priority_6", setPriority(0, 6));
  show("priority_after", getPriority());
  // Groups.
  show("group_create_0", groupCreate(0));
  show("group_create_neg", groupCreate(-5));
  show("group_create_too_heavy", groupCreate(1_000_001));
  let first = groupCreate(2);
  show("group_first", first);
  let made = 1, last = first;
  while (true) {
    let g = groupCreate(1);
    if (g < 0) { show("group_full", g); break; }
    made++;
    last = g;
    if (made > 1000) break;             // never: the table holds 63
  }
  show("groups_made", made);
  show("group_last", last);
  show("group_set_weight_bad_group", groupSetWeight(9999, 1));
  show("group_set_weight_0", groupSetWeight(first, 0));
  show("group_set_weight_ok", groupSetWeight(first, 5));
  print("group_cpu_bad=" + groupCpuTime(9999).toString());
  show("set_group_bad", setGroup(0, 9999));
  show("set_group_bad_id", setGroup(NO_THREAD, first));
  show("set_group_ok", setGroup(0, first));
  show("group_after", getGroup());
  show("get_group_bad_id", getGroup(NO_THREAD));
  // Weights.
  show("set_weight_0", setWeight(0, 0));
  show("set_weight_too_heavy", setWeight(0, 1_000_001));
  show("set_weight_bad_id", setWeight(NO_THREAD, 2));
  show("set_weight_ok", setWeight(0, 2));
  // Spawn options.
  show("spawn_group_bad", spawnIn(9999));
  show("spawn_group_neg", spawnIn(-2));
  show("spawn_weight_0", spawnIn(-1, 0));
  show("spawn_group_ok", spawnIn(first, 7));
  // Slices.
  show("slice_0", setTimeSlice(0));
  show("slice_neg", setTimeSlice(-1));
  show("slice_nan", setTimeSlice(NaN));
  show("slice_too_long", setTimeSlice(60_001));
  show("slice_5", setTimeSlice(5));
  print("slice_after=" + timeSlice().toString());
  // Accounting of a thread that does not exist.
  print("cpu_bad_id=" + cpuTime(NO_THREAD).toString());
  show("stats_bad_id", threadStats(NO_THREAD) === null ? 1 : 0);
  return 0;
}
