#!/bin/sh
# Fetches Tiny Shakespeare into data/tinyshakespeare.txt (run by `make data`) and checks its sha256, so every
# machine trains on the same bytes. MEMSCOPE_DATA_SRC=/path/to/copy copies a local file instead of downloading.
set -u

URL=https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt
SHA256=86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed

dir=$(dirname "$0")
dest="$dir/tinyshakespeare.txt"
tmp="$dest.tmp"

# The EXIT trap removes a partial download; signals go through exit so that it runs for them too.
trap 'rm -f "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say() { printf 'fetch.sh: %s\n' "$*" >&2; }

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        say "neither sha256sum nor shasum is installed; install coreutils to verify the corpus"
        exit 1
    fi
}

fallback_advice() {
    if [ -f "$dest" ]; then
        fallback="memscope will go on using the unverified $dest."
    else
        fallback="memscope will use its built-in corpus instead."
    fi
    say "$fallback To train on Tiny Shakespeare, place a copy at $dest by hand" \
        "(e.g. cp ../shared/data/tinyshakespeare.txt data/) or run MEMSCOPE_DATA_SRC=/path/to/copy make data"
}

# Renames the verified temporary file into place; a mismatch deletes it and says so.
install_verified() { # source description
    actual=$(sha256_of "$tmp")
    if [ "$actual" != "$SHA256" ]; then
        rm -f "$tmp"
        say "checksum mismatch for $1: expected sha256 $SHA256, got $actual; the copy was deleted"
        exit 1
    fi
    mv -f "$tmp" "$dest" || { say "could not move $tmp to $dest"; exit 1; }
    say "$dest is in place (sha256 verified, from $1)"
}

copy_local() { # path
    if [ ! -f "$1" ] || [ ! -r "$1" ]; then
        say "MEMSCOPE_DATA_SRC=$1 is not a readable file; point it at a copy of Tiny Shakespeare"
        exit 1
    fi
    # cat rather than cp: the copy gets ordinary permissions even when the source is read-only.
    cat "$1" >"$tmp" || { say "could not copy $1 to $tmp"; exit 1; }
    install_verified "$1"
}

# Prints the downloader's own error (e.g. "Could not resolve host") for the one-message report.
download() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -L --connect-timeout 20 --max-time 300 -o "$tmp" "$URL" 2>&1
    elif command -v wget >/dev/null 2>&1; then
        wget -nv -T 20 -O "$tmp" "$URL" 2>&1
    else
        echo "neither curl nor wget is installed"
        return 1
    fi
}

if [ -f "$dest" ]; then
    if [ "$(sha256_of "$dest")" = "$SHA256" ]; then
        say "$dest is already present and verified; nothing to do"
        exit 0
    fi
    say "$dest exists but its sha256 does not match (a different or damaged copy); fetching one to replace it"
fi

if [ -n "${MEMSCOPE_DATA_SRC:-}" ]; then
    copy_local "$MEMSCOPE_DATA_SRC"
    exit 0
fi

if ! reason=$(download); then
    rm -f "$tmp"
    reason=$(printf '%s' "$reason" | tr '\n' ' ' | sed 's/ *$//')
    say "could not download $URL (${reason:-no reason given})."
    fallback_advice
    exit 1
fi
install_verified "$URL"
