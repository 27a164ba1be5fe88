// Granted-only access: which paths and addresses a program may use. STUB — to be written.
export interface GrantOptions { dirs?: string[]; listen?: string[]; connect?: string[] }

export class Grants {
  constructor(readonly options: GrantOptions) {}
  /** The host path for guest path `guest`, or a negated errno (EACCES when it leaves every granted dir). */
  path(guest: string): string | number { return -13; }
  /** host and port to listen on, or a negated errno. */
  listen(address: string): { host: string; port: number } | number { return -13; }
  /** host and port to connect to, or a negated errno. */
  connect(address: string): { host: string; port: number } | number { return -13; }
}
