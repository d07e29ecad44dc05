#!/bin/sh
# Build the libFuzzer harnesses with clang, ASan and UBSan against the core
# and plugin sources.  Usage: fuzz/build.sh [OUTDIR]  (default build-fuzz/fuzz)
# Then e.g.: OUTDIR/fuzz_html -jobs=1 -max_total_time=180 fuzz/corpus/html
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/build-fuzz/fuzz}
mkdir -p "$out/obj"
CC=${CC:-clang}
version=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$src/meson.build")
pkgs="lua5.4 libxml-2.0 libpcre2-8 jansson zlib libdeflate uchardet icu-i18n icu-uc"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -g -O1 -fno-omit-frame-pointer $san -D_GNU_SOURCE \
 -DPIPE_VERSION=\"$version\" -DPIPE_SOURCE_SCRIPTS=\"$src/scripts\" \
 -DPIPE_INSTALLED_SCRIPTS=\"/usr/local/share/pipe/scripts\" \
 -I$src/include -I$src/core -I$src/plugins/html $(pkg-config --cflags $pkgs)"
objs=
for f in "$src"/core/*.c "$src"/plugins/*.c "$src"/plugins/*/*.c; do
    case $f in */core/main.c) continue ;; esac
    o=$out/obj/$(basename "$(dirname "$f")")_$(basename "$f" .c).o
    # the html plugin defines what include/pipe/html.h wraps
    extra=
    case $f in */plugins/html/*) extra=-DPIPE_HTML_PROVIDER ;; esac
    $CC $cflags $extra -fsanitize=fuzzer-no-link -c "$f" -o "$o"
    objs="$objs $o"
done
for h in "$src"/fuzz/fuzz_*.c; do
    name=$(basename "$h" .c)
    $CC $cflags -fsanitize=fuzzer "$h" $objs -o "$out/$name" \
        $(pkg-config --libs $pkgs) -lm
    echo "built $out/$name"
done
