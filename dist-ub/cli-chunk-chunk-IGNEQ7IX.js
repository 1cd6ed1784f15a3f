import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);

// src/trust/plan.ts
import { isIP } from "node:net";
var RUNTIME_KINDS = ["containerd", "docker", "containers"];
var DEFAULT_CERTS_DIRS = {
  containerd: "/etc/containerd/certs.d",
  docker: "/etc/docker/certs.d",
  containers: "/etc/containers/certs.d"
};
var MARKER_FILE = ".creg-chart-owner";
var MANAGED_FILES = [MARKER_FILE, "ca.crt", "hosts.toml"];
var TrustInputError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "TrustInputError";
  }
};
var HOSTNAME = /^([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?\.)*[A-Za-z]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;
function formatAddress(host, port) {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TrustInputError(`The registry port must be a number from 1 to 65535, not ${JSON.stringify(port)}.`);
  }
  let h = host.trim();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.includes(":")) {
    if (isIP(h) !== 6) throw new TrustInputError(`"${host}" is not an IP address or host name.`);
    return { host: h, port, address: `[${h}]:${port}` };
  }
  if (isIP(h) !== 4 && !(HOSTNAME.test(h) && !/^[0-9.]+$/.test(h) && h.length <= 253)) {
    throw new TrustInputError(`"${host}" is not an IP address or host name.`);
  }
  return { host: h, port, address: `${h}:${port}` };
}
function parseAddress(text) {
  const s = text.trim().replace(/^https:\/\//, "").replace(/\/+$/, "");
  const m = /^(\[[^\]]+\]|[^:]+):([0-9]{1,5})$/.exec(s);
  if (!m) {
    throw new TrustInputError(`--address must be the registry's IP:PORT as nodes pull from it, e.g. 10.100.153.175:5000, not "${text}".`);
  }
  return formatAddress(m[1], Number(m[2]));
}
function hostsToml(address, caPath) {
  return [
    `server = "https://${address}"`,
    `[host."https://${address}"]`,
    `  capabilities = ["pull", "resolve"]`,
    `  ca = "${caPath}"`,
    ""
  ].join("\n");
}
function checkCaPem(pem, where) {
  if (/PRIVATE KEY-----/.test(pem)) {
    throw new TrustInputError(`${where} holds a private key; give the CA certificate (ca.crt) only.`);
  }
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem)) {
    throw new TrustInputError(`${where} does not hold a PEM certificate (-----BEGIN CERTIFICATE-----).`);
  }
}
function checkCertsDir(dir, what) {
  if (!/^(\/[A-Za-z0-9._-]+)+$/.test(dir) || dir.split("/").some((p) => p === "." || p === "..")) {
    throw new TrustInputError(`${what} must be an absolute directory (letters, digits, ".", "_", "-"; no "." or ".." parts, no trailing "/"), not "${dir}".`);
  }
  return dir;
}
function checkOwner(owner) {
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(owner)) {
    throw new TrustInputError(`The owner must be <namespace>/<fullname>, not "${owner}".`);
  }
  return owner;
}
function planTrust(input) {
  checkCaPem(input.caPem, "The CA");
  checkOwner(input.owner);
  const dirs = input.dirs.map(({ kind, certsDir }) => {
    checkCertsDir(certsDir, `The ${kind} certs.d directory`);
    const addressDir = `${certsDir}/${input.address.address}`;
    const file = (name, content) => ({ name, path: `${addressDir}/${name}`, content, mode: 420 });
    const files = [file(MARKER_FILE, `${input.owner}
`), file("ca.crt", input.caPem)];
    if (kind === "containerd") files.push(file("hosts.toml", hostsToml(input.address.address, `${addressDir}/ca.crt`)));
    return { kind, certsDir, addressDir, files };
  });
  return { address: input.address, owner: input.owner, dirs };
}
function chartFullname(release, chartName = "creg", fullnameOverride) {
  const cut = (s) => s.slice(0, 42).replace(/-+$/, "");
  if (fullnameOverride) return cut(fullnameOverride);
  return release.includes(chartName) ? cut(release) : cut(`${release}-${chartName}`);
}
function shQuote(s) {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
function planToShell(plan, root = "") {
  const r = root.replace(/\/+$/, "");
  const out = [
    "#!/bin/sh",
    `# creg-chart trust: make this machine trust the registry at ${plan.address.address}`,
    `# Run as root, e.g.: creg-chart trust ... --print | sudo sh`,
    "set -eu",
    "umask 022",
    "",
    "# Stop before writing anything if a directory holds trust files creg-chart did not write.",
    "guard() {",
    `  if [ -L "$1" ] || { [ -e "$1" ] && [ ! -d "$1" ]; }; then echo "creg-chart trust: $1 is not a directory; remove it first" >&2; exit 1; fi`,
    `  if { [ -e "$1/ca.crt" ] || [ -e "$1/hosts.toml" ]; } && [ "$(cat "$1/${MARKER_FILE}" 2>/dev/null)" != ${shQuote(plan.owner)} ]; then`,
    `    echo "creg-chart trust: $1 holds a ca.crt/hosts.toml that creg-chart (${plan.owner}) did not write; move it away first" >&2; exit 1`,
    "  fi",
    "}",
    ...plan.dirs.map((d) => `guard ${shQuote(r + d.addressDir)}`)
  ];
  for (const d of plan.dirs) {
    out.push("", `# ${d.kind}`, `mkdir -p ${shQuote(r + d.addressDir)}`);
    for (const f of d.files) {
      const tmp = shQuote(`${r}${d.addressDir}/.${f.name}.tmp.creg`);
      let eof = "CREG_EOF";
      while (f.content.includes(eof)) eof += "_";
      if (f.content.endsWith("\n")) {
        out.push(`cat > ${tmp} <<'${eof}'`, f.content.replace(/\n$/, ""), eof);
      } else {
        out.push(`printf '%s' ${shQuote(f.content)} > ${tmp}`);
      }
      out.push(`chmod ${f.mode.toString(8).padStart(4, "0")} ${tmp}`, `mv -f ${tmp} ${shQuote(r + f.path)}`);
    }
  }
  return `${out.join("\n")}
`;
}
function removalToShell(owner, certsDirs, root = "", address) {
  checkOwner(owner);
  const r = root.replace(/\/+$/, "");
  const out = [
    "#!/bin/sh",
    `# creg-chart trust --remove: delete the trust files of ${owner}${address ? ` for ${address}` : ""}`,
    "# Run as root, e.g.: creg-chart trust ... --remove --print | sudo sh",
    "set -eu",
    "remove_ours() {",
    `  [ -d "$1" ] && [ ! -L "$1" ] && [ "$(cat "$1/${MARKER_FILE}" 2>/dev/null)" = ${shQuote(owner)} ] || return 0`,
    `  rm -f "$1/hosts.toml" "$1/ca.crt" "$1/${MARKER_FILE}"`,
    '  if rmdir "$1" 2>/dev/null; then echo "removed $1"; else echo "removed our files from $1 (other files kept)"; fi',
    "}"
  ];
  for (const d of certsDirs) {
    checkCertsDir(d.certsDir, `The ${d.kind} certs.d directory`);
    const dir = shQuote(r + d.certsDir);
    out.push("", `# ${d.kind}`);
    if (address) out.push(`remove_ours ${dir}/${shQuote(address)}`);
    else out.push(`for d in ${dir}/*; do remove_ours "$d"; done`);
  }
  return `${out.join("\n")}
`;
}

export {
  RUNTIME_KINDS,
  DEFAULT_CERTS_DIRS,
  MARKER_FILE,
  MANAGED_FILES,
  TrustInputError,
  formatAddress,
  parseAddress,
  hostsToml,
  checkCaPem,
  checkCertsDir,
  checkOwner,
  planTrust,
  chartFullname,
  shQuote,
  planToShell,
  removalToShell
};
