#!/bin/sh
# The example plugin (examples/plugins/translit) as a user builds it: pipe
# installed to a temporary place (meson install --destdir from this build;
# pipe-plugin.pc is relocatable and the binary finds its plugin directory
# from where it lies), the plugin built out of tree against that install
# with its own meson.build and `pkg-config pipe-plugin`, then loaded by the
# installed pipe: with --plugin, and from the installed plugin directory;
# its Lua functions, its stage through the worker pool (-j 2 and in
# process); a copy built with a wrong ABI number is refused.  No network.
# Skips (exit 77, with the reason) when a tool or ICU's headers are
# missing.
. "$(dirname "$0")/lib.sh"
: "${BUILDDIR:?BUILDDIR must name the build directory}"
skip() { echo "SKIP: $*"; exit 77; }
for tool in meson ninja pkg-config cc; do
  command -v "$tool" >/dev/null 2>&1 || skip "no $tool"
done
pkg-config --exists icu-uc icu-i18n || skip "no ICU development files (libicu-dev)"

root=$TMP/root
meson install -C "$BUILDDIR" --destdir "$root" --no-rebuild --quiet >"$TMP/install.log" 2>&1 ||
  fail "meson install: $(cat "$TMP/install.log")"
pc=$(find "$root" -name pipe-plugin.pc)
bin=$(find "$root" -path '*/bin/pipe')
if [ -z "$pc" ] || [ ! -x "$bin" ]; then fail "the install has no pipe-plugin.pc or bin/pipe"; fi
for h in plugin.h util.h json.h html.h; do
  [ -n "$(find "$root" -path "*/include/pipe/$h")" ] || fail "include/pipe/$h not installed"
done
plugdir=$(find "$root" -type d -path '*/pipe/plugins')
if [ -z "$plugdir" ] || [ -n "$(ls -A "$plugdir")" ]; then fail "no empty plugin directory installed"; fi
pass "meson install: binary, headers, pipe-plugin.pc, an empty plugin directory"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
expect_eq "pkg-config pipe-plugin finds the installed headers" \
  "-I$(dirname "$pc")/../../../include" \
  "$(pkg-config --cflags-only-I pipe-plugin | tr ' ' '\n' | grep /include$ | grep -v -e lua -e libxml2)"

expect_eq "pkg-config pipe-plugin says the ABI" "2" "$(pkg-config --variable=abi pipe-plugin)"

# build the example out of tree, as its README says
build() {   # build SRC OUT
  meson setup "$2" "$1" >"$TMP/setup.log" 2>&1 || fail "meson setup $1: $(cat "$TMP/setup.log")"
  meson compile -C "$2" >"$TMP/compile.log" 2>&1 || fail "meson compile $1: $(cat "$TMP/compile.log")"
}
build "$SRCDIR/examples/plugins/translit" "$TMP/ex"
so=$TMP/ex/translit.so
[ -f "$so" ] || fail "no translit.so"
pass "the example builds out of tree against the installed pipe"

expect_contains "pipe plugins lists it" "translit - transliteration through ICU: ASCII, slugs, search keys
  from: $so
  commands: translit
  lua: translit.ascii translit.slug translit.key translit.transform" \
  "$("$bin" --plugin "$so" plugins)"

# its Lua functions
cat > "$TMP/tl.lua" <<'LUA'
return function(page)
  return { ascii = translit.ascii("Straße in Київ"),
    slug = translit.slug("Ціни на газ: +20% — don't panic", 20),
    key = translit.key("Émile ZOLA"),
    bgn = translit.transform("Київ", "Ukrainian-Latin/BGN"),
    bad = select(2, pcall(translit.transform, "x", "No-Such-Thing")),
    title = translit.slug(page.doc:first("h1"):text()) }
end
LUA
printf '<html><body><h1>北京市 新闻</h1></body></html>' > "$TMP/zh.html"
for mode in "-j 2" "--no-workers"; do
  # shellcheck disable=SC2086 # the mode is several options
  expect_eq "its Lua functions ($mode)" \
    "{\"source\":\"$TMP/zh.html\",\"ascii\":\"Strasse in Kiiv\",\"bad\":\"bad transform 'No-Such-Thing': U_INVALID_ID\",\"bgn\":\"Kyyiv\",\"key\":\"emile zola\",\"slug\":\"cini-na-gaz-20-dont\",\"title\":\"bei-jing-shi-xin-wen\"}" \
    "$("$bin" --plugin "$so" run $mode "$TMP/tl.lua" "$TMP/zh.html")"
done

# its stage, through the worker pool
printf 'Straße in Київ\nΑθήνα — Ἑλλάς\n\377 broken\n' > "$TMP/lines.txt"
for mode in "-j 2" "--no-workers"; do
  # shellcheck disable=SC2086
  expect_eq "its stage ($mode)" "Strasse in Kiiv
Athena - Hellas
 broken" "$("$bin" --plugin "$so" translit $mode "$TMP/lines.txt")"
  # shellcheck disable=SC2086
  expect_eq "its stage, --slug ($mode)" "strasse-in-kiiv
athena-hellas
broken" "$("$bin" --plugin "$so" translit --slug $mode - < "$TMP/lines.txt")"
done
expect_status "a bad transform is a usage error" 2 "$bin" --plugin "$so" translit --id Nope "$TMP/lines.txt"
expect_eq "... naming it" "pipe: translit: bad transform 'Nope': U_INVALID_ID" "$(cat "$TMP/err")"

# installed into pipe's plugin directory: loaded without --plugin
meson install -C "$TMP/ex" --quiet >"$TMP/install2.log" 2>&1 || fail "installing the plugin: $(cat "$TMP/install2.log")"
[ -f "$plugdir/translit.so" ] || fail "the plugin's install did not reach $plugdir"
expect_contains "the installed plugin directory loads it" "  from: $plugdir/translit.so" "$("$bin" plugins)"
expect_eq "... and its stage works" "kyiv-news" "$(echo "Kyiv News" | "$bin" translit --slug -j 2 -)"
rm -f "$plugdir/translit.so"

# the skeleton docs/plugins.md shows, compiled by hand against the install
awk '/^```c$/ { on = 1; next } /^```$/ { if (on) exit } on' "$SRCDIR/docs/plugins.md" > "$TMP/hello.c"
grep -q 'pipe_plugin_entry' "$TMP/hello.c" || fail "no C skeleton in docs/plugins.md"
# shellcheck disable=SC2046 # pkg-config prints several flags
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
  $(pkg-config --cflags pipe-plugin) "$TMP/hello.c" -o "$TMP/hello.so" 2>"$TMP/cc.log" ||
  fail "the docs' skeleton does not compile: $(cat "$TMP/cc.log")"
printf 'return function(page) return { greeting = hello.greet("pipe") } end\n' > "$TMP/hello.lua"
expect_eq "the docs' skeleton plugin works" "{\"source\":\"$TMP/zh.html\",\"greeting\":\"hello, pipe\"}" \
  "$("$bin" --plugin "$TMP/hello.so" run "$TMP/hello.lua" "$TMP/zh.html")"

# a copy built with another ABI number is refused, naming the file
mkdir -p "$TMP/bad"
cp "$SRCDIR/examples/plugins/translit/meson.build" "$TMP/bad/"
sed 's/    PIPE_PLUGIN_HEAD,/    .abi = PIPE_PLUGIN_ABI + 7, .size = sizeof(pipe_plugin),/' \
  "$SRCDIR/examples/plugins/translit/translit.c" > "$TMP/bad/translit.c"
grep -q 'PIPE_PLUGIN_ABI + 7' "$TMP/bad/translit.c" || fail "could not make the wrong-ABI copy"
build "$TMP/bad" "$TMP/bad-build"
expect_status "a wrong ABI is refused" 2 "$bin" --plugin "$TMP/bad-build/translit.so" translit "$TMP/lines.txt"
expect_eq "... with why" \
  "pipe: $TMP/bad-build/translit.so: built for plugin ABI 9, this pipe has ABI 2 (rebuild it against this pipe's headers)" \
  "$(cat "$TMP/err")"
