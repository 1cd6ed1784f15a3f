// Writes a trust plan (plan.ts) into this machine's certs.d directories, with
// the node trust script's rules (chart-templates/files/node-trust.sh): every
// file goes to a temporary name in the same directory and is renamed into
// place, only when its content differs; an address directory is managed only
// when it carries our marker or holds no ca.crt/hosts.toml; nothing else is
// touched. Every directory is checked before the first file is written, so a
// conflict leaves everything as it was. Unlike the DaemonSet, it does not
// delete other addresses of the same owner when trusting: one workstation may
// trust several clusters whose releases share a name (same owner); `--remove`
// deletes explicitly (removeTrust).
import { type Stats, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { MARKER_FILE, MANAGED_FILES, type PlannedDir, type TrustPlan } from './plan.js';

export class TrustApplyError extends Error {
  constructor(message: string, readonly path?: string, readonly code?: string) {
    super(message);
    this.name = 'TrustApplyError';
  }
}

export type DirOutcome =
  | { kind: string; dir: string; state: 'written'; files: string[] }
  | { kind: string; dir: string; state: 'unchanged' }
  | { kind: string; dir: string; state: 'already-trusted'; by: string };

export interface ApplyResult {
  dirs: DirOutcome[];
}

function readOrUndefined(path: string): string | undefined {
  try {
    const st = lstatSync(path);
    if (!st.isFile()) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The owner in a marker file, or undefined when there is none (or it is not a regular file). */
function markerOwner(dir: string): string | undefined {
  return readOrUndefined(join(dir, MARKER_FILE))?.trim();
}

/**
 * A directory trust files are written into must belong to this user or root
 * and be writable by nobody else: otherwise its owner could swap ca.crt for
 * their own CA after creg-chart wrote it.
 */
function assertSafeDirectory(dir: string, st: Stats): void {
  const me = typeof process.geteuid === 'function' ? process.geteuid() : 0;
  if (st.uid !== me && st.uid !== 0) {
    throw new TrustApplyError(`${dir} belongs to uid ${st.uid}, not to you (uid ${me}) or root: its owner could replace the trust files. Check who made it; then chown root:root it (or remove it) and run again.`, dir);
  }
  if ((st.mode & 0o022) !== 0 && !(st.mode & 0o1000)) {
    throw new TrustApplyError(`${dir} is writable by ${st.mode & 0o002 ? 'everyone' : 'its group'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}): others could replace the trust files. Run chmod go-w on it and run again.`, dir);
  }
}

type Decision = { action: 'write' } | { action: 'keep'; by: string };

/** Decides, without writing, what to do with one planned directory; throws on a conflict. */
function check(d: PlannedDir, root: string, owner: string): Decision {
  const dir = root + d.addressDir;
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return { action: 'write' };
  }
  if (!st.isDirectory()) {
    throw new TrustApplyError(`${dir} exists but is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}; creg-chart does not follow or replace it. Remove it, or leave out --runtime ${d.kind}.`, dir);
  }
  assertSafeDirectory(dir, st);
  try {
    assertSafeDirectory(dirname(dir), lstatSync(dirname(dir)));
  } catch (e) {
    if (e instanceof TrustApplyError) throw e;
  }
  // Already trusting: ca.crt holds this CA and the other files are absent or identical (containerd reads
  // *.crt from a directory without hosts.toml).
  const same = d.files.filter((f) => f.name !== MARKER_FILE).every((f) => {
    const have = readOrUndefined(root + f.path);
    return have === f.content || (f.name !== 'ca.crt' && have === undefined && !exists(root + f.path));
  });
  const marker = markerOwner(dir);
  if (marker === owner) return { action: 'write' };
  if (marker !== undefined) {
    if (same) return { action: 'keep', by: `creg-chart release ${marker} (node trust DaemonSet)` };
    throw new TrustApplyError(
      `${dir} is managed by creg-chart release ${marker} (its node trust DaemonSet, marker ${MARKER_FILE}) and holds other trust files; let that release keep it, or remove the directory first.`,
      dir,
    );
  }
  const theirs = d.files.filter((f) => f.name !== MARKER_FILE && exists(root + f.path));
  if (theirs.length === 0) return { action: 'write' };
  if (same) return { action: 'keep', by: 'files not written by creg-chart (they already hold this CA)' };
  throw new TrustApplyError(
    `${theirs.map((f) => root + f.path).join(' and ')} ${theirs.length > 1 ? 'exist' : 'exists'} but ${theirs.length > 1 ? 'were' : 'was'} not written by creg-chart (no ${MARKER_FILE}) and ${theirs.length > 1 ? 'differ' : 'differs'} from what creg-chart would write; creg-chart does not overwrite it. Move it away and run creg-chart trust again, or use --print to see the files.`,
    root + theirs[0].path,
  );
}

/** Removes our files from an old address directory, then the directory if empty. Returns true when it went. */
function removeOurs(dir: string): boolean {
  // hosts.toml before ca.crt: containerd never reads a hosts.toml whose CA file is gone.
  for (const name of ['hosts.toml', ...MANAGED_FILES.filter((n) => n !== MARKER_FILE && n !== 'hosts.toml')]) rmSync(join(dir, name), { force: true });
  rmSync(join(dir, MARKER_FILE), { force: true });
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/**
 * Deletes what creg-chart wrote for `owner` under `root`: in each certs.d directory, every address
 * directory (or only `address`) whose marker names `owner`; files without our marker, and other owners'
 * directories, are left alone. Returns the directories handled.
 */
export function removeTrust(owner: string, certsDirs: string[], root = '', address?: string): { removed: string[]; kept: string[] } {
  const r = root.replace(/\/+$/, '');
  const out = { removed: [] as string[], kept: [] as string[] };
  for (const certsDir of certsDirs) {
    let names: string[];
    try {
      names = address ? [address] : readdirSync(r + certsDir);
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = join(r + certsDir, name);
      try {
        if (!lstatSync(dir).isDirectory()) continue;
      } catch {
        continue;
      }
      if (markerOwner(dir) !== owner) continue;
      (removeOurs(dir) ? out.removed : out.kept).push(dir);
    }
  }
  return out;
}

/**
 * Applies the plan under `root` ('' for this machine's real paths). Throws TrustApplyError on a conflict
 * (before anything is written) and the file system's error (EACCES...) otherwise.
 */
export function applyTrustPlan(plan: TrustPlan, root = ''): ApplyResult {
  const r = root.replace(/\/+$/, '');
  const decisions = plan.dirs.map((d) => ({ d, decision: check(d, r, plan.owner) }));
  const result: ApplyResult = { dirs: [] };
  for (const { d, decision } of decisions) {
    const dir = r + d.addressDir;
    if (decision.action === 'keep') {
      result.dirs.push({ kind: d.kind, dir, state: 'already-trusted', by: decision.by });
      continue;
    }
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const written: string[] = [];
    for (const f of d.files) {
      const p = r + f.path;
      const st = exists(p) ? lstatSync(p) : undefined;
      if (st?.isFile() && (st.mode & 0o7777) === f.mode && readOrUndefined(p) === f.content) continue;
      writeFileAtomic(p, f.content, f.mode);
      written.push(f.name);
    }
    result.dirs.push(written.length ? { kind: d.kind, dir, state: 'written', files: written } : { kind: d.kind, dir, state: 'unchanged' });
  }
  return result;
}
