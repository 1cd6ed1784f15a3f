{{/*
The registry pod template, shared by the ReplicationController and the
Deployment (docs/architecture.md "Registry pod"). Use:
  template:
    {{- include "creg.registryPodTemplate" . | nindent 4 }}
*/}}
{{- define "creg.registryPodTemplate" -}}
{{- $port := int .Values.registry.port -}}
{{- $uid := int .Values.registry.runAsUser -}}
{{- $gid := int .Values.registry.runAsGroup -}}
metadata:
  labels:
    {{- include "creg.registrySelectorLabels" . | nindent 4 }}
  annotations:
    # ReplicationControllers do not roll their pods: the signer recycles pods
    # whose hash differs from their controller's template.
    creg-chart/values-hash: {{ toJson .Values | sha256sum | trunc 16 | quote }}
spec:
  nodeSelector:
    {{- include "creg.nodeSelector" . | nindent 4 }}
  automountServiceAccountToken: false
  # A Service named like a REGISTRY_* setting would inject variables that the
  # registry reads as configuration.
  enableServiceLinks: false
  # Every container runs as registry.runAsUser:runAsGroup, the owner of the
  # data directory (the mount DaemonSet hands it over), not as root.
  securityContext:
    runAsUser: {{ $uid }}
    runAsGroup: {{ $gid }}
    runAsNonRoot: {{ ne $uid 0 }}
    # Group owner of the Secret volume (mode 0440), so tls-setup can read the key.
    fsGroup: {{ $gid }}
    seccompProfile:
      type: RuntimeDefault
    {{- if and (lt $port 1024) (ne $uid 0) }}
    # A non-root process may bind the port below 1024 (a namespaced, safe sysctl).
    sysctls:
      - name: net.ipv4.ip_unprivileged_port_start
        value: {{ $port | toString | quote }}
    {{- end }}
  {{- with include "creg.podCommon" . | trim }}
  {{- . | nindent 2 }}
  {{- end }}
  initContainers:
    {{- if eq (include "creg.requireNfsMount" .) "true" }}
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
        {{- toYaml (default (dict) .Values.nas.mounter.resources) | nindent 8 }}
      volumeMounts:
        - name: data
          mountPath: /var/lib/registry
          readOnly: true
    {{- end }}
    # Copies the signed certificate from the TLS Secret into memory, or writes a
    # throw-away bootstrap certificate while the Secret does not exist yet (so
    # the pod becomes ready before the post-install hook: no --wait deadlock).
    - name: tls-setup
      image: {{ include "creg.image" .Values.signer.image }}
      imagePullPolicy: {{ .Values.signer.image.pullPolicy | quote }}
      command: ["node", "/signer/signer.js", "prepare-tls", "--from", "/tls-secret", "--to", "/certs"]
      securityContext:
        # Runs as the registry's user (pod securityContext), so that the
        # registry, without capabilities, can read the 0600 key it writes.
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities:
          drop: ["ALL"]
      resources:
        {{- toYaml (default (dict) .Values.signer.resources) | nindent 8 }}
      volumeMounts:
        - name: signer
          mountPath: /signer
          readOnly: true
        - name: tls-secret
          mountPath: /tls-secret
          readOnly: true
        - name: certs
          mountPath: /certs
  containers:
    - name: registry
      image: {{ include "creg.image" .Values.registry.image }}
      imagePullPolicy: {{ .Values.registry.image.pullPolicy | quote }}
      ports:
        - name: https
          containerPort: {{ $port }}
          protocol: TCP
      env:
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
          value: "true"
        {{- range .Values.registry.extraEnv }}
        - name: {{ .name | quote }}
          value: {{ .value | quote }}
        {{- end }}
      securityContext:
        allowPrivilegeEscalation: false
        # Writes only to /var/lib/registry (data) and /tmp (emptyDir).
        readOnlyRootFilesystem: true
        capabilities:
          drop: ["ALL"]
          {{- if and (lt $port 1024) (eq $uid 0) }}
          add: ["NET_BIND_SERVICE"]
          {{- end }}
      # Ready: answers HTTPS (TLS, routing and storage driver up) -> in the Service.
      readinessProbe:
        httpGet:
          scheme: HTTPS
          path: /
          port: https
        periodSeconds: 5
        failureThreshold: 3
      # Alive: still accepts connections. Deliberately weaker than readiness,
      # so a slow NFS server takes a pod out of the Service without
      # restarting it (a restart would not make the NAS faster).
      livenessProbe:
        tcpSocket:
          port: https
        initialDelaySeconds: 10
        periodSeconds: 20
        failureThreshold: 6
      resources:
        {{- toYaml (default (dict) .Values.registry.resources) | nindent 8 }}
      volumeMounts:
        - name: data
          mountPath: /var/lib/registry
        - name: certs
          mountPath: /certs
          readOnly: true
        - name: tmp
          mountPath: /tmp
  volumes:
    # Exists only on the export (created by the nas-mount DaemonSet after a
    # successful mount): type Directory keeps the pod off a node without it.
    - name: data
      hostPath:
        path: {{ printf "%s/registry" .Values.nas.mountPath | quote }}
        type: Directory
    - name: certs
      emptyDir:
        medium: Memory
        sizeLimit: 1Mi
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    - name: tls-secret
      secret:
        secretName: {{ include "creg.tlsSecretName" . | quote }}
        optional: true
        defaultMode: 288 # 0440: owner root, group fsGroup
    - name: signer
      configMap:
        name: {{ include "creg.signerName" . | quote }}
{{- end -}}
