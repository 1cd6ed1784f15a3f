{{/*
Registry authentication and network policy helpers (README "Authentication").
No password is ever rendered: the signer hook generates the users on first
install and keeps them in Secrets it owns (like the CA), or auth.existingSecret
names a Secret the operator made.
*/}}

{{/* "true" when auth.enabled. */}}
{{- define "creg.authEnabled" -}}
{{- if and .Values.auth (eq (toString .Values.auth.enabled) "true") -}}true{{- end -}}
{{- end -}}

{{/* The Secret with the htpasswd file the registry reads (key htpasswd). */}}
{{- define "creg.htpasswdSecretName" -}}
{{- if and .Values.auth .Values.auth.existingSecret -}}
{{- .Values.auth.existingSecret -}}
{{- else -}}
{{- include "creg.fullname" . }}-htpasswd
{{- end -}}
{{- end -}}
{{/* The generated push user's credentials (kubernetes.io/basic-auth; made by the signer). */}}
{{- define "creg.pushSecretName" -}}{{ include "creg.fullname" . }}-push{{- end -}}
{{/* The image pull Secret (kubernetes.io/dockerconfigjson, pull user only; made by the signer). */}}
{{- define "creg.pullSecretName" -}}{{ include "creg.fullname" . }}-pull{{- end -}}

{{/* Environment of the signer hook for auth (REGISTRY_PORT, shared with discovery, is in signer-job.yaml). */}}
{{- define "creg.signerAuthEnv" -}}
- name: AUTH_MODE
  value: {{ if not (include "creg.authEnabled" .) }}"off"{{ else if .Values.auth.existingSecret }}"existing"{{ else }}"generate"{{ end }}
{{- if include "creg.authEnabled" . }}
- name: AUTH_HTPASSWD_SECRET
  value: {{ include "creg.htpasswdSecretName" . | quote }}
- name: AUTH_PUSH_SECRET
  value: {{ include "creg.pushSecretName" . | quote }}
- name: AUTH_PULL_SECRET
  value: {{ include "creg.pullSecretName" . | quote }}
- name: AUTH_PUSH_USER
  value: {{ default "push" .Values.auth.pushUser | quote }}
- name: AUTH_PULL_USER
  value: {{ default "pull" .Values.auth.pullUser | quote }}
{{- end }}
{{- end -}}

{{/* Secret names the signer may read and update (Role resourceNames). */}}
{{- define "creg.signerAuthSecretNames" -}}
{{- if include "creg.authEnabled" . -}}
- {{ include "creg.htpasswdSecretName" . | quote }}
- {{ include "creg.pushSecretName" . | quote }}
- {{ include "creg.pullSecretName" . | quote }}
{{- end }}
{{- end -}}

{{/* The init container's extra arguments: copy the htpasswd file into memory. */}}
{{- define "creg.authInitArgs" -}}
{{- if include "creg.authEnabled" . -}}
, "--htpasswd-from", "/auth-secret/htpasswd", "--htpasswd-to", "/auth/htpasswd"
{{- end -}}
{{- end -}}

{{/* "true" when the node trust DaemonSet writes the pull credential into hosts.toml. */}}
{{- define "creg.trustPullCredentials" -}}
{{- if and (include "creg.authEnabled" .) .Values.nodeTrust.pullCredentials .Values.nodeTrust.writeContainerd -}}true{{- end -}}
{{- end -}}

{{/* node trust: env, mount and volume of the pull credential (nodeTrust.pullCredentials). */}}
{{- define "creg.trustAuthEnv" -}}
{{- if include "creg.trustPullCredentials" . -}}
- name: AUTH_HEADER_FILE
  value: /pull/authorization
{{- end -}}
{{- end -}}
{{- define "creg.trustAuthVolumeMounts" -}}
{{- if include "creg.trustPullCredentials" . -}}
- name: pull
  mountPath: /pull
  readOnly: true
{{- end -}}
{{- end -}}
{{- define "creg.trustAuthVolumes" -}}
{{- if include "creg.trustPullCredentials" . -}}
# The pull Secret the signer makes (optional: it exists only after the hook ran).
- name: pull
  secret:
    secretName: {{ include "creg.pullSecretName" . | quote }}
    optional: true
    defaultMode: 256 # 0400
    items:
      - key: authorization
        path: authorization
{{- end -}}
{{- end -}}
