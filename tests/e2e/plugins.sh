#!/bin/sh
# Plugins from shared objects (tests/plugins/probe.c, built as an outside
# plugin is): loaded with --plugin, from PIPE_PLUGIN_PATH (directories and
# files); listed by `pipe plugins` and `pipe help`; their Lua functions in
# scripts and their stage in every mode of the worker pool; init in every
# worker, the close hook once; read-only like every library; the broken
# ones refused with a message naming the file.  The executable exports
# exactly the host API of include/pipe/.
. "$(dirname "$0")/lib.sh"
: "${PROBES:?PROBES must name the directory of the built test plugins}"
P=$PROBES/probe.so
[ -f "$P" ] || fail "no $P (meson builds it with the tests)"

out=$("$PIPE" --plugin "$P" plugins)
expect_contains "pipe plugins lists it with its file" "probe - a test plugin from a shared object
  from: $P
  commands: probe-lines
  lua: probe.text probe.info probe.count probe.crash
  needs: html" "$out"
expect_contains "pipe --help lists its command" \
  "  probe-lines print each line's source and length" \
  "$("$PIPE" --plugin "$P" --help)"
expect_eq "pipe help COMMAND" "usage: pipe probe-lines [OPTIONS] [INPUT...]" \
  "$("$PIPE" --plugin="$P" help probe-lines | head -1)"
expect_status "nothing without --plugin" 2 "$PIPE" probe-lines
expect_eq "... says so" "pipe: unknown command 'probe-lines' (see pipe --help)" \
  "$(cat "$TMP/err")"

# its Lua functions, in every mode of the pool; init ran before the fork
cat > "$TMP/probe.lua" <<'LUA'
return function(page)
  return { text = probe.text(page.html), children = probe.count(page.doc:first("body")),
           info = probe.info(), same = require("probe") == probe }
end
LUA
for i in 1 2 3; do
  printf '<html><body><p>page %s</p><div>two</div><br></body></html>' "$i" > "$TMP/p$i.html"
done
want=$(for i in 1 2 3; do printf '{"source":"%s","children":3,"info":{"abi":"2","init":true},"same":true,"text":"page %s\\n\\ntwo"}\n' "$TMP/p$i.html" "$i"; done)
for mode in "-j 2" "-j 1 --recycle 1" "--no-workers"; do
  # shellcheck disable=SC2086 # the mode is several options
  got=$("$PIPE" --plugin "$P" run $mode "$TMP/probe.lua" "$TMP"/p1.html "$TMP"/p2.html "$TMP"/p3.html 2>"$TMP/err")
  expect_eq "its functions in a script ($mode)" "$want" "$got"
  expect_eq "its close hook ran once, in this process ($mode)" "probe: state closed" "$(cat "$TMP/err")"
done

# its stage, through the pool's line mode
for mode in "-j 2" "--no-workers"; do
  # shellcheck disable=SC2086
  got=$(printf 'a\nbb\n!x\nccc\n' | "$PIPE" --plugin "$P" probe-lines $mode - 2>"$TMP/err"; echo "exit $?")
  expect_eq "its stage ($mode)" "-:1: 1 init=1
-:2: 2 init=1
-:4: 3 init=1
exit 1" "$got"
  expect_eq "its stage reports a failing line ($mode)" "pipe: -:3: line starts with '!'" "$(cat "$TMP/err")"
done

expect_status "its stage parses options as the built-in ones do" 2 "$PIPE" --plugin "$P" probe-lines --bogus
expect_eq "... and says so" "pipe: probe-lines: unknown option '--bogus' (see pipe help probe-lines)" "$(cat "$TMP/err")"

# read-only like every library; scripts cannot load plugins
cat > "$TMP/ro.lua" <<'LUA'
return function(page)
  local ok, err = pcall(function() probe.text = nil end)
  local ok2, err2 = pcall(require, "/x/probe.so")
  return { err = err, err2 = err2, package = type(package), loadlib = type(pipe.loadlib) }
end
LUA
expect_eq "the module is read-only; no way to load from a script" \
  "{\"source\":\"$TMP/p1.html\",\"err\":\"$TMP/ro.lua:2: cannot set 'probe.text': library 'probe' is read-only (use a local table)\",\"err2\":\"bad module name '/x/probe.so'\",\"loadlib\":\"nil\",\"package\":\"nil\"}" \
  "$("$PIPE" --plugin "$P" run "$TMP/ro.lua" "$TMP/p1.html" 2>/dev/null)"

# PIPE_PLUGIN_PATH: directories (every *.so) and files
mkdir -p "$TMP/dir" "$TMP/empty"
cp "$P" "$TMP/dir/probe.so"
echo "not a plugin" > "$TMP/dir/.hidden.so"
expect_contains "PIPE_PLUGIN_PATH directory" "  from: $TMP/dir/probe.so" \
  "$(PIPE_PLUGIN_PATH="$TMP/empty::$TMP/dir" "$PIPE" plugins)"
expect_contains "PIPE_PLUGIN_PATH file" "  from: $P" \
  "$(PIPE_PLUGIN_PATH="$P" "$PIPE" plugins)"
expect_eq "PIPE_PLUGIN_PATH and --plugin: one file loads once" "probe - a test plugin from a shared object" \
  "$(PIPE_PLUGIN_PATH="$P" "$PIPE" --plugin "$P" plugins | grep '^probe')"
expect_eq "a plugin in PIPE_PLUGIN_PATH works in a stage" "-:1: 1 init=1" \
  "$(echo x | PIPE_PLUGIN_PATH="$TMP/dir" "$PIPE" probe-lines -j 2 -)"
expect_status "two files, one name" 2 env PIPE_PLUGIN_PATH="$TMP/dir" "$PIPE" --plugin "$P" plugins
expect_eq "... is refused, naming both" \
  "pipe: $P: plugin name 'probe' is taken by plugin 'probe' ($TMP/dir/probe.so)" "$(cat "$TMP/err")"

# broken plugins: exit 2, the file and the cause
refused() {
  expect_status "$1 is refused" 2 "$PIPE" --plugin "$2" plugins
  expect_eq "... $1: message" "$3" "$(cat "$TMP/err")"
  [ ! -s "$TMP/out" ] || fail "$1: nothing on stdout"
}
refused "a wrong ABI" "$PROBES/probe_abi.so" \
  "pipe: $PROBES/probe_abi.so: built for plugin ABI 3, this pipe has ABI 2 (rebuild it against this pipe's headers)"
refused "a Lua library's name" "$PROBES/probe_name.so" \
  "pipe: $PROBES/probe_name.so: plugin name 'string' is taken by Lua's standard library"
refused "a built-in's name" "$PROBES/probe_dup.so" \
  "pipe: $PROBES/probe_dup.so: plugin name 'html' is taken by the built-in plugin 'html'"
refused "a taken command" "$PROBES/probe_cmd.so" \
  "pipe: $PROBES/probe_cmd.so: command 'strip' of plugin 'probe' is taken by the built-in plugin 'html'"
refused "a missing requirement" "$PROBES/probe_needs.so" \
  "pipe: plugin 'probe' ($PROBES/probe_needs.so) needs plugin 'nosuch', which is not loaded"
refused "no descriptor" "$PROBES/probe_noentry.so" \
  "pipe: $PROBES/probe_noentry.so: not a pipe plugin (no symbol pipe_plugin_entry)"
refused "a core function that is not exported" "$PROBES/probe_undef.so" \
  "pipe: $PROBES/probe_undef.so: cannot load: $PROBES/probe_undef.so: undefined symbol: pipe_lua_new"
refused "a missing file" "$TMP/nope.so" \
  "pipe: $TMP/nope.so: cannot load: $TMP/nope.so: cannot open shared object file: No such file or directory"
expect_status "a broken file in a PIPE_PLUGIN_PATH directory" 2 env PIPE_PLUGIN_PATH="$PROBES" "$PIPE" plugins
expect_contains "... names it" "pipe: $PROBES/probe_" "$(cat "$TMP/err")"
expect_status "--plugin needs a file" 2 "$PIPE" --plugin
expect_eq "... says so" "pipe: option '--plugin' needs a file (see pipe --help)" "$(cat "$TMP/err")"

# the exported symbols are exactly the host API: the headers' functions
# (static inline ones excepted), core/pipe.dynlist and the binary agree
if ! command -v nm >/dev/null 2>&1; then
  echo "SKIP: exported symbols: no nm (binutils)"
else
  declared=$(grep -h -o -E '^[A-Za-z][A-Za-z_ ]*[ *]pipe_[a-z0-9_]+\(' "$SRCDIR"/include/pipe/*.h |
    grep -v '^static' | sed -E 's/.*(pipe_[a-z0-9_]+)\($/\1/' | sort)
  listed=$(sed -n 's/^ *\(pipe_[a-z0-9_]*\);$/\1/p' "$SRCDIR/core/pipe.dynlist" | sort)
  exported=$(nm -D --defined-only "$PIPE" | awk '$2 == "T" && $3 ~ /^pipe_/ { print $3 }' | sort)
  [ "$(echo "$declared" | wc -l)" -gt 20 ] || fail "too few host functions found in include/pipe/: $declared"
  expect_eq "core/pipe.dynlist lists what include/pipe/ declares" "$declared" "$listed"
  expect_eq "the binary exports exactly that" "$declared" "$exported"
fi
