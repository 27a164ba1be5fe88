// A program's descriptor table: small integers the core passes, mapped to the host's resources.
// 0, 1 and 2 are stdin, stdout and stderr; the rest are handed out lowest first, like POSIX.

export class FdTable<R> {
  private readonly slots: (R | undefined)[] = [];

  constructor(stdio: R[]) { this.slots.push(...stdio); }

  /** Stores `resource` under the lowest free descriptor and returns it. */
  add(resource: R): number {
    let fd = this.slots.indexOf(undefined);
    if (fd < 0) fd = this.slots.length;
    this.slots[fd] = resource;
    return fd;
  }

  get(fd: number): R | undefined { return fd >= 0 ? this.slots[fd] : undefined; }

  /** Forgets `fd`; returns what it held. */
  remove(fd: number): R | undefined {
    const r = this.slots[fd];
    this.slots[fd] = undefined;
    while (this.slots.length > 3 && this.slots[this.slots.length - 1] === undefined) this.slots.pop();
    return r;
  }

  /** Every open descriptor and its resource. */
  *entries(): IterableIterator<[number, R]> {
    for (let fd = 0; fd < this.slots.length; fd++) {
      const r = this.slots[fd];
      if (r !== undefined) yield [fd, r];
    }
  }
}
