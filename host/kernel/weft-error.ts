// The error weft's host throws for what it refuses: a bad module, a wrong option, a run that cannot go on.

/** A module or run the host refuses, with a one-line reason. */
export class WeftError extends Error {
  constructor(message: string) { super(message); this.name = "WeftError"; }
}
