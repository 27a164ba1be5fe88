// Granted-only access: the host paths and TCP addresses a program may use. Nothing is granted by default;
// files.ts asks `path` before every call that names a path, net.ts asks `listen` and `connect`.
//
// Design note: paths
// ------------------
// A guest path is relative and names a host path resolved against the host's working directory (as it
// was when the grants were made). It is allowed only when it lies inside (or is) a granted directory by
// both of two tests:
//   1. lexically: its normalized form (`.` and `..` folded) lies inside a granted directory as given.
//      This refuses `..` escapes without touching the file system.
//   2. really: its real path lies inside the real path of a granted directory. This refuses symlinks
//      inside a granted directory that lead out of it. A path that does not exist yet has as real path
//      the real path of its nearest existing ancestor plus the rest, except that a dangling symlink on the
//      way is followed to its target (O_CREATE through a symlink makes the file at the target, so the
//      target is what must be inside).
// Absolute guest paths (a Windows-style one too, on any host) are refused outright: a program names
// files relative to where it is run, never by the host's layout. A refused path is EACCES whether or not
// it exists, so a program cannot probe what lies outside; a path that passes and does not exist fails
// with ENOENT from the call itself.
//
// The answer is the real host path and the call uses it, so the path checked is the path used. Another
// process could still swap a directory for a symlink between the check and the call (openat2's
// RESOLVE_BENEATH would close that inside the kernel, but Node does not offer it): so the answer also
// carries the real granted directories it was checked against, and confine.ts makes the call through a
// descriptor whose place it verifies against them (on Linux; its design note says what that closes).
//
// The checks use realpath and lstat synchronously on the processor's thread in every mode: they read
// metadata the kernel normally has cached (microseconds), and doing them asynchronously would make every
// path call wait twice.
//
// Design note: addresses
// ----------------------
// An address is "host:port" or "[v6 address]:port"; a grant has the same form. A listen grant with port
// 0 grants any port on its host; "*" as a grant's port grants any port, for listen and connect. Hosts
// compare as text after lower-casing (IPv6 addresses in their canonical form): no name is looked up, so
// granting "localhost:80" does not grant "127.0.0.1:80".

import path from "node:path";
import { realpathSync, lstatSync, readlinkSync } from "node:fs";
import { isIPv6 } from "node:net";
import { ERRNO, errnoOf } from "./abi.js";

export interface GrantOptions {
  /** Host directories the program may use, and everything under them: absolute or relative to the
   *  working directory. */
  dirs?: string[];
  /** Addresses the program may listen on ("host:port"; port 0 or "*": any port on that host). */
  listen?: string[];
  /** Addresses the program may connect to (port "*": any port on that host). */
  connect?: string[];
}

/** A host and port to listen on or connect to. `host` has no brackets ("::1"), as Node's net wants. */
export interface Address { host: string; port: number }

/** A granted address: its port may be "*" (any). */
interface AddressGrant { host: string; port: number | "*" }

/** Symlinks one path may pass through before ELOOP, as Linux's MAXSYMLINKS. */
const SYMLINKS_MAX = 40;

/** A path that passed the check: its real host path, and the real paths of the granted directories
 *  (those that exist) as they were when it was checked, which confine.ts verifies descriptors against. */
export interface CheckedPath { path: string; grantedReal: string[] }

export class Grants {
  /** The working directory guest paths and relative grants are resolved against. */
  readonly cwd = process.cwd();
  private readonly dirs: string[];
  private readonly listenGrants: AddressGrant[];
  private readonly connectGrants: AddressGrant[];

  /** Throws on a malformed address grant (a mistake in the run's configuration, not the program's). */
  constructor(readonly options: GrantOptions) {
    this.dirs = (options.dirs ?? []).map((d) => path.resolve(this.cwd, d));
    this.listenGrants = (options.listen ?? []).map((a) => grantOf(a, "listen"));
    this.connectGrants = (options.connect ?? []).map((a) => grantOf(a, "connect"));
  }

  /** The host path for guest path `guest`, or a negated errno: EACCES when it is absolute or leaves every
   *  granted directory, ENOENT when it is empty, EINVAL when it holds a 0 character. `follow` false: a
   *  symlink as the last component is not followed (unlink and mkdir work on the link itself). */
  path(guest: string, follow = true): string | number {
    const checked = this.check(guest, follow);
    return typeof checked === "number" ? checked : checked.path;
  }

  /** As `path`, with the real granted directories the answer was checked against. */
  check(guest: string, follow = true): CheckedPath | number {
    if (guest === "") return -ERRNO.ENOENT;                                      // as POSIX has it
    if (guest.includes("\0")) return -ERRNO.EINVAL;
    if (path.isAbsolute(guest) || path.win32.isAbsolute(guest)) return -ERRNO.EACCES;
    const normal = path.resolve(this.cwd, guest);
    if (!this.dirs.some((d) => inside(d, normal))) return -ERRNO.EACCES;        // test 1
    let real: string;
    try {
      real = follow || normal === path.dirname(normal) ? realOf(normal, 0)
        : path.join(realOf(path.dirname(normal), 0), path.basename(normal));
    } catch (e) { return errnoOf(e); }
    const grantedReal: string[] = [];
    for (const d of this.dirs) {
      try { grantedReal.push(realOf(d, 0)); } catch { /* a granted directory that is not there grants nothing */ }
    }
    if (!grantedReal.some((d) => inside(d, real))) return -ERRNO.EACCES;        // test 2
    return { path: real, grantedReal };
  }

  /** Where to listen for `address`, or -EACCES (not granted), -EINVAL (malformed). */
  listen(address: string): Address | number {
    const a = addressOf(address);
    if (!a) return -ERRNO.EINVAL;
    const granted = this.listenGrants.some((g) => g.host === a.host
      && (g.port === "*" || g.port === 0 || g.port === a.port));
    return granted ? a : -ERRNO.EACCES;
  }

  /** Where to connect for `address`, or -EACCES (not granted), -EINVAL (malformed). */
  connect(address: string): Address | number {
    const a = addressOf(address);
    if (!a) return -ERRNO.EINVAL;
    const granted = this.connectGrants.some((g) => g.host === a.host && (g.port === "*" || g.port === a.port));
    return granted ? a : -ERRNO.EACCES;
  }
}

/** Whether `p` is `dir` or lies under it (both absolute and normalized). */
function inside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === "" || (rel !== ".." && !rel.startsWith(".." + path.sep) && !path.isAbsolute(rel));
}

/** The real path of absolute `p`, which need not exist (design note, test 2). Throws what realpath or
 *  readlink throw for anything but a missing component (ELOOP, EACCES on a directory on the way...). */
function realOf(p: string, symlinks: number): string {
  try { return realpathSync.native(p); }
  catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") throw e;
  }
  const parent = path.dirname(p);
  if (parent === p) return p;
  let link = false;
  try { link = lstatSync(p).isSymbolicLink(); } catch { /* missing: the rest is appended as it is */ }
  if (!link) return path.join(realOf(parent, symlinks), path.basename(p));
  if (symlinks >= SYMLINKS_MAX) throw Object.assign(new Error(`too many symlinks: ${p}`), { code: "ELOOP" });
  let target: string;
  try { target = readlinkSync(p); }
  catch (e) {                         // EINVAL: no longer a symlink since lstat; ENOENT: gone. Look again.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "ENOENT") throw e;
    return realOf(p, symlinks + 1);
  }
  return realOf(path.resolve(realOf(parent, symlinks), target), symlinks + 1);
}

/** Parses "host:port" or "[v6]:port"; port "*" only when `wildcard`. null when malformed. */
function parse(text: string, wildcard: boolean): AddressGrant | null {
  const m = /^\[([^\]]+)\]:([^:]+)$/.exec(text) ?? /^([^:[\]]+):([^:]+)$/.exec(text);
  if (!m) return null;
  let host = m[1].toLowerCase();
  if (text.startsWith("[")) {
    if (!isIPv6(host)) return null;
    host = new URL(`http://[${host}]/`).hostname.slice(1, -1);               // canonical form
  }
  if (m[2] === "*") return wildcard ? { host, port: "*" } : null;
  if (!/^\d{1,5}$/.test(m[2]) || Number(m[2]) > 65535) return null;
  return { host, port: Number(m[2]) };
}

function addressOf(text: string): Address | null {
  return parse(text, false) as Address | null;
}

function grantOf(text: string, kind: string): AddressGrant {
  const g = parse(text, true);
  if (!g) throw new Error(`grants: ${kind} address ${JSON.stringify(text)} is not host:port or [v6]:port`);
  return g;
}
