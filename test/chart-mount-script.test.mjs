// The mount DaemonSet's script and the registry pod's nas-guard script,
// extracted from the manifests Helm renders and run outside Kubernetes.
//
// NFS itself cannot run here (this kernel has no nfs file system, and the
// tests are not root), so the host side is faked: `nsenter` (checks it is
// asked for `-t 1 -m --`, then runs the command in place), `mount` (records
// its arguments and, on success, appends an nfs4 line to a fake
// /proc/1/mountinfo given as HOST_MOUNTINFO), `umount` (must never run) and
// `sleep` (can make the mount "disappear" between rounds). Every call is
// recorded in a log in a temp dir. What this does NOT cover: the real
// mount.nfs, busybox's nsenter/awk (tests run the script with the local
// /bin/sh, dash, and with bash), kernel mount propagation, and a hung server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  HELMS, buildChart, helmTemplate, mountScriptOf, nasGuardOf, find, tempDir,
} from './helpers/chart.mjs';

const outDir = tempDir('creg-chart-mount-test-');
const { chartDir } = await buildChart({ outputDir: outDir });
const rendered = helmTemplate(HELMS[0].bin, chartDir);
const mount = mountScriptOf(rendered);
const guard = nasGuardOf(find(rendered, 'ReplicationController').spec.template.spec);
const SHELLS = ['sh', 'bash', 'busybox'].filter((s) => spawnSync('sh', ['-c', `command -v ${s}`]).status === 0);

// The chart's images are busybox: under "busybox" the script runs in busybox's
// ash with busybox's awk, sed, mkdir, ... ahead of the system's on PATH (the
// sandbox's stand-ins for nsenter, mount, umount and sleep stay first).
const busyboxApplets = (() => {
  if (!SHELLS.includes('busybox')) return undefined;
  const dir = tempDir('creg-busybox-applets-');
  const bb = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
  for (const applet of spawnSync(bb, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
    if (['nsenter', 'mount', 'umount', 'sleep'].includes(applet)) continue;
    symlinkSync(bb, join(dir, applet));
  }
  return dir;
})();

/** [command, args...] that runs `script` with `argv0` under `shell`, and its env. */
function shellInvocation(shell, script, argv0, env) {
  if (shell !== 'busybox') return { cmd: shell, args: ['-c', script, argv0], env };
  const [first, ...rest] = (env.PATH ?? '').split(':');
  return { cmd: 'busybox', args: ['sh', '-c', script, argv0], env: { ...env, PATH: [first, busyboxApplets, ...rest].join(':') } };
}
const realSleep = spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim();

const SEP = '\x1f';
const record = (name) => `{ printf '%s' ${name}; for a in "$@"; do printf '\\037%s' "$a"; done; printf '\\n'; } >> "$FAKE_LOG"`;

/** A sandbox: fake host commands, fake mountinfo, a log of every call. */
function sandbox() {
  const dir = tempDir('creg-mount-sandbox-');
  const bin = join(dir, 'bin');
  const state = join(dir, 'state');
  mkdirSync(bin);
  mkdirSync(state);
  const fakes = {
    nsenter: `#!/bin/sh
${record('nsenter')}
if [ "$1" != -t ] || [ "$2" != 1 ] || [ "$3" != -m ] || [ "$4" != -- ]; then
  echo "fake nsenter: unexpected arguments" >&2; exit 99
fi
shift 4
exec "$@"
`,
    mount: `#!/bin/sh
${record('mount')}
n=$(cat "$FAKE_STATE/mount-calls" 2>/dev/null || echo 0); n=$((n + 1)); echo "$n" > "$FAKE_STATE/mount-calls"
if [ "$n" -le "\${FAKE_MOUNT_FAILS:-0}" ]; then echo "mount.nfs: Connection timed out" >&2; exit 32; fi
if [ -n "\${FAKE_MOUNT_NOOP:-}" ]; then exit 0; fi
src=""; tgt=""
for a in "$@"; do src="$tgt"; tgt="$a"; done
# Escaped like the kernel does in /proc/*/mountinfo.
esc() { printf '%s' "$1" | sed -e 's/\\\\/\\\\134/g' -e 's/ /\\\\040/g' -e 's/\t/\\\\011/g'; }
printf '%s\\n' "200 1 0:99 / $(esc "$tgt") rw,relatime shared:9 - nfs4 $(esc "$src") rw,vers=4.1" >> "$HOST_MOUNTINFO"
`,
    umount: `#!/bin/sh
${record('umount')}
exit 1
`,
    // Records the hand-over of the data directory; FAKE_CHOWN_FAILS=1 refuses it like root_squash.
    chown: `#!/bin/sh
${record('chown')}
if [ -n "\${FAKE_CHOWN_FAILS:-}" ]; then echo "chown: Operation not permitted" >&2; exit 1; fi
exit 0
`,
    sleep: `#!/bin/sh
${record('sleep')}
if [ -f "$FAKE_STATE/unmount-on-sleep" ]; then rm -f "$FAKE_STATE/unmount-on-sleep"; : > "$HOST_MOUNTINFO"; fi
exec ${realSleep} "$@"
`,
  };
  for (const [name, text] of Object.entries(fakes)) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  const mountinfo = join(dir, 'mountinfo');
  writeFileSync(mountinfo, [
    '22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/root rw',
    '25 22 0:5 / /proc rw,nosuid shared:12 - proc proc rw',
    '',
  ].join('\n'));
  const host = join(dir, 'host'); // stands for the node's root file system
  mkdirSync(host);
  return {
    dir, bin, state, mountinfo, host,
    log: join(dir, 'calls.log'),
    env(extra = {}) {
      return {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: dir,
        FAKE_LOG: join(dir, 'calls.log'),
        FAKE_STATE: state,
        HOST_MOUNTINFO: mountinfo,
        ...mount.env, // the values exactly as rendered into the DaemonSet
        NAS_MOUNT_PATH: join(host, 'eyoh-creg'),
        CHECK_INTERVAL_SECONDS: '0',
        READY_FILE: join(dir, 'ready'),
        // The test's own uid:gid owns what it creates: no hand-over unless a test asks for one.
        DATA_OWNER: `${process.getuid()}:${process.getgid()}`,
        MAX_ROUNDS: '1',
        ...extra,
      };
    },
    calls() {
      if (!existsSync(this.log)) return [];
      return readFileSync(this.log, 'utf8').split('\n').filter(Boolean).map((l) => l.split(SEP));
    },
    /** Commands run in the host mount namespace (arguments after `nsenter -t 1 -m --`). */
    hostCalls() {
      return this.calls().filter((c) => c[0] === 'nsenter').map((c) => c.slice(5));
    },
    cleanup() { rmSync(dir, { recursive: true, force: true }); },
  };
}

function run(shell, env, cwd) {
  const inv = shellInvocation(shell, mount.script, mount.argv0, env);
  const r = spawnSync(inv.cmd, inv.args, { env: inv.env, cwd, encoding: 'utf8', timeout: 20000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

const mountCall = (sb, target) => ['mount', '-t', 'nfs', '-o', mount.env.NAS_MOUNT_OPTIONS,
  `${mount.env.NAS_SERVER}:${mount.env.NAS_PATH}`, target];

test('the rendered DaemonSet passes the values through env, not through the script text', () => {
  assert.is(mount.argv0, 'nas-mount');
  assert.equal(Object.keys(mount.env).sort(),
    ['CHECK_INTERVAL_SECONDS', 'DATA_OWNER', 'NAS_MOUNT_OPTIONS', 'NAS_MOUNT_PATH', 'NAS_PATH', 'NAS_SERVER', 'READY_FILE']);
  assert.is(mount.env.DATA_OWNER, '10001:10001', 'registry.runAsUser:runAsGroup');
  for (const v of ['172.27.128.2', '/nas', '/eyoh-creg', 'nfsvers=4.1']) assert.not.ok(mount.script.includes(v), v);
  assert.ok(SHELLS.length >= 1);
});

for (const shell of SHELLS) {
  const S = `[${shell}]`;

  test(`${S} not mounted: creates the mount point, mounts, then creates registry/ on the export`, () => {
    const sb = sandbox();
    try {
      const target = join(sb.host, 'eyoh-creg');
      const r = run(shell, sb.env(), sb.dir);
      assert.is(r.status, 0, r.out);
      assert.equal(sb.hostCalls(), [
        ['mkdir', '-p', target],
        ['readlink', '-f', target],
        mountCall(sb, target),
        ['mkdir', '-p', `${target}/registry`],
        ['stat', '-c', '%u:%g', `${target}/registry`],
      ]);
      assert.ok(existsSync(join(target, 'registry')));
      assert.ok(existsSync(join(sb.dir, 'ready')), 'ready file for the readiness probe');
      assert.match(readFileSync(sb.mountinfo, 'utf8'), ` ${target} rw,relatime shared:9 - nfs4 172.27.128.2:/nas `);
      assert.match(r.out, 'is mounted at');
    } finally { sb.cleanup(); }
  });

  test(`${S} already mounted: never mounts again, creates registry/ once`, () => {
    const sb = sandbox();
    try {
      const target = join(sb.host, 'eyoh-creg');
      mkdirSync(target);
      writeFileSync(sb.mountinfo, `${readFileSync(sb.mountinfo, 'utf8')}90 22 0:60 / ${target} rw,relatime shared:40 - nfs4 172.27.128.2:/nas rw,vers=4.1\n`);
      const r = run(shell, sb.env({ MAX_ROUNDS: '3' }), sb.dir);
      assert.is(r.status, 0, r.out);
      assert.equal(sb.hostCalls(), [['mkdir', '-p', `${target}/registry`], ['stat', '-c', '%u:%g', `${target}/registry`]]);
      assert.is(sb.calls().filter((c) => c[0] === 'sleep').length, 2, 'checked three times');
      assert.is(sb.calls().filter((c) => c[0] === 'mount' || c[0] === 'umount').length, 0);
    } finally { sb.cleanup(); }
  });

  test(`${S} mount failure: no registry/ dir, not ready, retries every interval until it works`, () => {
    const sb = sandbox();
    try {
      const target = join(sb.host, 'eyoh-creg');
      let r = run(shell, sb.env({ MAX_ROUNDS: '2', FAKE_MOUNT_FAILS: '3', CHECK_INTERVAL_SECONDS: '0' }), sb.dir);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, 'mount failed (exit 32)');
      assert.is(sb.calls().filter((c) => c[0] === 'mount').length, 2);
      assert.equal(sb.calls().filter((c) => c[0] === 'sleep').map((c) => c[1]), ['0']);
      assert.not.ok(existsSync(join(target, 'registry')), 'registry/ must not be created on the local disk');
      assert.not.ok(sb.hostCalls().some((c) => c[0] === 'mkdir' && c[2].endsWith('/registry')));
      assert.not.ok(existsSync(join(sb.dir, 'ready')));
      // Third failure, then success on the fourth attempt.
      r = run(shell, sb.env({ MAX_ROUNDS: '2', FAKE_MOUNT_FAILS: '3' }), sb.dir);
      assert.is(r.status, 0, r.out);
      const calls = sb.hostCalls();
      const lastMount = calls.map((c) => c[0]).lastIndexOf('mount');
      const mkRegistry = calls.findIndex((c) => c[0] === 'mkdir' && c[2] === `${target}/registry`);
      assert.ok(mkRegistry > lastMount, 'registry/ only after the successful mount');
      assert.is(sb.calls().filter((c) => c[0] === 'mount').length, 4);
      assert.ok(existsSync(join(sb.dir, 'ready')));
    } finally { sb.cleanup(); }
  });

  test(`${S} mount exits 0 but nothing is mounted: no registry/ dir`, () => {
    const sb = sandbox();
    try {
      const r = run(shell, sb.env({ FAKE_MOUNT_NOOP: '1' }), sb.dir);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, 'no NFS mount shows');
      assert.not.ok(existsSync(join(sb.host, 'eyoh-creg', 'registry')));
    } finally { sb.cleanup(); }
  });

  test(`${S} a non-NFS file system at the mount point is left alone`, () => {
    const sb = sandbox();
    try {
      const target = join(sb.host, 'eyoh-creg');
      mkdirSync(target);
      writeFileSync(sb.mountinfo, `${readFileSync(sb.mountinfo, 'utf8')}91 22 8:3 / ${target} rw - ext4 /dev/sdb1 rw\n`);
      const r = run(shell, sb.env(), sb.dir);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, 'holds a ext4 mount');
      assert.equal(sb.hostCalls(), []);
    } finally { sb.cleanup(); }
  });

  test(`${S} mounted from another export: warns once, does not remount or unmount`, () => {
    const sb = sandbox();
    try {
      const target = join(sb.host, 'eyoh-creg');
      mkdirSync(target);
      writeFileSync(sb.mountinfo, `${readFileSync(sb.mountinfo, 'utf8')}92 22 0:61 / ${target} rw - nfs 10.0.0.9:/old rw\n`);
      const r = run(shell, sb.env({ MAX_ROUNDS: '3' }), sb.dir);
      assert.is(r.status, 0, r.out);
      assert.is(r.out.split('mounted from 10.0.0.9:/old').length - 1, 1);
      assert.equal(sb.hostCalls(), [['mkdir', '-p', `${target}/registry`], ['stat', '-c', '%u:%g', `${target}/registry`]]);
    } finally { sb.cleanup(); }
  });

  test(`${S} the export disappears (reboot, manual umount): mounted again on the next round`, () => {
    const sb = sandbox();
    try {
      writeFileSync(join(sb.state, 'unmount-on-sleep'), '');
      const r = run(shell, sb.env({ MAX_ROUNDS: '2' }), sb.dir);
      assert.is(r.status, 0, r.out);
      assert.equal(sb.calls().map((c) => c[0]).filter((n) => n !== 'nsenter'), ['mount', 'sleep', 'mount']);
      assert.is(sb.hostCalls().filter((c) => c[0] === 'mkdir' && c[2].endsWith('/registry')).length, 2);
    } finally { sb.cleanup(); }
  });

  test(`${S} hands registry/ to DATA_OWNER once (chown -R), only when its owner differs`, () => {
    const sb = sandbox();
    try {
      const target = join(sb.host, 'eyoh-creg');
      const r = run(shell, sb.env({ DATA_OWNER: '10001:10001', MAX_ROUNDS: '2' }), sb.dir);
      assert.is(r.status, 0, r.out);
      assert.equal(sb.hostCalls().slice(3), [
        ['mkdir', '-p', `${target}/registry`],
        ['stat', '-c', '%u:%g', `${target}/registry`],
        ['chown', '-R', '10001:10001', `${target}/registry`],
      ], 'once: the second round finds the mount ready');
      assert.match(r.out, `handing ${target}/registry (owned by ${process.getuid()}:${process.getgid()}) to 10001:10001`);
      assert.ok(existsSync(join(sb.dir, 'ready')));
    } finally { sb.cleanup(); }
  });

  test(`${S} an export that refuses the chown (root_squash): not ready, says what to run on the NAS, retries`, () => {
    const sb = sandbox();
    try {
      const r = run(shell, sb.env({ DATA_OWNER: '10001:10001', FAKE_CHOWN_FAILS: '1', MAX_ROUNDS: '2' }), sb.dir);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, 'on the NFS server, run chown -R 10001:10001');
      assert.is(sb.calls().filter((c) => c[0] === 'chown').length, 2, 'tried again on the next round');
      assert.not.ok(existsSync(join(sb.dir, 'ready')));
    } finally { sb.cleanup(); }
  });

  test(`${S} refuses a DATA_OWNER that is not uid:gid`, () => {
    const sb = sandbox();
    try {
      for (const bad of ['root', '10001', '1:2:3', '1:x', '$(id):1']) {
        const r = run(shell, sb.env({ DATA_OWNER: bad }), sb.dir);
        assert.is(r.status, 2, `${bad}: ${r.out}`);
        assert.match(r.out, 'DATA_OWNER must be uid:gid');
      }
    } finally { sb.cleanup(); }
  });

  test(`${S} hostile-looking values stay single literal arguments (nothing is executed)`, () => {
    const sb = sandbox();
    try {
      const target = join(sb.host, 'm;$(touch pwned-mp) `touch pwned-bq` \\x');
      const env = sb.env({
        NAS_SERVER: 'nas;touch pwned-server',
        NAS_PATH: '/x $(touch pwned-path) && touch pwned-and',
        NAS_MOUNT_PATH: target,
        NAS_MOUNT_OPTIONS: 'vers=4,$(touch pwned-opt) *',
      });
      const r = run(shell, env, sb.dir);
      assert.is(r.status, 0, r.out);
      assert.equal(sb.hostCalls()[2], ['mount', '-t', 'nfs', '-o', 'vers=4,$(touch pwned-opt) *,nosuid,nodev',
        'nas;touch pwned-server:/x $(touch pwned-path) && touch pwned-and', target]);
      assert.ok(existsSync(join(target, 'registry')));
      const everywhere = [...readdirSync(sb.dir), ...readdirSync(sb.host), ...readdirSync(sb.bin)];
      assert.not.ok(everywhere.some((f) => f.startsWith('pwned')), everywhere.join(' '));
    } finally { sb.cleanup(); }
  });

  test(`${S} refuses a relative or root mount path and a non-numeric interval`, () => {
    const sb = sandbox();
    try {
      for (const extra of [{ NAS_MOUNT_PATH: '/' }, { NAS_MOUNT_PATH: 'eyoh-creg' }, { CHECK_INTERVAL_SECONDS: '1;reboot' }]) {
        const r = run(shell, sb.env(extra), sb.dir);
        assert.is(r.status, 2, `${JSON.stringify(extra)}: ${r.out}`);
      }
      assert.equal(sb.calls(), []);
    } finally { sb.cleanup(); }
  });

  test(`${S} a symbolic link on the way to the mount point is refused (nothing mounted over its target)`, () => {
    const sb = sandbox();
    try {
      const victim = join(sb.host, 'etc');
      mkdirSync(victim);
      symlinkSync(victim, join(sb.host, 'planted'));
      const target = join(sb.host, 'planted', 'creg');
      const r = run(shell, sb.env({ NAS_MOUNT_PATH: target }), sb.dir);
      assert.is(r.status, 1, r.out);
      assert.match(r.out, /refusing to mount: .*planted\/creg is .*etc\/creg on the host \(a symbolic link on the way\)/);
      assert.not.ok(sb.hostCalls().some((c) => c[0] === 'mount'), 'no mount');
      assert.not.ok(existsSync(join(sb.dir, 'ready')));
    } finally { sb.cleanup(); }
  });

  test(`${S} suid and dev are refused; nosuid,nodev are added when the options lack them`, () => {
    const sb = sandbox();
    try {
      for (const opts of ['hard,suid', 'dev', 'suid,nosuid']) {
        const r = run(shell, sb.env({ NAS_MOUNT_OPTIONS: opts }), sb.dir);
        assert.is(r.status, 2, `${opts}: ${r.out}`);
        assert.match(r.out, /refusing mount options .*: suid and dev are not allowed/);
      }
      assert.equal(sb.calls(), [], 'nothing mounted');
      for (const [given, used] of [['', 'nosuid,nodev'], ['hard', 'hard,nosuid,nodev'], ['nodev,hard', 'nodev,hard,nosuid'], ['nosuid,nodev,noexec', 'nosuid,nodev,noexec']]) {
        const one = sandbox();
        try {
          const r = run(shell, one.env({ NAS_MOUNT_OPTIONS: given }), one.dir);
          assert.is(r.status, 0, r.out);
          assert.equal(one.hostCalls().find((c) => c[0] === 'mount').slice(0, 5), ['mount', '-t', 'nfs', '-o', used], given);
        } finally { one.cleanup(); }
      }
    } finally { sb.cleanup(); }
  });

  test(`${S} NSENTER overrides the nsenter command`, () => {
    const sb = sandbox();
    try {
      const other = join(sb.dir, 'my-nsenter');
      writeFileSync(other, `#!/bin/sh\necho other >> "$FAKE_STATE/other"\nexec ${join(sb.bin, 'nsenter')} "$@"\n`);
      chmodSync(other, 0o755);
      const r = run(shell, sb.env({ NSENTER: other }), sb.dir);
      assert.is(r.status, 0, r.out);
      assert.is(readFileSync(join(sb.state, 'other'), 'utf8').trim().split('\n').length, 5, 'mkdir, readlink, mount, mkdir registry/, stat');
    } finally { sb.cleanup(); }
  });

  test(`${S} TERM stops the loop at once and never unmounts`, async () => {
    const sb = sandbox();
    try {
      const inv = shellInvocation(shell, mount.script, mount.argv0, sb.env({ MAX_ROUNDS: '0', CHECK_INTERVAL_SECONDS: '30' }));
      const child = spawn(inv.cmd, inv.args, { env: inv.env, cwd: sb.dir });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      const t0 = Date.now();
      while (!existsSync(join(sb.dir, 'ready'))) {
        if (Date.now() - t0 > 10000) { child.kill('SIGKILL'); throw new Error(`never ready: ${out}`); }
        await new Promise((r) => setTimeout(r, 50));
      }
      const t1 = Date.now();
      child.kill('SIGTERM');
      const { code } = await exited;
      assert.is(code, 0, out);
      assert.ok(Date.now() - t1 < 5000, 'did not wait for the 30 s sleep');
      assert.match(out, 'stays mounted');
      assert.is(sb.calls().filter((c) => c[0] === 'umount').length, 0);
      assert.match(readFileSync(sb.mountinfo, 'utf8'), 'nfs4');
    } finally { sb.cleanup(); }
  });

  test(`${S} nas-guard: passes only when /var/lib/registry is an NFS mount`, () => {
    const sb = sandbox();
    try {
      const runGuard = (lines) => {
        writeFileSync(sb.mountinfo, lines.join('\n') + '\n');
        const inv = shellInvocation(shell, guard.script, guard.argv0, { PATH: `${sb.bin}:${process.env.PATH}`, ...guard.env, MOUNTINFO: sb.mountinfo });
        const r = spawnSync(inv.cmd, inv.args, { env: inv.env, encoding: 'utf8' });
        return { status: r.status, out: r.stdout + r.stderr };
      };
      const root = '1500 1400 0:90 / / rw - overlay overlay rw';
      assert.is(runGuard([root, '1510 1500 0:60 /registry /var/lib/registry ro - nfs4 172.27.128.2:/nas rw']).status, 0);
      assert.is(runGuard([root, '1510 1500 0:60 /registry /var/lib/registry ro - nfs 172.27.128.2:/nas rw']).status, 0);
      let r = runGuard([root, '1510 1500 259:2 /eyoh-creg/registry /var/lib/registry ro - ext4 /dev/root rw']);
      assert.is(r.status, 1);
      assert.match(r.out, 'not on NFS (file system: ext4)');
      assert.match(r.out, '/eyoh-creg');
      r = runGuard([root]);
      assert.is(r.status, 1);
      assert.match(r.out, 'not a mount point');
      // The last (topmost) mount counts.
      assert.is(runGuard([root, '1510 1500 0:60 / /var/lib/registry rw - nfs4 a:/b rw', '1520 1510 0:7 / /var/lib/registry rw - tmpfs tmpfs rw']).status, 1);
    } finally { sb.cleanup(); }
  });
}

test('mount test output cleaned up', () => {
  rmSync(outDir, { recursive: true, force: true });
  if (busyboxApplets) rmSync(busyboxApplets, { recursive: true, force: true });
});

test.run();
