#!/bin/sh
# The layering the build enforces: every plugin file is compiled with
# include/ as the only include path of pipe's, so a plugin that includes
# core.h (or another plugin's header) does not build; core files do not
# see the plugins' headers either.  Checked with the real compile commands
# (BUILDDIR/compile_commands.json): a probe including core.h must fail
# with each plugin's flags, and one including pipe/plugin.h must compile.
# The sources follow the rule too: a plugin file includes "pipe/..." and
# headers of its own directory, nothing with "..".
. "$(dirname "$0")/lib.sh"
: "${BUILDDIR:?BUILDDIR must name the build directory}"
db=$BUILDDIR/compile_commands.json
[ -f "$db" ] || fail "no $db"
command -v jq >/dev/null 2>&1 || { echo "SKIP: layering: no jq"; exit 0; }

printf '#include "core.h"\nint probe_core;\n' > "$TMP/with_core.c"
printf '#include "css.h"\nint probe_css;\n' > "$TMP/with_css.c"
printf '#include "pipe/plugin.h"\n#include "pipe/util.h"\nint probe_ok;\n' > "$TMP/with_api.c"

# the compile command of FILE, to check PROBE with instead
probe_cmd() {
  jq -r --arg f "$1" '.[] | select(.file | endswith($f)) | "\(.directory)\t\(.command)"' "$db" | head -1
}
try() {   # try SOURCE PROBE: compile PROBE with SOURCE's flags
  line=$(probe_cmd "$1")
  [ -n "$line" ] || fail "no compile command for $1"
  dir=${line%%"	"*}
  cmd=$(printf '%s' "${line#*"	"}" | sed -e 's/ -MD -MQ [^ ]* -MF [^ ]*//' \
    -e 's/ -o [^ ]*//' -e "s| -c [^ ]*\$| -fsyntax-only $2|")
  (cd "$dir" && eval "$cmd") >"$TMP/cc.out" 2>&1
}

n=0
for src in $(jq -r '.[] | .file' "$db" | grep '/plugins/' | sed 's|.*/plugins/|plugins/|' | sort -u); do
  n=$((n + 1))
  try "$src" "$TMP/with_api.c" || fail "$src: the public headers do not compile with its flags: $(cat "$TMP/cc.out")"
  if try "$src" "$TMP/with_core.c"; then
    fail "$src: a plugin file can include core.h"
  fi
  grep -q 'core.h: No such file' "$TMP/cc.out" || fail "$src: unexpected: $(cat "$TMP/cc.out")"
  if try "$src" "$TMP/with_css.c"; then
    fail "$src: a file can include another file's private header by name (css.h)"
  fi
done
[ "$n" -ge 10 ] || fail "only $n plugin files in $db"
pass "no plugin file ($n) can include core.h or a private header of another directory"
for src in core/run.c core/state.c; do
  if try "$src" "$TMP/with_css.c"; then
    fail "$src: core sees a plugin's private header"
  fi
done
pass "core sees no plugin's private header"

# the sources: quoted includes are pipe/... or a file beside the includer
bad=""
for f in plugins/*.c plugins/*/*.c plugins/*/*.h; do
  [ -f "$f" ] || continue
  for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
    case $inc in
      pipe/*) [ -f "include/$inc" ] || bad="$bad $f:$inc" ;;
      */*|*..*) bad="$bad $f:$inc" ;;
      *) [ -f "$(dirname "$f")/$inc" ] || bad="$bad $f:$inc" ;;
    esac
    # a single-file plugin (in plugins/ itself) has no private header
    if [ "$(dirname "$f")" = plugins ]; then
      case $inc in pipe/*) ;; *) bad="$bad $f:$inc" ;; esac
    fi
  done
done
expect_eq "plugin sources include only pipe/ and their own directory's headers" "" "$bad"

# and at link level: no plugin library uses a symbol another plugin
# library defines (they meet only through the host's services), and what
# they use of pipe's is the exported host API (core/pipe.dynlist)
if ! command -v nm >/dev/null 2>&1; then
  echo "SKIP: link-level layering: no nm (binutils)"
  exit 0
fi
libs=$(ls "$BUILDDIR"/plugins/libplugin-*.a 2>/dev/null)
[ "$(echo "$libs" | wc -w)" -ge 6 ] || fail "plugin libraries not found in $BUILDDIR/plugins: $libs"
api=$(sed -n 's/^ *\(pipe_[a-z0-9_]*\);$/\1/p' "$SRCDIR/core/pipe.dynlist")
cross=""
for lib in $libs; do
  others=$(for o in $libs; do [ "$o" = "$lib" ] || nm --defined-only "$o" 2>/dev/null; done |
    awk '$2 ~ /^[TDRB]$/ { print $3 }' | sort -u)
  own=$(nm --defined-only "$lib" 2>/dev/null | awk '$2 ~ /^[TDRB]$/ { print $3 }' | sort -u)
  # what the library needs from outside itself (its files use each other)
  for sym in $(nm -u "$lib" 2>/dev/null | awk '{ print $2 }' | sort -u | comm -23 - "$(printf '%s\n' "$own" > "$TMP/own"; echo "$TMP/own")"); do
    if echo "$others" | grep -qx "$sym"; then
      cross="$cross $(basename "$lib"):$sym"
    fi
    case $sym in
      pipe_*) echo "$api" | grep -qx "$sym" || cross="$cross $(basename "$lib"):$sym(not host API)" ;;
    esac
  done
done
expect_eq "plugin libraries use no other plugin's symbols, only the host API of pipe's" "" "$cross"
