#!/bin/sh
# The compiled-script cache (core/luacache.c): a warm run gives the same
# records and the same error lines as a cold one and as no cache; an edited
# script is compiled again; a damaged entry, a directory others may write
# in, or one that cannot be made fall back to compiling.
. "$(dirname "$0")/lib.sh"
P="$PAGES/paris-declaration.html"
C="$TMP/cache"
want=$(PIPE_CACHE_DIR=off "$PIPE" run scripts/site.lua "$P")
cold=$(PIPE_CACHE_DIR="$C" "$PIPE" run scripts/site.lua "$P")
expect_eq "a cold cache gives the records of no cache" "$want" "$cold"
n=$(ls "$C/lua54" | grep -c '\.luac$')
[ "$n" -ge 10 ] || fail "expected an entry per loaded script, found $n"
pass "entries written ($n)"
expect_eq "the cache directory is private" "drwx------" "$(ls -ld "$C/lua54" | cut -c1-10)"
warm=$(PIPE_CACHE_DIR="$C" "$PIPE" run scripts/site.lua "$P")
expect_eq "a warm cache gives the same records" "$want" "$warm"
expect_eq "a warm run adds no entries" "$n" "$(ls "$C/lua54" | grep -c '\.luac$')"

# error messages name the same file and line from bytecode
mkdir "$TMP/s"
printf 'local x = 1\n\nreturn function(page)\n  error("bad page " .. x)\nend\n' > "$TMP/s/e.lua"
for i in 1 2; do
  PIPE_CACHE_DIR="$C" "$PIPE" run "$TMP/s/e.lua" "$P" 2> "$TMP/err$i"
done
expect_eq "an error from a cached script names its line" \
  "pipe: $P: $TMP/s/e.lua:4: bad page 1" "$(head -1 "$TMP/err2")"
expect_eq "the same message and traceback as from source" "$(cat "$TMP/err1")" "$(cat "$TMP/err2")"

# an edited script (same name, same length) is compiled again, and its
# new entry replaces the old one
before=$(ls "$C/lua54" | grep -c '\.luac$')
printf 'local x = 2\n\nreturn function(page)\n  error("bad page " .. x)\nend\n' > "$TMP/s/e.lua"
PIPE_CACHE_DIR="$C" "$PIPE" run "$TMP/s/e.lua" "$P" 2> "$TMP/err3"
expect_eq "an edited script is not served from the cache" \
  "pipe: $P: $TMP/s/e.lua:4: bad page 2" "$(head -1 "$TMP/err3")"
expect_eq "an edited script keeps one entry" "$before" "$(ls "$C/lua54" | grep -c '\.luac$')"
PIPE_CACHE_DIR="$C" "$PIPE" run "$TMP/s/e.lua" "$P" 2> "$TMP/err4"
expect_eq "the edited script is then served from its new entry" \
  "pipe: $P: $TMP/s/e.lua:4: bad page 2" "$(head -1 "$TMP/err4")"
(cd "$TMP/s" && PIPE_CACHE_DIR="$C" "$PIPE" run e.lua "$P" 2> /dev/null)
expect_eq "a relative path names the same entry" "$before" "$(ls "$C/lua54" | grep -c '\.luac$')"

# rule directory listings (pipe.files) are kept while the directory is
# unchanged: a rule added or removed is seen on the next run, a directory
# changed in the last 2 s is not stored (its time could still be the same
# after a change), damaged listings are read again from the directory
R="$TMP/rules"
mkdir "$R"
printf 'return { hosts = "one.example", fields = { title = "h1" } }\n' > "$R/one.lua"
rule_of() {
  PIPE_CACHE_DIR="$C" "$PIPE" run --rules "$R" --url "https://$1/a" scripts/site.lua "$P" | jq -r .rule
}
expect_eq "a fresh directory is listed" "$R/one.lua" "$(rule_of one.example)"
expect_eq "and not kept while it may still change" "" "$(grep -l one.lua "$C"/lua54/*.dir)"
sleep 3
expect_eq "a settled directory is listed" "$R/one.lua" "$(rule_of one.example)"
kept=$(grep -l one.lua "$C"/lua54/*.dir)
[ -n "$kept" ] || fail "no listing kept for $R"
pass "and its listing is kept"
printf 'return { hosts = "two.example", fields = { title = "h1" } }\n' > "$R/two.lua"
expect_eq "a rule added to a kept directory is seen" "$R/two.lua" "$(rule_of two.example)"
sleep 3
expect_eq "then kept with the new rule" "$R/two.lua" "$(rule_of two.example)"
expect_eq "the listing names both" "1" "$(grep -c two.lua "$kept")"
rm "$R/two.lua"
expect_eq "a removed rule is gone" "generic.lua" "$(rule_of two.example)"
head -c 30 "$kept" > "$kept.t" && mv "$kept.t" "$kept"
expect_eq "a damaged listing: the directory is read" "$R/one.lua" "$(rule_of one.example)"

# damaged entries: cut short, or garbage after a valid header
for f in "$C"/lua54/*.luac; do
  head -c 40 "$f" > "$f.t" && mv "$f.t" "$f"
done
expect_eq "entries cut short fall back to compiling" "$want" \
  "$(PIPE_CACHE_DIR="$C" "$PIPE" run scripts/site.lua "$P")"
for f in "$C"/lua54/*.luac; do
  size=$(wc -c < "$f")
  head -c $((size - 200)) "$f" > "$f.t" && head -c 200 /dev/urandom >> "$f.t" && mv "$f.t" "$f"
done
expect_eq "entries with damaged bytecode fall back to compiling" "$want" \
  "$(PIPE_CACHE_DIR="$C" "$PIPE" run scripts/site.lua "$P")"

# a directory others may write in is not used
W="$TMP/open"
mkdir -p "$W/lua54" && chmod 777 "$W/lua54"
expect_eq "a shared directory still gives the records" "$want" \
  "$(PIPE_CACHE_DIR="$W" "$PIPE" run scripts/site.lua "$P")"
expect_eq "nothing is written into a directory others may write in" "" "$(ls "$W/lua54")"

# no directory at all
expect_eq "an impossible directory gives the records" "$want" \
  "$(PIPE_CACHE_DIR=/proc/self/nonexistent "$PIPE" run scripts/site.lua "$P" 2>&1)"
expect_eq "HOME and XDG_CACHE_HOME unset: no cache, same records" "$want" \
  "$(env -u PIPE_CACHE_DIR -u XDG_CACHE_HOME -u HOME "$PIPE" run scripts/site.lua "$P" 2>&1)"
mkdir "$TMP/xdg"
XDG_CACHE_HOME="$TMP/xdg" "$PIPE" run scripts/site.lua "$P" > /dev/null
[ -d "$TMP/xdg/pipe/lua54" ] || fail "XDG_CACHE_HOME/pipe/lua54 not made"
pass "XDG_CACHE_HOME is honoured"
