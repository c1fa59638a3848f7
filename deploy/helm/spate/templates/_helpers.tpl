{{- define "spate.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "spate.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "spate.labels" -}}
{{ include "spate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The lag query the scalers use: records waiting in every source partition of this release. */}}
{{- define "spate.lagQuery" -}}
sum(spate_source_lag_records{namespace="{{ .Release.Namespace }}",pod=~"{{ include "spate.fullname" . }}-.*"})
{{- end -}}
