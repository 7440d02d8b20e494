{{- define "autoproces.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "autoproces.fullname" -}}
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

{{- define "autoproces.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "autoproces.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "autoproces.selectorLabels" -}}
app.kubernetes.io/name: {{ include "autoproces.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "autoproces.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "autoproces.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "autoproces.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "autoproces.baseUrl" -}}
{{- if .Values.config.baseUrl }}
{{- .Values.config.baseUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- printf "https://%s" (first .Values.ingress.hosts) }}
{{- end }}
{{- end }}

{{/* The secret settings, as [values key, environment variable, required] in one list. */}}
{{- define "autoproces.secretSettings" -}}
databaseUrl: [DATABASE_URL, true]
secretKey: [SECRET_KEY, true]
encryptionKey: [AUTOPROCES_ENCRYPTION_KEY, true]
smtpUsername: [SMTP_USERNAME, false]
smtpPassword: [SMTP_PASSWORD, false]
s3AccessKeyId: [AUTOPROCES_S3_ACCESS_KEY_ID, false]
s3SecretAccessKey: [AUTOPROCES_S3_SECRET_ACCESS_KEY, false]
operatorOidcClientSecret: [OPERATOR_OIDC_CLIENT_SECRET, false]
rateLimitStorageUri: [RATELIMIT_STORAGE_URI, false]
metricsToken: [AUTOPROCES_METRICS_TOKEN, false]
{{- end }}

{{/*
One secret environment variable: from the named existing Secret, else from the chart's own
Secret when a value is given. A required one given neither way stops the install.
Call with (dict "root" $ "item" "databaseUrl" "env" "DATABASE_URL" "required" true "secret" NAME).
*/}}
{{- define "autoproces.secretEnv" -}}
{{- $s := index .root.Values.secrets .item }}
{{- if $s.existingSecret }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ $s.key | default .env }}
{{- else if $s.value }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .env }}
{{- else if .required }}
{{- fail (printf "secrets.%s: give a value or an existingSecret (%s)" .item .env) }}
{{- end }}
{{- end }}

{{/* Everything web and worker read from their environment. */}}
{{- define "autoproces.env" -}}
{{- $secret := include "autoproces.fullname" . }}
{{- range $item, $spec := include "autoproces.secretSettings" . | fromYaml }}
{{- include "autoproces.secretEnv" (dict "root" $ "item" $item "env" (index $spec 0) "required" (index $spec 1) "secret" $secret) }}
{{- end }}
{{- if .Values.saml.enabled }}
- name: AUTOPROCES_SAML_KEY_FILE
  value: {{ printf "%s/%s" .Values.saml.mountPath .Values.saml.keyKey | quote }}
- name: AUTOPROCES_SAML_CERT_FILE
  value: {{ printf "%s/%s" .Values.saml.mountPath .Values.saml.certKey | quote }}
{{- end }}
{{- if include "autoproces.kombitMetadata" . }}
- name: AUTOPROCES_KOMBIT_METADATA_FILE
  value: {{ printf "%s/%s" .Values.saml.kombitMetadata.mountPath .Values.saml.kombitMetadata.key | quote }}
{{- end }}
{{- if .Values.files.existingClaim }}
- name: AUTOPROCES_FILES_PATH
  value: {{ .Values.files.mountPath | quote }}
{{- end }}
{{- end }}

{{/* The ConfigMap holding KOMBIT's metadata, if any. */}}
{{- define "autoproces.kombitMetadata" -}}
{{- if .Values.saml.kombitMetadata.existingConfigMap }}
{{- .Values.saml.kombitMetadata.existingConfigMap }}
{{- else if .Values.saml.kombitMetadata.xml }}
{{- include "autoproces.fullname" . }}-kombit
{{- end }}
{{- end }}

{{/* The Secret holding the SAML key pair. */}}
{{- define "autoproces.samlSecret" -}}
{{- if .Values.saml.existingSecret }}
{{- .Values.saml.existingSecret }}
{{- else }}
{{- include "autoproces.fullname" . }}-saml
{{- end }}
{{- end }}

{{/* The writable places of a read-only root: /tmp, the instance folder, the metrics files. */}}
{{- define "autoproces.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: instance
  mountPath: /var/lib/autoproces
- name: metrics
  mountPath: /run/autoproces/metrics
{{- if .Values.saml.enabled }}
- name: saml
  mountPath: {{ .Values.saml.mountPath }}
  readOnly: true
{{- end }}
{{- if include "autoproces.kombitMetadata" . }}
- name: kombit
  mountPath: {{ .Values.saml.kombitMetadata.mountPath }}
  readOnly: true
{{- end }}
{{- if .Values.files.existingClaim }}
- name: files
  mountPath: {{ .Values.files.mountPath }}
{{- end }}
{{- end }}

{{- define "autoproces.volumes" -}}
- name: tmp
  emptyDir: {}
- name: instance
  emptyDir: {}
- name: metrics
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
{{- if .Values.saml.enabled }}
- name: saml
  secret:
    secretName: {{ include "autoproces.samlSecret" . }}
    defaultMode: 0440
    items:
      - {key: {{ .Values.saml.keyKey }}, path: {{ .Values.saml.keyKey }}}
      - {key: {{ .Values.saml.certKey }}, path: {{ .Values.saml.certKey }}}
{{- end }}
{{- with include "autoproces.kombitMetadata" . }}
- name: kombit
  configMap:
    name: {{ . }}
    items:
      - {key: {{ $.Values.saml.kombitMetadata.key }}, path: {{ $.Values.saml.kombitMetadata.key }}}
{{- end }}
{{- if .Values.files.existingClaim }}
- name: files
  persistentVolumeClaim:
    claimName: {{ .Values.files.existingClaim }}
{{- end }}
{{- end }}

{{/* Call with (dict "root" $ "hook" BOOL): a hook's pod runs before the release's own
ServiceAccount exists, so it takes the namespace's default one (or a named existing one). */}}
{{- define "autoproces.podSpecCommon" -}}
{{- $root := .root }}
{{- if not (and .hook $root.Values.serviceAccount.create) }}
serviceAccountName: {{ include "autoproces.serviceAccountName" $root }}
{{- end }}
automountServiceAccountToken: false
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- end }}
