// What the parts of Node's I/O host (files.ts, net.ts) use of the host that owns them (node.ts, NodeIo):
// an interface of its own, so that the parts need not import the file that builds them.
import type { Answer, IoContext, IoRequest } from "./host.js";
import type { FdTable } from "./fds.js";
import type { Grants } from "./grants.js";
import type { OffloadPool } from "./pool.js";

export interface NodeServices {
  /** The descriptor table (shared by files, sockets and the web host's URLs). */
  readonly table: FdTable<any>;
  /** What the run may open, listen on and connect to. */
  readonly grants: Grants;
  /** The offload helpers, started on first use. */
  readonly pool: OffloadPool;
  /** Runs a synchronous operation in offload mode and completes `req` with its answer. */
  offload(req: IoRequest, ctx: IoContext, op: string, args: unknown,
    then?: (a: { result: number; data?: Uint8Array }) => number): Answer;
}
