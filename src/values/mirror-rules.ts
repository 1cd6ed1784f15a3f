// Rules across fields that a JSON schema cannot say well, for mirror mode (docs/mirror.md).
// The chart checks the same at install time (templates/_mirror.tpl `fail`), but `helm lint`
// reports a template `fail` only as INFO, so `creg-chart build` must refuse it here: never a
// chart that `helm install` would then reject.
import { whereSet, type Values, type ValuesSource } from './sources.js';

export function mirrorProblems(values: Values, sources: ValuesSource[]): string[] {
  const mirror = (values.mirror ?? {}) as { enabled?: boolean; ttl?: string };
  const registry = (values.registry ?? {}) as { image?: { tag?: unknown } };
  const problems: string[] = [];
  const tag = String(registry.image?.tag ?? '');
  if (mirror.enabled && mirror.ttl && /^v?2[.]/.test(tag)) {
    problems.push(
      `${whereSet(sources, ['mirror', 'ttl'])}: mirror.ttl: needs Distribution >= 3.0, got ${JSON.stringify(mirror.ttl)} with registry.image.tag ${JSON.stringify(tag)} (Distribution 2.x ignores REGISTRY_PROXY_TTL and keeps cached content for 7 days). Set registry.image.tag to "3.1.2" or later, or leave mirror.ttl empty.`,
    );
  }
  return problems;
}
