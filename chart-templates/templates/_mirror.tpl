{{/*
Mirror mode (docs/mirror.md): the registry container's REGISTRY_PROXY_*
settings, so Distribution runs as a pull-through cache of mirror.upstream.
Credentials come only from an existing Secret (secretKeyRef), never from
values.
creg.registryEnv (_registry-env.tpl) includes it after the feature env.
*/}}
{{- define "creg.mirrorEnv" -}}
{{- $m := default (dict) .Values.mirror -}}
{{- if $m.enabled -}}
- name: REGISTRY_PROXY_REMOTEURL
  value: {{ required "mirror.upstream is required when mirror.enabled is true (e.g. https://registry-1.docker.io)" $m.upstream | quote }}
{{- $cred := default (dict) $m.credentialsSecret }}
{{- if $cred.name }}
- name: REGISTRY_PROXY_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $cred.name | quote }}
      key: {{ default "username" $cred.usernameKey | quote }}
- name: REGISTRY_PROXY_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $cred.name | quote }}
      key: {{ default "password" $cred.passwordKey | quote }}
{{- end }}
{{- if and $m.ttl (regexMatch "^v?2[.]" (toString $.Values.registry.image.tag)) }}
{{- fail (printf "mirror.ttl (%s) needs Distribution >= 3.0, but registry.image.tag is %s (Distribution 2.x ignores REGISTRY_PROXY_TTL and keeps the cache for 7 days). Set registry.image.tag to 3.1.2 or later, or leave mirror.ttl empty." $m.ttl (toString $.Values.registry.image.tag)) }}
{{- end }}
{{- with $m.ttl }}
- name: REGISTRY_PROXY_TTL
  value: {{ . | quote }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* The mirror hosts as one space-separated string for the node trust script (empty when mirror mode is off). */}}
{{- define "creg.mirrorHosts" -}}
{{- $m := default (dict) .Values.mirror -}}
{{- if $m.enabled -}}{{- join " " (default (list) $m.hosts) -}}{{- end -}}
{{- end -}}
