// Writes a mirror plan (mirror.ts) on this machine for `creg-chart trust --release --mirrors`, with the
// node trust DaemonSet's ownership rules (chart-templates/files/node-mirror.sh): a containerd
// `certs.d/<host>` directory is managed only when it carries our mirror marker or does not exist / is
// empty; a registries.conf.d drop-in only when it carries our marker line, and never when another
// drop-in already configures the same registry. Unlike the DaemonSet (which skips and reports a host),
// every conflict is found before the first file is written and stops the command: nothing changes.
import { lstatSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';
import { TrustApplyError } from './apply.js';
import { MIRROR_FILES, MIRROR_MARKER_FILE, type MirrorFile, type MirrorPlan, dropInMarkerLine, registriesDropInName } from './mirror.js';
import { shQuote } from './plan.js';

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function readFile(path: string): string | undefined {
  const st = lstatOrUndefined(path);
  return st?.isFile() ? readFileSync(path, 'utf8') : undefined;
}

function mirrorOwner(dir: string): string | undefined {
  return readFile(join(dir, MIRROR_MARKER_FILE))?.trim();
}

/** Another *.conf in `dir` that configures `host` (prefix or location), if any. */
function otherDropInFor(dir: string, own: string, host: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.conf') && n !== own).sort();
  } catch {
    return undefined;
  }
  const esc = host.replace(/[.]/g, '[.]');
  const re = new RegExp(`^\\s*(prefix|location)\\s*=\\s*"${esc}(/[^"]*)?"`, 'm');
  return names.map((n) => join(dir, n)).find((p) => re.test(readFile(p) ?? ''));
}

/** Checks every target before anything is written; throws TrustApplyError on the first conflict. */
export function checkMirrorPlan(plan: MirrorPlan, root = ''): void {
  const r = root.replace(/\/+$/, '');
  for (const d of plan.containerd?.dirs ?? []) {
    const dir = r + d.dir;
    const st = lstatOrUndefined(dir);
    if (!st) continue;
    if (!st.isDirectory()) {
      throw new TrustApplyError(`${dir} exists but is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}; creg-chart does not follow or replace it. Remove it, or leave out --runtime containerd.`, dir);
    }
    const by = mirrorOwner(dir);
    if (by === plan.owner) continue;
    if (by !== undefined) {
      throw new TrustApplyError(`${dir} is the mirror configuration of creg-chart release ${by}, not ${plan.owner}; one release per mirrored registry. Remove it first (creg-chart trust --remove --owner ${by}).`, dir);
    }
    if (readdirSync(dir).length > 0) {
      throw new TrustApplyError(`${dir} holds a hosts.toml or other files that creg-chart did not write (no ${MIRROR_MARKER_FILE}); creg-chart does not overwrite them. Move them away to let pulls of ${d.host} use the mirror, or leave out --runtime containerd.`, dir);
    }
  }
  if (plan.containers) {
    const path = r + plan.containers.file.path;
    const st = lstatOrUndefined(path);
    if (st && (!st.isFile() || !(readFile(path) ?? '').split('\n').includes(dropInMarkerLine(plan.owner)))) {
      throw new TrustApplyError(`${path} exists but was not written by creg-chart for ${plan.owner} (no line "${dropInMarkerLine(plan.owner)}"); creg-chart does not overwrite it.`, path);
    }
    for (const host of plan.hosts) {
      const other = otherDropInFor(r + plan.containers.dir, plan.containers.file.name, host);
      if (other) {
        throw new TrustApplyError(`${other} already configures ${host} for podman/CRI-O; creg-chart does not compete with it (drop-ins override each other by file name). Remove ${host} from it, or leave out --runtime containers.`, other);
      }
    }
  }
}

export type MirrorOutcome = { path: string; state: 'written' | 'unchanged' };

function writeIfChanged(root: string, f: MirrorFile): MirrorOutcome {
  const p = root + f.path;
  const st = lstatOrUndefined(p);
  if (st?.isFile() && (st.mode & 0o7777) === f.mode && readFile(p) === f.content) return { path: p, state: 'unchanged' };
  writeFileAtomic(p, f.content, f.mode);
  return { path: p, state: 'written' };
}

/** Checks, then writes the plan under `root`. Returns what each file became. */
export function applyMirrorPlan(plan: MirrorPlan, root = ''): MirrorOutcome[] {
  const r = root.replace(/\/+$/, '');
  checkMirrorPlan(plan, r);
  const out: MirrorOutcome[] = [];
  for (const d of plan.containerd?.dirs ?? []) for (const f of d.files) out.push(writeIfChanged(r, f));
  if (plan.containers) out.push(writeIfChanged(r, plan.containers.file));
  return out;
}

/** Deletes the mirror files of `owner`: containerd `<host>` directories with our marker, and our drop-in. */
export function removeMirrors(owner: string, containerdDir: string | undefined, registriesDir: string | undefined, root = ''): string[] {
  const r = root.replace(/\/+$/, '');
  const removed: string[] = [];
  if (containerdDir) {
    let names: string[] = [];
    try {
      names = readdirSync(r + containerdDir);
    } catch {
      names = [];
    }
    for (const name of names) {
      const dir = join(r + containerdDir, name);
      if (!lstatOrUndefined(dir)?.isDirectory() || mirrorOwner(dir) !== owner) continue;
      for (const f of ['hosts.toml', ...MIRROR_FILES.filter((n) => n !== 'hosts.toml' && n !== MIRROR_MARKER_FILE), MIRROR_MARKER_FILE]) rmSync(join(dir, f), { force: true });
      try {
        rmdirSync(dir);
      } catch {
        /* other files remain: the directory stays */
      }
      removed.push(dir);
    }
  }
  if (registriesDir) {
    const path = join(r + registriesDir, registriesDropInName(owner));
    if (lstatOrUndefined(path)?.isFile() && (readFile(path) ?? '').split('\n').includes(dropInMarkerLine(owner))) {
      rmSync(path, { force: true });
      removed.push(path);
    }
  }
  return removed;
}

/** Shell lines that write the plan (for `--print`); the caller's script has `set -eu`. */
export function mirrorPlanToShell(plan: MirrorPlan, root = ''): string[] {
  const r = root.replace(/\/+$/, '');
  const out = ['', `# mirror mode: pulls of ${plan.hosts.join(', ')} try ${plan.address.address} first`];
  for (const d of plan.containerd?.dirs ?? []) {
    const dir = shQuote(r + d.dir);
    out.push(
      `if [ -L ${dir} ] || { [ -d ${dir} ] && [ -n "$(ls -A ${dir})" ] && [ "$(cat ${dir}/${MIRROR_MARKER_FILE} 2>/dev/null)" != ${shQuote(plan.owner)} ]; }; then echo "creg-chart trust: "${dir}" holds files creg-chart did not write; move them away first" >&2; exit 1; fi`,
    );
  }
  const files = [...(plan.containerd?.dirs.flatMap((d) => d.files) ?? []), ...(plan.containers ? [plan.containers.file] : [])];
  for (const f of files) {
    const target = shQuote(r + f.path);
    const tmp = shQuote(`${r}${f.path.replace(/\/([^/]+)$/, '/.$1.tmp.creg')}`);
    let eof = 'CREG_EOF';
    while (f.content.includes(eof)) eof += '_';
    out.push(`mkdir -p ${shQuote(r + f.path.replace(/\/[^/]+$/, ''))}`);
    if (f.content.endsWith('\n')) out.push(`cat > ${tmp} <<'${eof}'`, f.content.replace(/\n$/, ''), eof);
    else out.push(`printf '%s' ${shQuote(f.content)} > ${tmp}`);
    out.push(`chmod 0644 ${tmp}`, `mv -f ${tmp} ${target}`);
  }
  return out;
}

/** Shell lines that delete the mirror files of `owner` (for `--remove --print`); appended to removalToShell's script. */
export function mirrorRemovalToShell(owner: string, containerdDir: string | undefined, registriesDir: string | undefined, root = ''): string[] {
  const r = root.replace(/\/+$/, '');
  const out = ['', `# mirror mode: the mirror configuration of ${owner}`];
  if (containerdDir) {
    out.push(
      `for d in ${shQuote(r + containerdDir)}/*; do`,
      `  [ -d "$d" ] && [ ! -L "$d" ] && [ "$(cat "$d/${MIRROR_MARKER_FILE}" 2>/dev/null)" = ${shQuote(owner)} ] || continue`,
      `  rm -f "$d/hosts.toml" "$d/ca.crt" "$d/${MIRROR_MARKER_FILE}"`,
      '  if rmdir "$d" 2>/dev/null; then echo "removed $d"; else echo "removed our mirror files from $d (other files kept)"; fi',
      'done',
    );
  }
  if (registriesDir) {
    const f = shQuote(`${r}${registriesDir}/${registriesDropInName(owner)}`);
    out.push(`if [ -f ${f} ] && [ ! -L ${f} ] && grep -qxF ${shQuote(dropInMarkerLine(owner))} ${f}; then rm -f ${f}; echo "removed "${f}; fi`);
  }
  return out;
}
