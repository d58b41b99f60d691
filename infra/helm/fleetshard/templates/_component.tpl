{{/*
One FleetShard component: ServiceAccount, ConfigMap, Deployment, Service (when it serves an API), PodDisruptionBudget
and KEDA ScaledObject (when autoscaled). Called by each component's template with a dict:
  root       the chart's top-level context
  name       object suffix and app.kubernetes.io/component (router, capture, standby-applier-pg-1 ...)
  component  what `fleetshard run` starts (router, control-api, capture, archiver, standby-applier, ...)
  values     the component's values (.Values.router ...)
  port       its HTTP port: /healthz, /readyz, /metrics (the API port, or .Values.adminPort)
  service    true when other pods call it (router, control API)
  config     the chart's keys of component.properties (the component's own keys; values' `config` wins)
  platform   platform.properties: what the launcher wires around the component
  idKey      a key set to the pod's name (instance ids unique in a consumer group), or ""
  singleton  true: Recreate strategy, never autoscaled
  serviceAccount  optional: the name of a service account the caller created (shared by several Deployments)
*/}}
{{- define "fleetshard.component" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $fullname := printf "%s-%s" (include "fleetshard.fullname" $root) .name | trunc 63 | trimSuffix "-" -}}
{{- $config := merge (deepCopy (default (dict) $v.config)) .config -}}
{{- $sa := default $fullname .serviceAccount -}}
{{- $autoscaled := and $root.Values.keda.enabled $v.autoscaling $v.autoscaling.enabled (not .singleton) -}}
{{- $platform := deepCopy .platform -}}
{{- /* Kafka client security, every component's (ADR 0027): nothing added for PLAINTEXT */ -}}
{{- if ne (default "PLAINTEXT" $root.Values.kafka.securityProtocol) "PLAINTEXT" -}}
{{- $_ := set $platform "kafka.security.protocol" $root.Values.kafka.securityProtocol -}}
{{- end -}}
{{- range $k, $val := (default (dict) $root.Values.kafka.properties) -}}
{{- $_ := set $platform $k $val -}}
{{- end -}}
{{- $files := dict "component.properties" (include "fleetshard.properties" $config | trim) "platform.properties" (include "fleetshard.properties" $platform | trim) -}}
{{- if and $v.serviceAccount.create (not .serviceAccount) }}
{{ include "fleetshard.serviceAccount" (dict "root" $root "name" .name "account" $sa "roleArn" $v.serviceAccount.roleArn) }}
{{- end }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "fleetshard.labels" . | nindent 4 }}
data:
  component.properties: |
    {{- get $files "component.properties" | nindent 4 }}
  platform.properties: |
    {{- get $files "platform.properties" | nindent 4 }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "fleetshard.labels" . | nindent 4 }}
spec:
  {{- if not $autoscaled }}
  replicas: {{ if .singleton }}1{{ else }}{{ $v.replicas }}{{ end }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "fleetshard.selectorLabels" . | nindent 6 }}
  strategy:
    {{- if .singleton }}
    type: Recreate
    {{- else }}
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
    {{- end }}
  template:
    metadata:
      labels:
        {{- include "fleetshard.labels" . | nindent 8 }}
      annotations:
        checksum/config: {{ toJson $files | sha256sum }}
        {{- if $root.Values.metrics.scrape }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ .port | quote }}
        prometheus.io/path: /metrics
        {{- end }}
    spec:
      {{- if or $v.serviceAccount.create .serviceAccount }}
      serviceAccountName: {{ $sa }}
      {{- end }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      terminationGracePeriodSeconds: {{ default 60 $v.terminationGracePeriodSeconds }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              {{- include "fleetshard.selectorLabels" . | nindent 14 }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "fleetshard.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args:
            - run
            - {{ .component }}
            - --config
            - /etc/fleetshard/component.properties
            - --platform
            - /etc/fleetshard/platform.properties
            {{- with .idKey }}
            - --set
            - {{ . }}=$(POD_NAME)
            {{- end }}
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: AWS_REGION
              value: {{ $root.Values.region | quote }}
            - name: JAVA_TOOL_OPTIONS
              value: {{ default $root.Values.javaOpts $v.javaOpts | quote }}
            {{- range $key, $ref := merge (deepCopy (default (dict) $root.Values.kafka.secretEnv)) (default (dict) $v.secretEnv) }}
            - name: {{ include "fleetshard.envName" $key }}
              valueFrom:
                secretKeyRef:
                  name: {{ $ref.secretName }}
                  key: {{ $ref.key }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: http
              containerPort: {{ .port }}
              protocol: TCP
          startupProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
            periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: /readyz
              port: http
            periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
            failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: /etc/fleetshard
              readOnly: true
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: config
          configMap:
            name: {{ $fullname }}
        - name: tmp
          emptyDir: {}
{{- if .service }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "fleetshard.labels" . | nindent 4 }}
  {{- with $v.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $v.service.type }}
  selector:
    {{- include "fleetshard.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ $v.service.port }}
      targetPort: http
      protocol: TCP
{{- end }}
{{- with $v.pdb }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "fleetshard.labels" $ | nindent 4 }}
spec:
  {{- if hasKey . "minAvailable" }}
  minAvailable: {{ .minAvailable }}
  {{- else }}
  maxUnavailable: {{ default 1 .maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "fleetshard.selectorLabels" $ | nindent 6 }}
{{- end }}
{{- if $autoscaled }}
{{- $t := $v.autoscaling.trigger }}
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{ $fullname }}
  labels:
    {{- include "fleetshard.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ $fullname }}
  pollingInterval: {{ $root.Values.keda.pollingInterval }}
  cooldownPeriod: {{ $root.Values.keda.cooldownPeriod }}
  minReplicaCount: {{ $v.autoscaling.minReplicas }}
  maxReplicaCount: {{ $v.autoscaling.maxReplicas }}
  triggers:
    {{- if eq $t.type "kafka" }}
    - type: kafka
      metadata:
        bootstrapServers: {{ $root.Values.kafka.bootstrapServers | quote }}
        consumerGroup: {{ $t.consumerGroup | quote }}
        {{- with $t.topic }}
        topic: {{ . | quote }}
        {{- end }}
        lagThreshold: {{ $t.lagThreshold | quote }}
        offsetResetPolicy: earliest
        allowIdleConsumers: "false"
        scaleToZeroOnInvalidOffset: "false"
      {{- with $root.Values.keda.kafka.authenticationRef }}
      authenticationRef:
        name: {{ . }}
      {{- end }}
    {{- else if eq $t.type "prometheus" }}
    - type: prometheus
      metadata:
        serverAddress: {{ $root.Values.keda.prometheus.serverAddress | quote }}
        query: {{ $t.query | quote }}
        threshold: {{ $t.threshold | quote }}
    {{- else }}
    {{- fail (printf "%s.autoscaling.trigger.type must be kafka or prometheus, got %q" .name $t.type) }}
    {{- end }}
{{- end }}
{{- end -}}


{{/* A ServiceAccount, annotated with its IAM role for IRSA (Terraform's component-iam trusts exactly this name). */}}
{{- define "fleetshard.serviceAccount" -}}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .account }}
  labels:
    {{- include "fleetshard.labels" . | nindent 4 }}
  {{- with .roleArn }}
  annotations:
    eks.amazonaws.com/role-arn: {{ . | quote }}
  {{- end }}
{{- end -}}
