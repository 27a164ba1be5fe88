// A program's output: what its threads write to stdout and stderr, in whole lines, for the run's result
// (RunResult.stdout, stderr) and, as each line ends, for the caller's callbacks (RunOptions.stdout,
// stderr). Where a program's output goes instead (a child writes where its parent does, family.ts) is the
// runner's to decide; this is only where it ends up.

export class Output {
  private readonly lines: [string[], string[]] = [[], []];   // stdout's, stderr's
  private readonly partial = ["", ""];                        // text not yet ended by a newline

  constructor(private readonly callbacks: { stdout?: (line: string) => void; stderr?: (line: string) => void }) {}

  /** Text written to fd 1 or 2 (anything else counts as 1): each line it ends is kept and passed on. */
  write(fd: number, text: string): void {
    const k = fd === 2 ? 1 : 0;
    const lines = (this.partial[k] + text).split("\n");
    this.partial[k] = lines.pop()!;
    const callback = k ? this.callbacks.stderr : this.callbacks.stdout;
    for (const line of lines) { this.lines[k].push(line); callback?.(line); }
  }

  /** A line for the result's stderr alone: the caller has passed it on itself (a thread's death, traps.ts). */
  keep(line: string): void { this.lines[1].push(line); }

  /** The run ended: text not ended by a newline ends now. */
  end(): void { for (const fd of [1, 2]) if (this.partial[fd - 1]) this.write(fd, "\n"); }

  /** All of fd 1's or 2's lines, each ended by a newline (the result's stdout or stderr). */
  text(fd: 1 | 2): string {
    const lines = this.lines[fd - 1];
    return lines.length ? lines.join("\n") + "\n" : "";
  }
}
