{{/* Chart name, truncated to the 63 characters a label allows. */}}
{{- define "fleetshard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name: the prefix of every object. */}}
{{- define "fleetshard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "fleetshard.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "fleetshard.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "fleetshard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "fleetshard.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Labels of every object; `component` is the part's name (router, capture, standby-applier ...). */}}
{{- define "fleetshard.labels" -}}
helm.sh/chart: {{ include "fleetshard.chart" .root }}
{{ include "fleetshard.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: fleetshard
{{- end -}}

{{- define "fleetshard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fleetshard.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* The environment variable that carries a configuration key: router.tenant.secret -> FLEETSHARD_ROUTER_TENANT_SECRET. */}}
{{- define "fleetshard.envName" -}}
{{- printf "FLEETSHARD_%s" (. | upper | replace "." "_" | replace "-" "_") -}}
{{- end -}}

{{/* One properties line per key, sorted; numbers from values files (float64) printed as integers. */}}
{{- define "fleetshard.properties" -}}
{{- range $k, $v := . }}
{{- if kindIs "float64" $v }}
{{ $k }}={{ $v | int64 }}
{{- else }}
{{ $k }}={{ $v }}
{{- end }}
{{- end }}
{{- end -}}
