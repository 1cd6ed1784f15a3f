// Shared by the node trust tests: a POSIX shell like the DaemonSet's busybox
// image, and checks that a directory tree holds exactly the trust files a
// plan (dist/trust/plan.js) describes.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';

const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));

/**
 * Shells to run the node trust script with: dash (`sh`) with the host's tools,
 * and, when Debian's busybox is installed, `busybox sh` with ONLY busybox
 * applets on PATH (as in the busybox image the DaemonSet runs).
 * Each: { name, run(script, argv0, env, opts) -> spawnSync result, spawnArgs(script, argv0, env) }.
 * Call cleanup() at the end.
 */
export function trustShells() {
  const shells = [];
  const dirs = [];
  if (spawnSync('sh', ['-c', 'true']).status === 0) {
    shells.push({ name: 'dash', cmd: 'sh', pre: [], path: process.env.PATH });
  }
  if (BUSYBOX) {
    const bin = mkdtempSync(join(tmpdir(), 'creg-busybox-'));
    dirs.push(bin);
    const r = spawnSync(BUSYBOX, ['--install', '-s', bin]);
    if (r.status !== 0) throw new Error(`busybox --install failed: ${r.stderr}`);
    shells.push({ name: 'busybox', cmd: BUSYBOX, pre: ['sh'], path: bin });
  }
  for (const s of shells) {
    s.spawnArgs = (script, argv0, env) => ({
      cmd: s.cmd,
      args: [...s.pre, '-c', script, argv0],
      env: { ...env, PATH: s.path },
    });
    s.run = (script, argv0, env, opts = {}) => {
      const a = s.spawnArgs(script, argv0, env);
      const r = spawnSync(a.cmd, a.args, { env: a.env, encoding: 'utf8', timeout: 20_000, ...opts });
      if (r.error) throw r.error;
      return { status: r.status, out: `${r.stdout}${r.stderr}` };
    };
  }
  return { shells, busybox: BUSYBOX, cleanup: () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })) };
}

/**
 * Asserts that under `root` every directory of `plan` holds exactly the planned
 * files (content byte for byte, mode 0644, regular files, no temporary files
 * left), and that the address directories are mode 0755.
 * `foreign` lists extra file names allowed in an address directory.
 */
export function assertPlanOnDisk(root, plan, { foreign = [] } = {}) {
  for (const d of plan.dirs) {
    const dir = join(root, d.addressDir);
    assert.ok(existsSync(dir), `${dir} exists`);
    assert.is(lstatSync(dir).mode & 0o7777, 0o755, `${dir} is 0755`);
    const names = readdirSync(dir).filter((n) => !foreign.includes(n)).sort();
    assert.equal(names, d.files.map((f) => f.name).sort(), `${dir} holds exactly the planned files`);
    for (const f of d.files) {
      const p = join(root, f.path);
      const st = lstatSync(p);
      assert.ok(st.isFile(), `${p} is a regular file`);
      assert.is(st.mode & 0o7777, f.mode, `${p} mode`);
      assert.is(readFileSync(p, 'utf8'), f.content, `${p} content`);
    }
  }
}

/** Every path under dir (relative), directories with a trailing "/", sorted. */
export function listTree(dir) {
  const out = [];
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${r}/`);
        walk(join(d, e.name), r);
      } else out.push(r);
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out.sort();
}
