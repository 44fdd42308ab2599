#!/usr/bin/env bash
# deploy-verify: the gate a deploy runs before `kubectl apply -f k8s/production/`.
#
# For every image digest in k8s/production (or in $IMAGES), with the stock
# cosign CLI and then with the project's policy engine:
#   1. cosign verify                                  signature on the digest
#   2. cosign verify-attestation --type slsaprovenance1   SLSA v1 provenance
#   3. cosign verify-attestation --type spdxjson          SPDX SBOM
#   4. (keyless) cosign verify-attestation --type slsaprovenance02 signed by
#      slsa-github-generator's container generator     SLSA Build L3
#   5. ninja-release verify --policies DIR              the ClusterImagePolicy
#      documents, evaluated by policy-controller's own code
# It exits non-zero naming each failure. It never applies, pushes or signs
# anything: it only reads from the registry.
#
# Identity: keyless by default (production): the Fulcio certificate must name
# this repository's release workflow on a vX.Y.Z tag, issued for the GitHub
# Actions OIDC token, and the signature must be in Rekor. With --key the
# signatures are checked against that public key instead (the local profile,
# offline: no transparency log).
#
# Usage: hack/deploy-verify.sh [--key cosign.pub] [--policies DIR]... [--tag vX.Y.Z]
#                              [--release release.json] [--base-digest sha256:...]
#                              [--manifests DIR] [--print-images]
#   --release, --base-digest  passed to `ninja-release verify`: the release
#                  record (release.json, attached to every GitHub release)
#                  names the verified base image digest the provenance must
#                  carry.
# Environment:
#   IMAGES         whitespace-separated REPO@sha256:... to verify instead of
#                  the digests found in the manifests
#   COSIGN         cosign command (default: bin/cosign, else
#                  `go run github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5`,
#                  the version of the cosign library in go.mod)
#   NINJA_RELEASE  pipeline CLI command (default: bin/ninja-release, else
#                  `go run ./cmd/ninja-release`)
# Exit status: 0 all verified, 1 a verification failed, 2 bad usage or input.
set -euo pipefail

readonly OIDC_ISSUER='https://token.actions.githubusercontent.com'
# Must equal the subjectRegExp of policies/production/hft-ninja-release.yaml;
# deploy/ tests compare the two.
readonly RELEASE_IDENTITY_REGEXP='^https://github\.com/hft-ninja/hft-ninja/\.github/workflows/release\.yml@refs/tags/v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'
readonly RELEASE_WORKFLOW='https://github.com/hft-ninja/hft-ninja/.github/workflows/release.yml'
# Must equal the subjectRegExp of policies/production/slsa-l3/hft-ninja-slsa-l3.yaml.
readonly GENERATOR_IDENTITY_REGEXP='^https://github\.com/slsa-framework/slsa-github-generator/\.github/workflows/generator_container_slsa3\.yml@refs/tags/v[0-9]+\.[0-9]+\.[0-9]+$'

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
key=""
tag=""
manifests="$root/k8s/production"
print_images=false
policies=()
passthrough=()

die() { echo "deploy-verify: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --key) [ $# -ge 2 ] || die "--key needs a file"; key="$2"; shift 2 ;;
    --policies) [ $# -ge 2 ] || die "--policies needs a directory"; policies+=("$2"); shift 2 ;;
    --tag) [ $# -ge 2 ] || die "--tag needs a value"; tag="$2"; shift 2 ;;
    --release) [ $# -ge 2 ] || die "--release needs a file"; [ -r "$2" ] || die "--release $2: not a readable file"; passthrough+=(--release "$2"); shift 2 ;;
    --base-digest) [ $# -ge 2 ] || die "--base-digest needs a value"; passthrough+=(--base-digest "$2"); shift 2 ;;
    --manifests) [ $# -ge 2 ] || die "--manifests needs a directory"; manifests="$2"; shift 2 ;;
    --print-images) print_images=true; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done

if [ -n "$key" ] && [ ! -r "$key" ]; then die "--key $key: not a readable file"; fi
if [ -n "$tag" ] && ! [[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  die "--tag $tag is not vMAJOR.MINOR.PATCH[-PRERELEASE]"
fi
if [ ${#policies[@]} -eq 0 ]; then
  if [ -n "$key" ]; then
    policies=("$root/policies/local")
  else
    policies=("$root/policies/production" "$root/policies/production/slsa-l3")
  fi
fi
for p in "${policies[@]}"; do [ -d "$p" ] || die "--policies $p: not a directory"; done

# Images: from $IMAGES, else every `image:` in the manifests, with file:line
# so a bad one can be found.
declare -a images=() origins=()
if [ -n "${IMAGES:-}" ]; then
  for i in $IMAGES; do images+=("$i"); origins+=("IMAGES"); done
else
  [ -d "$manifests" ] || die "$manifests: not a directory"
  while IFS= read -r hit; do
    file="${hit%%:*}"; rest="${hit#*:}"; line="${rest%%:*}"; text="${rest#*:}"
    img="$(sed -E 's/^[[:space:]]*-?[[:space:]]*image:[[:space:]]*//; s/[[:space:]]*(#.*)?$//; s/^["'\'']//; s/["'\'']$//' <<<"$text")"
    images+=("$img"); origins+=("${file#"$root"/}:$line")
  done < <(grep -nE '^[[:space:]]*-?[[:space:]]*image:' "$manifests"/*.yaml /dev/null || true)
fi
[ ${#images[@]} -gt 0 ] || die "no images found (set IMAGES or check --manifests)"

for n in "${!images[@]}"; do
  base="${images[$n]%@*}"
  # A ':' in the last path component is a tag (a ':' before the first '/' is
  # a registry port, which is fine).
  if ! [[ "${images[$n]}" =~ ^[^@[:space:]]+@sha256:[0-9a-f]{64}$ ]] || [[ "$base" != */* ]] || [[ "${base##*/}" == *:* ]]; then
    die "${origins[$n]}: image ${images[$n]} is not referenced by digest (want REPO@sha256:<64 hex>, no tag)"
  fi
done

if $print_images; then
  printf '%s\n' "${images[@]}"
  exit 0
fi

cosign_cmd=()
if [ -n "${COSIGN:-}" ]; then read -r -a cosign_cmd <<<"$COSIGN"
elif [ -x "$root/bin/cosign" ]; then cosign_cmd=("$root/bin/cosign")
else cosign_cmd=(go run github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5)
fi
ninja_cmd=()
if [ -n "${NINJA_RELEASE:-}" ]; then read -r -a ninja_cmd <<<"$NINJA_RELEASE"
elif [ -x "$root/bin/ninja-release" ]; then ninja_cmd=("$root/bin/ninja-release")
else ninja_cmd=(go run -C "$root" ./cmd/ninja-release)
fi

# Identity flags shared by every cosign call for our own signatures.
if [ -n "$key" ]; then
  ident=(--key "$key" --insecure-ignore-tlog=true)
elif [ -n "$tag" ]; then
  ident=(--certificate-oidc-issuer "$OIDC_ISSUER" --certificate-identity "$RELEASE_WORKFLOW@refs/tags/$tag")
else
  ident=(--certificate-oidc-issuer "$OIDC_ISSUER" --certificate-identity-regexp "$RELEASE_IDENTITY_REGEXP")
fi

failures=0
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# check NAME IMAGE CMD...: run one verification, print PASS/FAIL with the
# tool's last meaningful line on failure.
check() {
  local what="$1" img="$2"; shift 2
  if "$@" >"$log" 2>&1; then
    echo "PASS  $what  $img"
  else
    local reason
    reason="$(grep -v '^[[:space:]]*$' "$log" | grep -iE 'error|no |fail|deny|mismatch|not ' | tail -n 1 || true)"
    [ -n "$reason" ] || reason="$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 || true)"
    echo "FAIL  $what  $img: ${reason:-exit status non-zero}"
    failures=$((failures + 1))
  fi
}

for n in "${!images[@]}"; do
  img="${images[$n]}"
  echo "== ${img} (${origins[$n]})"
  check "signature (cosign verify)" "$img" "${cosign_cmd[@]}" verify "${ident[@]}" "$img"
  check "SLSA v1 provenance (cosign verify-attestation --type slsaprovenance1)" "$img" \
    "${cosign_cmd[@]}" verify-attestation --type slsaprovenance1 "${ident[@]}" "$img"
  check "SPDX SBOM (cosign verify-attestation --type spdxjson)" "$img" \
    "${cosign_cmd[@]}" verify-attestation --type spdxjson "${ident[@]}" "$img"
  if [ -z "$key" ]; then
    check "SLSA Build L3 provenance from slsa-github-generator (--type slsaprovenance02)" "$img" \
      "${cosign_cmd[@]}" verify-attestation --type slsaprovenance02 \
      --certificate-oidc-issuer "$OIDC_ISSUER" --certificate-identity-regexp "$GENERATOR_IDENTITY_REGEXP" "$img"
  fi
  for p in "${policies[@]}"; do
    vflags=(--policies "$p" "${passthrough[@]}")
    [ -z "$key" ] || vflags+=(--key "$key")
    check "admission policies in ${p#"$root"/} (ninja-release verify)" "$img" "${ninja_cmd[@]}" verify "${vflags[@]}" "$img"
  done
done

if [ "$failures" -gt 0 ]; then
  echo "deploy-verify: $failures check(s) failed; do NOT apply. Nothing was applied." >&2
  exit 1
fi
echo "deploy-verify: all ${#images[@]} image(s) verified; safe to kubectl apply -f ${manifests#"$root"/}/"
