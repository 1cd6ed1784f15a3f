{{/*
Environment of the registry container (Distribution 3; README "Upgrading to
Distribution 3"). test/registry3.test.mjs starts the real registry binary
with exactly this environment, taken from `helm template`.
- REGISTRY_LOG_LEVEL: the image's built-in config logs at debug level.
- REGISTRY_HTTP_DEBUG_ADDR: the image opens a debug/metrics server on :5001;
  here it is on the pod's loopback address when registry.debug.enabled, else
  off (the YAML empty string "" clears the image's setting). With
  metrics.enabled, creg.registryFeatureEnv opens it on the metrics port
  instead (for Prometheus; not on the registry Service).
- then the storage kind's env, metrics/maintenance env, mirror mode's proxy env
  (creg.mirrorEnv, _mirror.tpl) and registry.extraEnv.
- OTEL_TRACES_EXPORTER=none unless registry.tracing: no traces to localhost:4318.
- REGISTRY_STORAGE_DELETE_ENABLED from registry.deleteEnabled (the image's
  config enables deletes, so false is written out too).
*/}}
{{- define "creg.registryEnv" -}}
{{- $port := int .Values.registry.port -}}
- name: REGISTRY_HTTP_ADDR
  value: {{ printf "0.0.0.0:%d" $port | quote }}
- name: REGISTRY_HTTP_TLS_CERTIFICATE
  value: /certs/tls.crt
- name: REGISTRY_HTTP_TLS_KEY
  value: /certs/tls.key
- name: REGISTRY_HTTP_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "creg.httpSecretName" . | quote }}
      key: REGISTRY_HTTP_SECRET
- name: REGISTRY_STORAGE_DELETE_ENABLED
  value: {{ if kindIs "bool" .Values.registry.deleteEnabled }}{{ .Values.registry.deleteEnabled | toString | quote }}{{ else }}"true"{{ end }}
- name: REGISTRY_LOG_LEVEL
  value: {{ default "info" .Values.registry.logLevel | quote }}
{{- if ne (include "creg.metricsEnabled" .) "true" }}
{{- /* metrics.enabled: creg.registryFeatureEnv opens it on the metrics port instead. */}}
- name: REGISTRY_HTTP_DEBUG_ADDR
  {{- if and .Values.registry.debug .Values.registry.debug.enabled }}
  value: {{ printf "127.0.0.1:%d" (int (default 5001 .Values.registry.debug.port)) | quote }}
  {{- else }}
  value: '""'
  {{- end }}
{{- end }}
{{- if not .Values.registry.tracing }}
- name: OTEL_TRACES_EXPORTER
  value: none
{{- end }}
{{- if include "creg.authEnabled" . }}
- name: REGISTRY_AUTH_HTPASSWD_REALM
  value: {{ printf "%s registry" (include "creg.fullname" .) | quote }}
- name: REGISTRY_AUTH_HTPASSWD_PATH
  value: /auth/htpasswd
{{- end }}
{{- with include "creg.storageEnv" . | trim }}
{{ . }}
{{- end }}
{{- with include "creg.registryFeatureEnv" . | trim }}
{{ . }}
{{- end }}
{{- with include "creg.mirrorEnv" . | trim }}
{{ . }}
{{- end }}
{{- range .Values.registry.extraEnv }}
- name: {{ .name | quote }}
  {{- if hasKey . "valueFrom" }}
  valueFrom:
    {{- toYaml .valueFrom | nindent 4 }}
  {{- else }}
  value: {{ .value | default "" | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Registry container mounts for auth (the htpasswd file in memory). */}}
{{- define "creg.authVolumeMounts" -}}
{{- if include "creg.authEnabled" . -}}
- name: auth
  mountPath: /auth
  readOnly: true
{{- end }}
{{- end -}}

{{/* Init container mounts for auth: the Secret, and where it copies the file. */}}
{{- define "creg.authInitVolumeMounts" -}}
{{- if include "creg.authEnabled" . -}}
- name: auth-secret
  mountPath: /auth-secret
  readOnly: true
- name: auth
  mountPath: /auth
{{- end }}
{{- end -}}

{{/*
Volumes for auth: the htpasswd Secret is optional (the signer hook creates it
after install; until then the init container writes an empty file, so nobody
can log in, and the signer restarts the pod once the Secret exists).
*/}}
{{- define "creg.authVolumes" -}}
{{- if include "creg.authEnabled" . -}}
- name: auth-secret
  secret:
    secretName: {{ include "creg.htpasswdSecretName" . | quote }}
    optional: true
    # 0440: owner root, group fsGroup (the registry's group), like the TLS
    # Secret: the non-root init container must read it to copy it.
    defaultMode: 288
    items:
      - key: htpasswd
        path: htpasswd
- name: auth
  emptyDir:
    medium: Memory
    sizeLimit: 1Mi
{{- end }}
{{- end -}}
