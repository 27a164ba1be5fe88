// The descriptor table (host/io/fds.ts): lowest free number first, as POSIX hands them out, checked
// against a table that scans for it, over a long run of random opens and closes.
import { describe, expect, it } from "vitest";
import { FdTable } from "../dist/host/io/fds.js";

/** The same table the plain way: a scan for the lowest free number. */
class Scanning {
  slots: (number | undefined)[] = [0, 1, 2];
  add(x: number): number {
    let fd = this.slots.indexOf(undefined);
    if (fd < 0) fd = this.slots.length;
    this.slots[fd] = x;
    return fd;
  }
  remove(fd: number): number | undefined {
    const r = this.slots[fd];
    if (r === undefined) return undefined;
    this.slots[fd] = undefined;
    while (this.slots.length > 3 && this.slots[this.slots.length - 1] === undefined) this.slots.pop();
    return r;
  }
}

describe("the descriptor table", () => {
  it("hands out the lowest free number, as a scan would, over 100,000 random opens and closes", () => {
    const table = new FdTable<number>([0, 1, 2]), scan = new Scanning();
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    for (let i = 0; i < 100_000; i++) {
      const open = random(100) < (i % 20_000 < 10_000 ? 60 : 40);      // grows, then shrinks, in waves
      if (open) expect(table.add(i + 3)).toBe(scan.add(i + 3));
      else {
        const fd = random(scan.slots.length + 2);                       // sometimes past the end, or 0-2
        expect(table.remove(fd)).toBe(scan.remove(fd));
      }
    }
    expect([...table.entries()]).toEqual(scan.slots.flatMap((x, fd) => (x === undefined ? [] : [[fd, x]])));
  });

  it("a closed number is taken again before any higher one; closing one twice frees it once", () => {
    const table = new FdTable<string>(["in", "out", "err"]);
    expect(["a", "b", "c", "d"].map((x) => table.add(x))).toEqual([3, 4, 5, 6]);
    table.remove(5); table.remove(3); table.remove(3);
    expect([table.add("e"), table.add("f"), table.add("g")]).toEqual([3, 5, 7]);
    table.remove(1);
    expect(table.add("h")).toBe(1);
    expect(table.get(1)).toBe("h");
  });
});
