// The command line's words: exit codes, the usage error, and how options take their values. Shared by
// the commands (host/cli.ts and host/cli/run.ts).

import { existsSync, statSync } from "node:fs";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;        // a build failed, a module was refused, or main died
export const EXIT_USAGE = 2;          // wrong arguments
export const EXIT_DEADLOCK = 3;       // every thread blocked with nothing to wake them

/** Wrong arguments: said on stderr as "weft: <message>", exit EXIT_USAGE. */
export class UsageError extends Error {}
/** A build in a process of its own failed; it has said why on stderr. */
export class BuildFailed extends Error {}

/** `--` ends weft's options: what follows are the program's arguments (args(), after its path). */
export function splitProgramArgs(args: string[]): [options: string[], programArgs: string[]] {
  const dashes = args.indexOf("--");
  return dashes >= 0 ? [args.slice(0, dashes), args.slice(dashes + 1)] : [args, []];
}

/** --dir's value: a directory that exists. */
export function takeDir(args: string[], i: number): string {
  const d = args[i + 1];
  if (d === undefined || d.startsWith("--")) throw new UsageError(`${args[i]} needs a directory`);
  if (!existsSync(d) || !statSync(d).isDirectory()) throw new UsageError(`--dir ${d}: no such directory`);
  return d;
}

/** --seed's value: a decimal integer from 0 to 2^64 - 1. */
export function takeSeed(args: string[], i: number): bigint {
  const v = args[i + 1];
  if (v === undefined || !/^\d{1,20}$/.test(v) || BigInt(v) >= 1n << 64n) throw new UsageError(`--seed needs an integer from 0 to 2^64-1, got ${v === undefined ? "nothing" : JSON.stringify(v)}`);
  return BigInt(v);
}

/** An integer option within [min, max]. */
export function takeCount(args: string[], i: number, flag: string, min: number, max: number): number {
  const v = args[i + 1];
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`${flag} takes an integer from ${min} to ${max}, got ${v === undefined ? "nothing" : JSON.stringify(v)}`);
  return Number(v);
}

export function takeNumber(args: string[], i: number, flag: string): number {
  const v = args[i + 1];
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${flag} needs a number of bytes, got ${v === undefined ? "nothing" : JSON.stringify(v)}`);
  return Number(v);
}

/** A time (ms) as --slice and --tick take it: a decimal number within (0, max]. */
export function takeMs(args: string[], i: number, flag: string, max: number): number {
  const v = args[i + 1];
  if (v === undefined || !/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`${flag} needs a number of ms, got ${v === undefined ? "nothing" : JSON.stringify(v)}`);
  const ms = Number(v);
  if (!(ms > 0 && ms <= max)) throw new UsageError(`${flag} takes more than 0 and at most ${max} ms, got ${v}`);
  return ms;
}
