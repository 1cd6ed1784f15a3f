{{/*
Availability and scheduling settings of the registry pods (registry.*),
kept apart from _registry-pod.tpl so that the pod template only includes them.
*/}}

{{/* Pod labels: registry.podLabels under the selector labels (the selector always wins). */}}
{{- define "creg.registryPodLabels" -}}
{{- $sel := include "creg.registrySelectorLabels" . | fromYaml -}}
{{- toYaml (merge $sel (default (dict) .Values.registry.podLabels)) -}}
{{- end -}}

{{/* registry.podAnnotations (a YAML map, possibly empty). */}}
{{- define "creg.registryPodAnnotations" -}}
{{- with .Values.registry.podAnnotations }}
{{- toYaml . }}
{{- end -}}
{{- end -}}

{{/* Pod securityContext: registry.podSecurityContext merged over the chart's strict default. */}}
{{- define "creg.registryPodSecurityContext" -}}
{{- /* Non-root: registry.runAsUser:runAsGroup own the data directory (the mount
DaemonSet hands it over); fsGroup makes the TLS Secret (mode 0440) readable by
tls-setup; below port 1024 a non-root registry binds through the namespaced,
safe sysctl (a capability does nothing for a non-root process). */ -}}
{{- $uid := int .Values.registry.runAsUser -}}
{{- $gid := int .Values.registry.runAsGroup -}}
{{- $port := int .Values.registry.port -}}
{{- $default := dict "runAsUser" $uid "runAsGroup" $gid "runAsNonRoot" (ne $uid 0) "fsGroup" $gid "seccompProfile" (dict "type" "RuntimeDefault") -}}
{{- if and (lt $port 1024) (ne $uid 0) -}}
{{- $_ := set $default "sysctls" (list (dict "name" "net.ipv4.ip_unprivileged_port_start" "value" (toString $port))) -}}
{{- end -}}
{{- toYaml (mergeOverwrite $default (deepCopy (default (dict) .Values.registry.podSecurityContext))) -}}
{{- end -}}

{{/*
Registry container securityContext: registry.securityContext merged over the
chart's strict default (no privilege escalation, every capability dropped;
NET_BIND_SERVICE only for a port below 1024).
*/}}
{{- define "creg.registrySecurityContext" -}}
{{- $caps := dict "drop" (list "ALL") -}}
{{- if and (lt (int .Values.registry.port) 1024) (eq (int .Values.registry.runAsUser) 0) -}}
{{- $_ := set $caps "add" (list "NET_BIND_SERVICE") -}}
{{- end -}}
{{- /* Writes only to its data volume and /tmp (emptyDir). */ -}}
{{- $default := dict "allowPrivilegeEscalation" false "readOnlyRootFilesystem" true "capabilities" $caps -}}
{{- toYaml (mergeOverwrite $default (deepCopy (default (dict) .Values.registry.securityContext))) -}}
{{- end -}}

{{/*
affinity, topologySpreadConstraints (labelSelector defaults to the registry
pods) and priorityClassName, as pod spec lines (possibly none).
*/}}
{{- define "creg.registryScheduling" -}}
{{- with .Values.registry.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.registry.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- range . }}
  {{- $c := deepCopy . }}
  {{- if not $c.labelSelector }}
  {{- $_ := set $c "labelSelector" (dict "matchLabels" (include "creg.registrySelectorLabels" $ | fromYaml)) }}
  {{- end }}
  - {{- toYaml $c | nindent 4 }}
  {{- end }}
{{- end }}
{{- with .Values.registry.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Env of the registry container for metrics and maintenance mode (a YAML list, possibly empty). */}}
{{- define "creg.registryFeatureEnv" -}}
{{- if eq (include "creg.metricsEnabled" .) "true" }}
# The debug server (plain HTTP) with Prometheus metrics at /metrics, on the
# container port named `metrics`; the registry Service does not expose it.
- name: REGISTRY_HTTP_DEBUG_ADDR
  value: {{ printf ":%d" (int .Values.metrics.port) | quote }}
- name: REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED
  value: "true"
- name: REGISTRY_HTTP_DEBUG_PROMETHEUS_PATH
  value: /metrics
{{- end }}
{{- if eq (include "creg.gcEnabled" .) "true" }}
# Read-only during garbage collection: the GC Job writes the map form
# {"readonly":{"enabled":true}} here, then restarts the pods (the leaf form
# REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED panics).
- name: REGISTRY_STORAGE_MAINTENANCE
  valueFrom:
    configMapKeyRef:
      name: {{ include "creg.maintenanceName" . | quote }}
      key: REGISTRY_STORAGE_MAINTENANCE
{{- end }}
{{- end -}}
