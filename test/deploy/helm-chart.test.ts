// deploy/helm/spate: `helm lint --strict`, then the rendered manifests validated against the
// Kubernetes API's JSON schemas (kubernetes-models, with KEDA's and the Prometheus Operator's
// CRD schemas) by test/deploy/validate-manifests.mjs, and checked for what the daemon needs.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { checkSettings, readConfigFile } from '../../src/daemon/settings.js';

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'deploy', 'helm', 'spate');

/** helm from HELM, the PATH, or where `go install helm.sh/helm/v4/cmd/helm` puts it (.ci/run does). */
function findHelm(): string {
  const candidates = [process.env['HELM'], 'helm', join(process.env['GOPATH'] ?? join(homedir(), 'go'), 'bin', 'helm')].filter((c): c is string => !!c);
  for (const c of candidates) if (spawnSync(c, ['version', '--short'], { encoding: 'utf8' }).status === 0) return c;
  throw new Error('helm not found: run the tests through npm test (its set-up builds helm), or `go install helm.sh/helm/v4/cmd/helm@v4.3.2` (or set HELM)');
}

interface Manifest { kind: string; metadata: { name: string; annotations?: Record<string, string> }; spec: Record<string, unknown>; data?: Record<string, string> }
type Container = {
  command: string[]; env: { name: string; value?: string }[]; ports: { containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } }; readinessProbe: { httpGet: { path: string; port: string } };
  lifecycle: { preStop: { exec: { command: string[] } } }; resources: { limits: { memory: string } };
};

describe('the Helm chart', () => {
  const helm = findHelm();
  const work = mkdtempSync(join(tmpdir(), 'spate-helm-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function render(...sets: string[]): { text: string; manifests: Manifest[] } {
    const text = execFileSync(helm, ['template', 'trades', CHART, '--namespace', 'streams', ...sets.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
    return { text, manifests: parseAllDocuments(text).map((d) => d.toJS() as Manifest).filter(Boolean) };
  }

  function validate(text: string): { kind: string; name: string; errors: string[] }[] {
    const file = join(work, `rendered-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, text);
    return JSON.parse(execFileSync(process.execPath, [join(__dirname, 'validate-manifests.mjs'), file], { encoding: 'utf8' })) as { kind: string; name: string; errors: string[] }[];
  }

  it('passes helm lint --strict', () => {
    expect(spawnSync(helm, ['lint', '--strict', CHART], { encoding: 'utf8' }).status).toBe(0);
  });

  it.each([
    ['the defaults', []],
    ['KEDA and a ServiceMonitor', ['cluster.enabled=true', 'autoscaling.keda.enabled=true', 'prometheus.serviceMonitor.enabled=true']],
    ['an HPA', ['cluster.enabled=true', 'autoscaling.hpa.enabled=true']],
    ['three cluster-mode workers', ['cluster.enabled=true', 'replicaCount=3']],
  ])('renders valid Kubernetes manifests with %s', (_what, sets) => {
    const { text } = render(...sets);
    const results = validate(text);
    expect(results.length).toBeGreaterThanOrEqual(3);
    expect(results.filter((r) => r.errors.length)).toEqual([]);
  });

  it('a value of the wrong type is caught by the schemas (the validation is not vacuous)', () => {
    const results = validate(render('port=http').text);
    expect(results.find((r) => r.kind === 'Deployment')?.errors.join()).toMatch(/containerPort must be integer/);
  });

  it('runs workers as a Deployment with probes on /healthz and /readyz, a preStop drain within the grace period, heap tied to the memory limit', () => {
    const { manifests } = render('memoryMiB=2048', 'gracePeriodSeconds=40');
    const deployment = manifests.find((m) => m.kind === 'Deployment')!;
    const pod = (deployment.spec['template'] as { metadata: { annotations: Record<string, string> }; spec: { terminationGracePeriodSeconds: number; containers: Container[] } });
    const c = pod.spec.containers[0]!;
    expect(c.command.slice(0, 3)).toEqual(['/app/node_modules/.bin/spate', 'run', 'dist/trades-windows.js']);
    expect(c.command).toEqual(expect.arrayContaining(['--host=0.0.0.0', '--port=4040', '--grace-period=40s', '--config=/etc/spate/spate.conf']));
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.lifecycle.preStop.exec.command).toEqual(['/app/node_modules/.bin/spate', 'drain', '--port', '4040']);
    expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(40);
    expect(c.resources.limits.memory).toBe('2048Mi');
    expect(c.env.find((e) => e.name === 'NODE_OPTIONS')?.value).toBe('--max-old-space-size=1536');
    expect(pod.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '4040', 'prometheus.io/path': '/metrics' });
  });

  it('its settings file is one that spate run accepts', () => {
    const configMap = render().manifests.find((m) => m.kind === 'ConfigMap')!;
    const file = join(work, 'spate.conf');
    writeFileSync(file, configMap.data!['spate.conf']!);
    const settings = readConfigFile(file);
    expect(settings.get('spate.sql.shuffle.partitions')).toBe('64');
    expect(checkSettings(settings)).toEqual([]);
  });

  it('runs one replica by default; more only as cluster-mode workers, at most one per key group', () => {
    const replicas = (...sets: string[]): unknown => render(...sets).manifests.find((m) => m.kind === 'Deployment')!.spec['replicas'];
    expect(replicas()).toBe(1);
    expect(replicas('cluster.enabled=true', 'replicaCount=3')).toBe(3);
    const refuse = (...sets: string[]): string => {
      const r = spawnSync(helm, ['template', 'x', CHART, ...sets.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      return r.stderr;
    };
    expect(refuse('replicaCount=2')).toMatch(/replicaCount of 2 needs cluster.enabled=true/);
    expect(refuse('autoscaling.keda.enabled=true')).toMatch(/autoscaling.maxReplicas of 4 needs cluster.enabled=true/);
    expect(refuse('cluster.enabled=true', 'replicaCount=65')).toMatch(/65 workers but spate.sql.shuffle.partitions is 64/);
  });

  it('scales on the lag spate reports (spate_source_lag_records), with KEDA or an HPA, not both', () => {
    const keda = render('cluster.enabled=true', 'autoscaling.keda.enabled=true').manifests.find((m) => m.kind === 'ScaledObject')!;
    const trigger = (keda.spec['triggers'] as { type: string; metadata: Record<string, string> }[])[0]!;
    expect(trigger.type).toBe('prometheus');
    expect(trigger.metadata['query']).toBe('sum(spate_source_lag_records{namespace="streams",pod=~"trades-spate-.*"})');
    const both = spawnSync(helm, ['template', 'x', CHART, '--set', 'cluster.enabled=true', '--set', 'autoscaling.keda.enabled=true', '--set', 'autoscaling.hpa.enabled=true'], { encoding: 'utf8' });
    expect(both.status).not.toBe(0);
    expect(both.stderr).toMatch(/choose one/);
  });
});
