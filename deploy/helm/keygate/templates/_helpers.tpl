{{/* The chart name, or nameOverride. */}}
{{- define "keygate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: fullnameOverride, the release name when it contains the chart name, or both. */}}
{{- define "keygate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels that select the release's pods; never change them on upgrade (selectors are immutable). */}}
{{- define "keygate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "keygate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "keygate.labels" -}}
{{ include "keygate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "keygate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "keygate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "keygate.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Where the Secret's files are mounted, and the policy and config directories. */}}
{{- define "keygate.secretDir" -}}/var/run/secrets/keygate{{- end }}
{{- define "keygate.policyDir" -}}/etc/keygate/policy{{- end }}
{{- define "keygate.configDir" -}}/etc/keygate/config{{- end }}

{{- define "keygate.secretName" -}}
{{- default (include "keygate.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{- define "keygate.policyConfigMapName" -}}
{{- default (printf "%s-policy" (include "keygate.fullname" .)) .Values.policy.existingConfigMap }}
{{- end }}

{{/* "true" when keygate gets a Redis URL from the Secret. */}}
{{- define "keygate.redis" -}}
{{- if .Values.secret.existingSecret }}{{ ne .Values.secret.existingSecretKeys.redisUrl "" }}{{ else }}{{ ne .Values.secret.redisUrl "" }}{{ end }}
{{- end }}

{{/*
The config file: .Values.config plus the policy path, which the chart owns (the policy is mounted by the chart).
Secrets are never in it: values.schema.json refuses clientSecret, sessionSecrets, redisUrl and policyFile under config.
*/}}
{{- define "keygate.configFile" -}}
{{- $config := deepCopy .Values.config }}
{{- $_ := set $config "policyFile" (printf "%s/policy.yaml" (include "keygate.policyDir" .)) }}
{{- toYaml $config }}
{{- end }}

{{/* The identity header names keygate sends (its defaults, DESIGN.md §6, overridden by config.headers). */}}
{{- define "keygate.identityHeaders" -}}
{{- $defaults := dict "user" "X-Auth-User" "email" "X-Auth-Email" "subject" "X-Auth-Subject" "name" "X-Auth-Name" "roles" "X-Auth-Roles" "groups" "X-Auth-Groups" }}
{{- $headers := merge (deepCopy (default (dict) .Values.config.headers)) $defaults }}
{{- $out := list }}
{{- range $k := list "user" "email" "subject" "name" "roles" "groups" }}
{{- $out = append $out (get $headers $k) }}
{{- end }}
{{- if .Values.config.passAccessToken }}
{{- $out = append $out "Authorization" }}
{{- end }}
{{- toJson $out }}
{{- end }}

{{/* The session cookie and its chunks, as Traefik must copy them from keygate's 200. */}}
{{- define "keygate.sessionCookies" -}}
{{- $name := "keygate" }}
{{- with .Values.config.cookie }}{{ with .name }}{{ $name = . }}{{ end }}{{ end }}
{{- $out := list $name }}
{{- range $i := until (int .Values.traefikMiddleware.sessionCookieChunks) }}
{{- $out = append $out (printf "%s.%d" $name (add1 $i)) }}
{{- end }}
{{- toJson $out }}
{{- end }}
