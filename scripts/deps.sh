#!/usr/bin/env bash
# Installs the Debian packages crowdloop needs to build, test and run its demo, when they are
# missing: with apt-get as root, with sudo otherwise, and a clear message when neither works.
set -euo pipefail

packages=(build-essential cmake pkg-config python3 libmicrohttpd-dev libjansson-dev
  libsqlite3-dev sqlite3 libsodium-dev libcurl4-openssl-dev libarchive-dev libstb-dev
  libcmocka-dev libmimalloc-dev dataset-fashion-mnist nodejs npm chromium fonts-nanum
  slurm-wlm slurm-client munge
  fonts-dejavu-core libtesseract-dev tesseract-ocr tesseract-ocr-kor tesseract-ocr-eng tesseract-ocr-script-hang openssl
  liblinear-dev libvlfeat-dev libfasttext-dev liblinear-tools fasttext time)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node and npm may come from outside Debian (e.g. a nodesource or nvm install): keep those.
if command -v node >/dev/null && command -v npm >/dev/null; then
  kept=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || kept+=("$p"); done
  missing=("${kept[@]}")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "crowdloop: installing missing Debian packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "crowdloop: cannot install ${missing[*]}: run as root or give sudo rights, or install them by hand:" >&2
  echo "  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
