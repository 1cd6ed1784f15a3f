{{/*
Storage (docs/architecture.md "Storage"): what each storage.kind adds to the
registry pod and to the garbage-collection Job, in one place, so that the
registry and `registry garbage-collect` always see the same storage.

  nasMount   hostPath <nas.mountPath>/registry (mounted by the nas-mount
             DaemonSet) + the nas-guard init container, on labelled nodes
  nfsVolume  a native `nfs:` volume of nas.server:nas.path (the kubelet mounts
             it; a failed mount keeps the pod from starting), on labelled nodes
  pvc        a PersistentVolumeClaim (existing or the chart's), any node
  s3         no volume; REGISTRY_STORAGE=s3 + REGISTRY_STORAGE_S3_* env, keys
             from an existing Secret or the pod's identity, any node
*/}}

{{/* storage.kind, nasMount when unset. */}}
{{- define "creg.storageKind" -}}
{{- (default (dict) .Values.storage).kind | default "nasMount" -}}
{{- end -}}

{{/* "true" when the registry pods need the node label (the NAS is mounted on, or mountable from, labelled nodes only). */}}
{{- define "creg.usesNodeLabel" -}}
{{- $kind := include "creg.storageKind" . -}}
{{- or (eq $kind "nasMount") (eq $kind "nfsVolume") -}}
{{- end -}}

{{/* "true" when the registry data is a volume mounted at /var/lib/registry (every kind but s3). */}}
{{- define "creg.storageHasVolume" -}}
{{- ne (include "creg.storageKind" .) "s3" -}}
{{- end -}}

{{- define "creg.pvcName" -}}
{{- $pvc := .Values.storage.pvc -}}
{{- if $pvc.existingClaim -}}{{ $pvc.existingClaim }}{{- else -}}{{ include "creg.fullname" . }}-data{{- end -}}
{{- end -}}

{{/* nodeSelector entries of pods that touch the storage (empty for pvc and s3). */}}
{{- define "creg.storageNodeSelector" -}}
{{- if eq (include "creg.usesNodeLabel" .) "true" -}}
nodeSelector:
  {{- include "creg.nodeSelector" . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/*
The registry's storage settings as env (a YAML list; empty for the file
system kinds, whose /var/lib/registry is the image's own default): shared by
the registry container and the garbage-collect container.
*/}}
{{- define "creg.storageEnv" -}}
{{- $kind := include "creg.storageKind" . -}}
{{- if eq $kind "s3" -}}
{{- $s3 := .Values.storage.s3 }}
# The string form replaces the image's whole `storage:` map (its filesystem
# driver); the REGISTRY_STORAGE_* settings below are applied after it.
- name: REGISTRY_STORAGE
  value: s3
- name: REGISTRY_STORAGE_S3_BUCKET
  value: {{ $s3.bucket | quote }}
- name: REGISTRY_STORAGE_S3_REGION
  value: {{ $s3.region | default "us-east-1" | quote }}
{{- with $s3.regionEndpoint }}
- name: REGISTRY_STORAGE_S3_REGIONENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- with $s3.rootDirectory }}
- name: REGISTRY_STORAGE_S3_ROOTDIRECTORY
  value: {{ . | quote }}
{{- end }}
- name: REGISTRY_STORAGE_S3_FORCEPATHSTYLE
  value: {{ ternary "true" "false" (eq (toString $s3.forcePathStyle) "true") | quote }}
- name: REGISTRY_STORAGE_S3_SECURE
  value: {{ ternary "false" "true" (eq (toString $s3.secure) "false") | quote }}
{{- if $s3.existingSecret }}
# Keys from an existing Secret: never from values, never in the chart.
- name: REGISTRY_STORAGE_S3_ACCESSKEY
  valueFrom:
    secretKeyRef:
      name: {{ $s3.existingSecret | quote }}
      key: {{ $s3.accessKeyKey | default "AWS_ACCESS_KEY_ID" | quote }}
- name: REGISTRY_STORAGE_S3_SECRETKEY
  valueFrom:
    secretKeyRef:
      name: {{ $s3.existingSecret | quote }}
      key: {{ $s3.secretKeyKey | default "AWS_SECRET_ACCESS_KEY" | quote }}
{{- end }}
{{- if ne (toString $s3.redirect) "true" }}
# Serve blobs through the registry: nodes need no route or DNS to the store.
- name: REGISTRY_STORAGE_REDIRECT_DISABLE
  value: "true"
{{- end }}
{{- end }}
{{- end -}}

{{/* The volume mount of the registry data (nothing for s3): a YAML list item. */}}
{{- define "creg.storageVolumeMount" -}}
{{- $kind := include "creg.storageKind" . -}}
{{- if ne $kind "s3" }}
- name: data
  mountPath: /var/lib/registry
  {{- if and (eq $kind "nfsVolume") .Values.storage.nfsVolume.subPath }}
  subPath: {{ .Values.storage.nfsVolume.subPath | quote }}
  {{- else if and (eq $kind "pvc") .Values.storage.pvc.subPath }}
  subPath: {{ .Values.storage.pvc.subPath | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* The data volume (nothing for s3): a YAML list item. */}}
{{- define "creg.storageVolume" -}}
{{- $kind := include "creg.storageKind" . -}}
{{- if eq $kind "nasMount" }}
# Exists only on the export (created by the nas-mount DaemonSet after a
# successful mount): type Directory keeps the pod off a node without it.
- name: data
  hostPath:
    path: {{ printf "%s/registry" .Values.nas.mountPath | quote }}
    type: Directory
{{- else if eq $kind "nfsVolume" }}
# Mounted by the kubelet: if the mount fails the pod never starts, so images
# can never land on a node's local disk.
- name: data
  nfs:
    server: {{ .Values.nas.server | quote }}
    path: {{ .Values.nas.path | quote }}
{{- else if eq $kind "pvc" }}
- name: data
  persistentVolumeClaim:
    claimName: {{ include "creg.pvcName" . | quote }}
{{- end }}
{{- end -}}

{{/*
Init containers the storage needs (a YAML list, possibly empty): for nasMount
the nas-guard, which refuses to start unless /var/lib/registry is on NFS.
*/}}
{{- define "creg.storageInitContainers" -}}
{{- if and (eq (include "creg.storageKind" .) "nasMount") (eq (include "creg.requireNfsMount" .) "true") }}
# Refuses to start unless /var/lib/registry is on NFS: if the export were
# not mounted, images would land on the node's disk and vanish with the pod.
- name: nas-guard
  image: {{ include "creg.image" .Values.nas.mounter.image }}
  imagePullPolicy: {{ .Values.nas.mounter.image.pullPolicy | quote }}
  command: ["sh", "-c"]
  args:
    - |
      # Test hook: MOUNTINFO (default /proc/self/mountinfo).
      info="${MOUNTINFO:-/proc/self/mountinfo}"
      fstype="$(awk 'BEGIN { mp = ENVIRON["DATA_DIR"]; t = "" }
        $5 == mp { for (i = 7; i < NF; i++) if ($i == "-") { t = $(i + 1); break } }
        END { print t }' "$info")"
      case "$fstype" in
        nfs|nfs4) echo "nas-guard: $DATA_DIR is on $fstype"; exit 0 ;;
      esac
      echo "nas-guard: $DATA_DIR is not on NFS (file system: ${fstype:-not a mount point}); is the export mounted at $NAS_MOUNT_PATH on this node? (kubectl logs of the nas-mount DaemonSet pod)" >&2
      exit 1
    - nas-guard
  env:
    - name: DATA_DIR
      value: /var/lib/registry
    - name: NAS_MOUNT_PATH
      value: {{ .Values.nas.mountPath | quote }}
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: ["ALL"]
  resources:
    {{- toYaml (default (dict) .Values.nas.mounter.resources) | nindent 4 }}
  volumeMounts:
    - name: data
      mountPath: /var/lib/registry
      readOnly: true
{{- end }}
{{- end -}}

{{/*
Path of the registry's own config file inside its image, for
`registry garbage-collect CONFIG`: /etc/docker/registry/config.yml in
Distribution 2.x images, /etc/distribution/config.yml from 3.0.
*/}}
{{- define "creg.registryConfigPath" -}}
{{- if hasPrefix "2." (toString .Values.registry.image.tag) -}}
/etc/docker/registry/config.yml
{{- else -}}
/etc/distribution/config.yml
{{- end -}}
{{- end -}}

{{/* Names of the garbage-collection objects and the maintenance ConfigMap. */}}
{{- define "creg.gcName" -}}{{ include "creg.fullname" . }}-gc{{- end -}}
{{- define "creg.maintenanceName" -}}{{ include "creg.fullname" . }}-maintenance{{- end -}}

{{/* "true" when the registry reads its maintenance (read-only) setting from the maintenance ConfigMap. */}}
{{- define "creg.gcEnabled" -}}
{{- eq (toString (default (dict) .Values.gc).enabled) "true" -}}
{{- end -}}

{{/* "true" when metrics are on. */}}
{{- define "creg.metricsEnabled" -}}
{{- eq (toString (default (dict) .Values.metrics).enabled) "true" -}}
{{- end -}}

{{/* Env of the gc Job's read-only and read-write steps (a YAML list). */}}
{{- define "creg.gcMaintenanceEnv" -}}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: MAINTENANCE_CONFIGMAP
  value: {{ include "creg.maintenanceName" . | quote }}
- name: WORKLOAD_KIND
  value: {{ .Values.registry.kind | quote }}
- name: WORKLOAD_NAME
  value: {{ include "creg.fullname" . | quote }}
- name: POD_SELECTOR
  value: {{ include "creg.registryPodSelector" . | quote }}
- name: READY_TIMEOUT_SECONDS
  value: {{ include "creg.quoteInt" (default 300 .Values.gc.readyTimeoutSeconds) }}
{{- end -}}

{{/* securityContext of the gc Job's Node.js steps (the image's `node` user, like the signer). */}}
{{- define "creg.gcNodeSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}
