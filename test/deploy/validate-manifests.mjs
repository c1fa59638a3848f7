// Validates Kubernetes manifests (a multi-document YAML file) against the Kubernetes API's JSON
// schemas, as the kubernetes-models packages publish them (plus KEDA's and the Prometheus
// Operator's CRDs). Prints a JSON list: one { kind, name, errors } per document.
// An ES module run by node, because those packages are ES modules only.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

const MODELS = new Map([
  ['v1/ConfigMap', ConfigMap], ['v1/Service', Service], ['v1/ServiceAccount', ServiceAccount],
  ['apps/v1/Deployment', Deployment], ['autoscaling/v2/HorizontalPodAutoscaler', HorizontalPodAutoscaler],
  ['policy/v1/PodDisruptionBudget', PodDisruptionBudget],
  ['keda.sh/v1alpha1/ScaledObject', ScaledObject], ['monitoring.coreos.com/v1/ServiceMonitor', ServiceMonitor],
]);

const results = parseAllDocuments(readFileSync(process.argv[2], 'utf8')).map((doc) => doc.toJS()).filter(Boolean).map((m) => {
  const Model = MODELS.get(`${m.apiVersion}/${m.kind}`);
  const name = m.metadata?.name ?? null;
  if (!Model) return { kind: m.kind, name, errors: [`no schema known for ${m.apiVersion} ${m.kind}`] };
  try {
    new Model(m).validate();
    return { kind: m.kind, name, errors: [] };
  } catch (e) {
    return { kind: m.kind, name, errors: [e.message] };
  }
});
process.stdout.write(JSON.stringify(results));
