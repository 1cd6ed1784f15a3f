{{/*
Helpers shared by every template. Every value that ends up in YAML goes
through `quote` (strings) or `int` (numbers checked by values.schema.json),
so that a value can never change the structure of a manifest.
*/}}

{{/* Chart name part of object names. */}}
{{- define "creg.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Object name prefix: release name + chart name (release name alone when it
already contains the chart name), `fullnameOverride` honoured. Cut at 42
characters, the limit values.schema.json puts on fullnameOverride, so that the
longest suffix (`-http-secret`) and the names Kubernetes derives from ours
(Job pods, controller revisions) stay within the 63-character limits.
*/}}
{{- define "creg.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 42 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 42 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 42 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* helm.sh/chart label value. */}}
{{- define "creg.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select this release's pods (add app.kubernetes.io/component per object). */}}
{{- define "creg.selectorLabels" -}}
app.kubernetes.io/name: {{ include "creg.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{/* Common labels of every object. */}}
{{- define "creg.labels" -}}
helm.sh/chart: {{ include "creg.chart" . | quote }}
{{ include "creg.selectorLabels" . }}
{{- with .Chart.AppVersion }}
app.kubernetes.io/version: {{ . | trunc 63 | trimSuffix "-" | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/part-of: {{ include "creg.name" . | quote }}
{{- end -}}

{{/* Selector labels of the registry pods (docs/architecture.md "Registry pod"). */}}
{{- define "creg.registrySelectorLabels" -}}
{{ include "creg.selectorLabels" . }}
app.kubernetes.io/component: registry
{{- end -}}

{{/* The same selector as `k=v,k=v` for the signer's POD_SELECTOR. */}}
{{- define "creg.registryPodSelector" -}}
{{- $sel := include "creg.registrySelectorLabels" . | fromYaml -}}
{{- $pairs := list -}}
{{- range $k := keys $sel | sortAlpha -}}
{{- $pairs = append $pairs (printf "%s=%s" $k (index $sel $k)) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/* Names of the objects (docs/architecture.md "Chart objects"). */}}
{{- define "creg.mountName" -}}{{ include "creg.fullname" . }}-nas-mount{{- end -}}
{{- define "creg.httpSecretName" -}}{{ include "creg.fullname" . }}-http-secret{{- end -}}
{{- define "creg.signerName" -}}{{ include "creg.fullname" . }}-signer{{- end -}}
{{/* The CA Secret: tls.existingCaSecret (bring your own CA) or the one the signer makes and owns. */}}
{{- define "creg.caSecretName" -}}
{{- $byo := "" -}}{{- if .Values.tls -}}{{- $byo = .Values.tls.existingCaSecret -}}{{- end -}}
{{- if $byo -}}{{ $byo }}{{- else -}}{{ include "creg.fullname" . }}-ca{{- end -}}
{{- end -}}
{{/* ConfigMap in which the signer publishes the CA certificate (ca.crt only; never the key). */}}
{{- define "creg.caConfigMapName" -}}{{ include "creg.fullname" . }}-ca{{- end -}}
{{/* Secret in which the signer pins what it published (CA sha256, ClusterIP) for node trust. */}}
{{- define "creg.caPinSecretName" -}}{{ include "creg.fullname" . }}-ca-pin{{- end -}}
{{- define "creg.tlsSecretName" -}}{{ include "creg.fullname" . }}-tls{{- end -}}

{{/*
A quoted image reference from an image object: include "creg.image" .Values.registry.image
With a digest, the pod runs repository@digest (immutable) and the tag is kept as a comment.
*/}}
{{- define "creg.image" -}}
{{- if .digest -}}
{{- printf "%s@%s" .repository .digest | quote }} # tag {{ .tag }}
{{- else -}}
{{- printf "%s:%s" .repository .tag | quote -}}
{{- end -}}
{{- end -}}

{{/* A list of strings joined with commas, quoted: include "creg.csv" .Values.nas.mountOptions */}}
{{- define "creg.csv" -}}
{{- join "," (default (list) .) | quote -}}
{{- end -}}

{{/* An integer value as a quoted string (for env values): include "creg.quoteInt" .Values.registry.port */}}
{{- define "creg.quoteInt" -}}
{{- int . | toString | quote -}}
{{- end -}}

{{/* The node selector of every pod that needs the NFS export. */}}
{{- define "creg.nodeSelector" -}}
{{ .Values.nodeLabel.key | quote }}: {{ .Values.nodeLabel.value | quote }}
{{- end -}}

{{/* uid:gid the registry runs as and that owns its data directory on the export. */}}
{{- define "creg.dataOwner" -}}
{{- printf "%d:%d" (int .Values.registry.runAsUser) (int .Values.registry.runAsGroup) -}}
{{- end -}}

{{/* nas.requireNfsMount, true when unset (`default` would turn false into true). */}}
{{- define "creg.requireNfsMount" -}}
{{- if kindIs "bool" .Values.nas.requireNfsMount -}}
{{- .Values.nas.requireNfsMount -}}
{{- else -}}
true
{{- end -}}
{{- end -}}

{{/* Tolerations and image pull secrets (toYaml: arbitrary objects from values). */}}
{{- define "creg.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
The registry pods' tolerations: `tolerations`, plus NoExecute tolerations of
node.kubernetes.io/not-ready and /unreachable for
registry.failover.tolerationSeconds (absent or null: none, the cluster's
default of 300 s applies). A key already listed in `tolerations` wins.
*/}}
{{- define "creg.registryTolerations" -}}
{{- $tol := list -}}
{{- $keys := list -}}
{{- range (default (list) .Values.tolerations) -}}
{{- $tol = append $tol . -}}
{{- if .key -}}{{- $keys = append $keys .key -}}{{- end -}}
{{- end -}}
{{- $seconds := dig "failover" "tolerationSeconds" nil .Values.registry -}}
{{- if not (kindIs "invalid" $seconds) -}}
{{- range $key := list "node.kubernetes.io/not-ready" "node.kubernetes.io/unreachable" -}}
{{- if not (has $key $keys) -}}
{{- $tol = append $tol (dict "key" $key "operator" "Exists" "effect" "NoExecute" "tolerationSeconds" (int64 $seconds)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $tol -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}

{{/*
Fails unless one of the nodes carries nodeLabel.key=nodeLabel.value:
include "creg.preflightNodes" (dict "nodes" LIST_OF_NODE_OBJECTS "Values" .Values)
*/}}
{{- define "creg.preflightNodes" -}}
{{- $key := .Values.nodeLabel.key -}}
{{- $value := .Values.nodeLabel.value -}}
{{- $labelled := list -}}
{{- $names := list -}}
{{- range .nodes -}}
{{- $labels := default (dict) .metadata.labels -}}
{{- $names = append $names .metadata.name -}}
{{- if and (hasKey $labels $key) (eq (toString (index $labels $key)) (toString $value)) -}}
{{- $labelled = append $labelled .metadata.name -}}
{{- end -}}
{{- end -}}
{{- if not $labelled -}}
{{- $shown := $names -}}
{{- if gt (len $names) 10 -}}{{- $shown = append (slice $names 0 10) "..." -}}{{- end -}}
{{- fail (printf "\n\npreflight: no node carries the registry node label %s=%s, so the registry and the NFS mount could never be scheduled.\nLabel the node(s) that can mount the NFS export, then run helm again:\n\n  kubectl label nodes NODE %s=%s\n\nNodes in this cluster (%d): %s\nOr set nodeLabel.key/nodeLabel.value to a label your registry nodes already have.\nTo skip this check (e.g. when you may not list nodes): --set preflight.enabled=false\n" $key $value $key $value (len $names) (join ", " $shown)) -}}
{{- end -}}
{{- end -}}

{{/*
Fails when an existing claim allows one node only (no ReadWriteMany) while
registry.replicas > 1: a second pod could never mount it on another node.
include "creg.preflightClaim" (dict "claim" PVC_OBJECT "Values" .Values)
*/}}
{{- define "creg.preflightClaim" -}}
{{- $modes := default (list) .claim.spec.accessModes -}}
{{- $replicas := int .Values.registry.replicas -}}
{{- if and (gt $replicas 1) (not (has "ReadWriteMany" $modes)) -}}
{{- fail (printf "\n\npreflight: storage.pvc.existingClaim %s has access modes [%s], without ReadWriteMany: only one node can mount it, so with registry.replicas=%d the other pods could never start on another node.\nSet registry.replicas=1, or use a ReadWriteMany claim.\n" .claim.metadata.name (join ", " $modes) $replicas) -}}
{{- end -}}
{{- end -}}
{{- /* One `from` peer: pods with `labels` (quoted), in the namespace `namespace` when given (else the release's); a namespace without labels: all its pods. */}}
{{- define "creg.networkPolicyPeer" -}}
{{- if .namespace -}}
- namespaceSelector:
    matchLabels:
      kubernetes.io/metadata.name: {{ .namespace | quote }}
{{- if kindIs "map" .labels }}
  podSelector:
    matchLabels:
      {{- range $k, $v := .labels }}
      {{ $k | quote }}: {{ $v | quote }}
      {{- end }}
{{- end }}
{{- else -}}
- podSelector:
    matchLabels:
      {{- range $k, $v := .labels }}
      {{ $k | quote }}: {{ $v | quote }}
      {{- end }}
{{- end }}
{{- end -}}
