#!/bin/sh
# Lay out the root filesystem of the sigaudit container image: the binary and the shared
# libraries it loads (the C library, libgcc_s, the dynamic loader), at their own paths, and
# nothing else: no shell, no package manager, no certificates (sigaudit never uses a network).
#
#   deploy/container/rootfs.sh BINARY DEST
#
# The Dockerfile runs it in its build stage; `podman build --build-arg BINARY_FROM=prebuilt`
# takes DEST=target/container-rootfs from the build context instead (made from a binary built
# on the host, e.g. by CI, where no base image can be pulled).
set -eu
if [ "$#" -ne 2 ]; then
  echo "usage: $0 BINARY DEST" >&2
  exit 2
fi
bin="$1"
dest="$2"
if [ ! -x "$bin" ]; then
  echo "error: $bin is not an executable file" >&2
  exit 2
fi
rm -rf "$dest"
mkdir -p "$dest/usr/local/bin"
cp "$bin" "$dest/usr/local/bin/sigaudit"
# ldd prints "name => /path (addr)" for libraries and "/path (addr)" for the loader; a static
# binary prints "not a dynamic executable" (and ldd exits 1): then there is nothing to copy.
libs="$(ldd "$bin" 2>/dev/null | awk '/=> \// {print $3} /^[[:space:]]*\// {print $1}')" || true
for lib in $libs; do
  mkdir -p "$dest$(dirname "$lib")"
  # -L: the file a library's symbolic link names, under the name the binary asks for.
  cp -L "$lib" "$dest$lib"
done
echo "$dest: $(find "$dest" -type f | wc -l) files, $(du -sh "$dest" | cut -f1)"
