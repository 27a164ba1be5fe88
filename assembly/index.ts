// weft: user-level threads for AssemblyScript. `import { spawn, join, Mutex, Channel } from "weft"`.
//
// Threads: spawn, join, detach, exit, self, yieldNow (also Thread.yield), sleep, names, priorities.
// Preemption (the build's safepoints) and policy: time slices, priorities with aging, fair-share groups,
// per-thread CPU time and statistics (lib/policy.ts).
// Blocking: futexWait / futexWake, and everything in sync/ and lib/channel.ts built on them.
// Per thread: TLS keys (tlsKeyCreate, tlsGet, tlsSet, ThreadLocal) and errno.
// Memory: a collector frees unreachable objects (gc, setGcPercent, heapStats: lib/memory.ts).
// Processes: fork, waitpid, atfork (sys/process.ts).
// Signals: handlers, per-thread masks, raise / kill / pthreadKill, sigwait, alarm, CPU timers (lib/signal.ts).
// I/O (the caller waits, the others run): files and stdio (sys/file.ts), TCP (sys/net.ts), and the host's
// own functions, which may return a Promise (sys/call.ts: hostText, hostBytes).

export {
  ThreadId, SpawnOptions, JoinResult, spawn, join, joinInto, detach, exit, self, setName, getName,
} from "./core/thread";
export { yieldNow, migrate } from "./core/scheduler";
export { processors, processorId } from "./core/processor";
export {
  setPriority, getPriority, groupCreate, groupSetWeight, groupCpuTime, setGroup, getGroup, setWeight, setTimeSlice,
  timeSlice, setExactAccounting, cpuTime, ThreadStats, threadStats, allThreadStats, printThreadStats,
} from "./lib/policy";
export {
  futexWait, futexWake, futexWaitFor, FUTEX_WOKEN, FUTEX_NOT_EQUAL, FUTEX_TIMED_OUT, FUTEX_INTERRUPTED,
  WAIT_FUTEX, WAIT_MUTEX, WAIT_COND, WAIT_RWLOCK, WAIT_SEMAPHORE, WAIT_BARRIER, WAIT_ONCE, WAIT_WAITGROUP,
  WAIT_CHANNEL_SEND, WAIT_CHANNEL_RECV, WAIT_SELECT, WAIT_JOIN, WAIT_SLEEP, WAIT_RWLOCK_WRITE,
} from "./core/futex";
export { tlsKeyCreate, tlsKeyDelete, tlsGet, tlsSet, ThreadLocal, getErrno, setErrno, TLS_KEYS_MAX } from "./core/tls";
export { print, printError } from "./lib/console";
export { now, wallTime } from "./lib/clock";
export { sleep, Thread } from "./lib/api";
export { gc, setGcPercent, heapStats, heapStatsInto, HeapStats } from "./lib/memory";
export * from "./core/errno";
export { Mutex, Cond, RwLock, Semaphore, Barrier, Once, WaitGroup } from "./lib/sync/index";
export { Channel, Received } from "./lib/channel";
export { Select } from "./lib/select";
export {
  IoMode, STDIN, STDOUT, STDERR, O_READ, O_WRITE, O_CREATE, O_TRUNCATE, O_APPEND, O_EXCLUSIVE, Stat, open, close,
  read, readInto, write, writeFrom, writeString, stat, unlink, mkdir, readdir, ioDelay,
} from "./sys/file";
export { SHUT_RD, SHUT_WR, SHUT_RDWR, listen, accept, connect, shutdown, localAddress } from "./sys/net";
export { hostText, hostBytes } from "./sys/call";
export * from "./lib/signal";
export { dumpThreads, debugBreak } from "./sys/debug";
export { fork, waitpid, atfork, getpid, getppid, pipe, kill, args, posixSpawn, SpawnActions, exec, WNOHANG, WIFEXITED, WEXITSTATUS, WIFSIGNALED, WTERMSIG } from "./sys/process";
