{{/* Names: <release>-preflight unless the release name holds the chart name; both overridable. */}}
{{- define "preflight.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "preflight.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "preflight.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "preflight.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries (https://helm.sh/docs/chart_best_practices/labels/). */}}
{{- define "preflight.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "preflight.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: preflight
{{- end -}}

{{- define "preflight.selectorLabels" -}}
app.kubernetes.io/name: {{ include "preflight.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "preflight.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/*
Checks that stop a release which cannot work or would be unsafe:
- more than one replica must not share a ReadWriteOnce volume, and needs shared state (Redis);
- impersonation is granted only for mapped identities, never for system: users or groups;
- every tenant's namespaces are target namespaces (Preflight has apply rights there only), and
  no two tenants share one.
*/}}
{{- define "preflight.checks" -}}
{{- $owner := dict -}}
{{- range $workspace, $tenant := .Values.tenants -}}
{{- range $tenant.namespaces -}}
{{- if not (has . $.Values.targetNamespaces) -}}
{{- fail (printf "tenants.%s deploys to %s, which is not in targetNamespaces (Preflight has no rights there)" $workspace .) -}}
{{- end -}}
{{- if hasKey $owner . -}}
{{- fail (printf "namespace %s is given to tenants %s and %s: each namespace belongs to one tenant" . (get $owner .) $workspace) -}}
{{- end -}}
{{- $_ := set $owner . $workspace -}}
{{- end -}}
{{- end -}}
{{- if and (gt (int .Values.replicas) 1) .Values.persistence.enabled -}}
{{- fail "replicas > 1 cannot share the ReadWriteOnce data volume: set persistence.enabled=false (each pod builds its own knowledge base, or set knowledge.qdrantUrl) and keep state in Redis (sharedState: true)" -}}
{{- end -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.sharedState) -}}
{{- fail "replicas > 1 need thread state, records and audit in Redis: put redis_url in the secret's preflight_state key and set sharedState: true" -}}
{{- end -}}
{{- if .Values.impersonateApprovers -}}
{{- if not .Values.identities -}}
{{- fail "impersonateApprovers needs identities (chat user -> Kubernetes user): impersonation is granted for those names only" -}}
{{- end -}}
{{- range $chat, $user := .Values.identities -}}
{{- if hasPrefix "system:" $user -}}
{{- fail (printf "identities.%s maps to %s: system: users are never impersonated" $chat $user) -}}
{{- end -}}
{{- end -}}
{{- range $chat, $groups := .Values.identityGroups -}}
{{- range $groups -}}
{{- if hasPrefix "system:" . -}}
{{- fail (printf "identityGroups.%s lists %s: system: groups are never impersonated" $chat .) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Every Kubernetes group some chat user is mapped to, sorted and distinct. */}}
{{- define "preflight.mappedGroups" -}}
{{- $groups := list -}}
{{- range $chat, $list := .Values.identityGroups -}}
{{- $groups = concat $groups $list -}}
{{- end -}}
{{- toJson ($groups | uniq | sortAlpha) -}}
{{- end -}}
