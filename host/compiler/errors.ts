// The one error a build throws: its message is one line (`weft build: ...`), the compiler's own output
// rides along in `diagnostics`. In a file of its own so that the passes can throw it without importing
// the pipeline that runs them.

/** A build that failed: `message` says why in one line; `diagnostics` holds the compiler's output. */
export class BuildError extends Error {
  constructor(message: string, readonly diagnostics = "") {
    super(message);
    this.name = "BuildError";
  }
}
