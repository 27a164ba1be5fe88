// System calls done synchronously: on the processor's own thread in blocking mode (every weft thread on
// it stalls), or on a helper Worker in offload mode (pool.ts; only the caller waits). Plain data in, plain
// data out, so the same function serves both. Each returns { result } (>= 0 a value, < 0 a negated errno)
// and, for reads, the bytes read.

import { blockFor } from "./web.js";

/** `changed`: the path changed between its check and the call (host/io/confine.ts); `result` is then
 *  EACCES, what the caller answers if it does not check and call again. */
export interface SyncAnswer { result: number; data?: Uint8Array; changed?: true }
export type SyncOp = (args: any) => SyncAnswer;

/** The operations a helper Worker can run, by name. files.ts adds the file system's. */
export const SYNC_OPS: Record<string, SyncOp> = {
  /** A system call that takes `ms`: the lab's slow device. */
  delay: ({ ms }: { ms: number }) => { blockFor(ms); return { result: 0 }; },
};
