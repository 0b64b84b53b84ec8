#!/usr/bin/env sh
# render-manifest.sh VERSION URL DIST: writes DIST/yeetscale.yaml from the krew
# manifest template beside this script, with the release VERSION (vX.Y.Z),
# the base URL the archives are downloaded from, and the sha256 of each
# DIST/kubectl-yeetscale_VERSION_OS_ARCH.tar.gz (read from its .sha256 file).
set -eu
if [ $# -ne 3 ]; then
	echo "usage: $0 VERSION URL DIST" >&2
	exit 2
fi
version=$1 url=$2 dist=$3
here=$(dirname "$0")
if ! printf '%s\n' "$version" | grep -Eq '^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$'; then
	echo "$0: version \"$version\" is not vX.Y.Z (krew needs a semantic version); run: make dist VERSION=v0.1.0" >&2
	exit 2
fi
script="s|@VERSION@|$version|g; s|@URL@|$url|g"
for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
	sumfile="$dist/kubectl-yeetscale_${version}_${platform}.tar.gz.sha256"
	sum=$(cut -d' ' -f1 "$sumfile")
	if ! printf '%s\n' "$sum" | grep -Eq '^[0-9a-f]{64}$'; then
		echo "$0: $sumfile does not hold a sha256" >&2
		exit 1
	fi
	key=$(printf '%s' "$platform" | tr 'a-z' 'A-Z')
	script="$script; s|@SHA256_${key}@|$sum|g"
done
{
	echo "# krew manifest for kubectl-yeetscale $version, rendered by make dist from cmd/kubectl-yeetscale/yeetscale.yaml."
	# The template's leading comment describes the template: leave it out.
	sed -e '1,/^apiVersion:/{/^#/d;}' -e "$script" "$here/yeetscale.yaml"
} >"$dist/yeetscale.yaml.tmp"
if grep -n '@[A-Z0-9_]*@' "$dist/yeetscale.yaml.tmp" >&2; then
	echo "$0: placeholders left in the manifest (above)" >&2
	rm -f "$dist/yeetscale.yaml.tmp"
	exit 1
fi
mv "$dist/yeetscale.yaml.tmp" "$dist/yeetscale.yaml"
