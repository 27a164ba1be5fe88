// TCP for Node's I/O host. STUB — to be written.
import { ERRNO } from "./abi.js";
import type { Answer, IoContext, IoRequest } from "./host.js";
import type { NodeIo } from "./node.js";

export class NetOps {
  constructor(readonly io: NodeIo) {}
  submit(req: IoRequest, ctx: IoContext): Answer { return -ERRNO.ENOTSUP; }
  async close(): Promise<void> {}
}
