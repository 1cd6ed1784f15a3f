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
    {{- include "creg.registryPodLabels" . | nindent 4 }}
  annotations:
    {{- with include "creg.registryPodAnnotations" . | trim }}
    {{- . | nindent 4 }}
    {{- end }}
    # ReplicationControllers do not roll their pods: the signer recycles pods
    # whose hash differs from their controller's template.
    creg-chart/values-hash: {{ toJson .Values | sha256sum | trunc 16 | quote }}
spec:
  {{- with include "creg.storageNodeSelector" . | trim }}
  {{- . | nindent 2 }}
  {{- end }}
  automountServiceAccountToken: false
  # A Service named like a REGISTRY_* setting would inject variables that the
  # registry reads as configuration.
  enableServiceLinks: false
  # Every container runs as registry.runAsUser:runAsGroup, the owner of the
  # data directory (the mount DaemonSet hands it over), not as root
  # (creg.registryPodSecurityContext).
  securityContext:
    {{- include "creg.registryPodSecurityContext" . | nindent 4 }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with include "creg.registryTolerations" . | trim }}
  # tolerations + registry.failover.tolerationSeconds (README "When a registry node dies").
  tolerations:
    {{- . | nindent 4 }}
  {{- end }}
  {{- with include "creg.registryScheduling" . | trim }}
  {{- . | nindent 2 }}
  {{- end }}
  initContainers:
    {{- with include "creg.storageInitContainers" . | trim }}
    {{- . | nindent 4 }}
    {{- end }}
    # Copies the signed certificate from the TLS Secret into memory, or writes a
    # throw-away bootstrap certificate while the Secret does not exist yet (so
    # the pod becomes ready before the post-install hook: no --wait deadlock).
    - name: tls-setup
      image: {{ include "creg.image" .Values.signer.image }}
      imagePullPolicy: {{ .Values.signer.image.pullPolicy | quote }}
      command: ["node", "/signer/signer.js", "prepare-tls", "--from", "/tls-secret", "--to", "/certs"{{ include "creg.authInitArgs" . }}]
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
        {{- with include "creg.authInitVolumeMounts" . }}
        {{- . | nindent 8 }}
        {{- end }}
  containers:
    - name: registry
      image: {{ include "creg.image" .Values.registry.image }}
      imagePullPolicy: {{ .Values.registry.image.pullPolicy | quote }}
      ports:
        - name: https
          containerPort: {{ $port }}
          protocol: TCP
        {{- if eq (include "creg.metricsEnabled" .) "true" }}
        - name: metrics
          containerPort: {{ int .Values.metrics.port }}
          protocol: TCP
        {{- end }}
      env:
        {{- include "creg.registryEnv" . | nindent 8 }}
      securityContext:
        {{- include "creg.registrySecurityContext" . | nindent 8 }}
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
        {{- with include "creg.storageVolumeMount" . | trim }}
        {{- . | nindent 8 }}
        {{- end }}
        - name: certs
          mountPath: /certs
          readOnly: true
        - name: tmp
          mountPath: /tmp
        {{- with include "creg.authVolumeMounts" . }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with .Values.registry.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    {{- with include "creg.storageVolume" . | trim }}
    {{- . | nindent 4 }}
    {{- end }}
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
    {{- with include "creg.authVolumes" . }}
    {{- . | nindent 4 }}
    {{- end }}
    {{- with .Values.registry.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}
