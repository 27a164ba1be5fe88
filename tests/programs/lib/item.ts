// An object graph that knows its own contents (a label, four parts): one freed too early, its memory
// scrambled (poisonFreed) or reused, reads back wrong. Used by the collector's test programs.

export class Item {
  label: string;
  parts: Array<string>;
  next: Item | null = null;
  constructor(public n: i32) {
    this.label = "item-" + n.toString();
    this.parts = new Array<string>();
    for (let i = 0; i < 4; i++) this.parts.push(n.toString() + "/" + i.toString());
  }
  intact(): bool {
    if (this.label != "item-" + this.n.toString() || this.parts.length != 4) return false;
    for (let i = 0; i < 4; i++) if (this.parts[i] != this.n.toString() + "/" + i.toString()) return false;
    return true;
  }
}
