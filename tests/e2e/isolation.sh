#!/bin/sh
# Pages isolated from each other: whatever a page does to globals, library
# tables, metatables or the collector, the next page (in the same worker,
# or in the same process with --no-workers) starts from the loaded state;
# one file's globals are not another's.  pipe.read stays inside the
# scripts' trees whatever the current directory is.
. "$(dirname "$0")/lib.sh"
for i in 1 2 3 4; do
  printf '<html><head><title>p%s</title></head><body><p>x</p></body></html>' "$i" > "$TMP/p$i.html"
done
clean='{"loaded_at_start":"at load","refused":{"g_metatable":true,"options":true,"plugin":true,"str_metatable":true,"string_add":true,"string_write":true},"seen":{"env":true,"g_mt":"false","gc_running":true,"global":"nil","load_time":"at load","method":"xx","module_globals":"nil","module_state":"iso.a","number_mt":"nil","options":"nil","parse":"function","print":"function","raw_global":"nil","str_mt":"false","string_evil":"nil","upper":"A"}}'
want=$(for i in 1 2 3 4; do printf '%s\n' "$clean"; done)
for mode in "-j1 --recycle 0" "--no-workers" "-j1 --recycle 0 --unsafe" "--no-workers --unsafe"; do
  # shellcheck disable=SC2086 # the mode is several options
  got=$("$PIPE" run $mode tests/scripts/isolation.lua "$TMP"/p1.html "$TMP"/p2.html "$TMP"/p3.html "$TMP"/p4.html | sed 's/"source":"[^"]*",//')
  expect_eq "every page starts clean ($mode)" "$want" "$got"
done

# the messages a page gets when it tries
cat > "$TMP/msg.lua" <<'LUA'
return function(page)
  return {
    lib = select(2, pcall(function() string.rep = nil end)),
    g = select(2, pcall(setmetatable, _G, {})),
    opt = select(2, pcall(function() pipe.options.url = "x" end)),
  }
end
LUA
expect_eq "refusals say why" \
  "{\"source\":\"$TMP/p1.html\",\"g\":\"cannot change a protected metatable\",\"lib\":\"$TMP/msg.lua:3: cannot set 'string.rep': library 'string' is read-only (use a local table)\",\"opt\":\"$TMP/msg.lua:5: cannot set 'pipe.options.url': library 'pipe.options' is read-only (use a local table)\"}" \
  "$("$PIPE" run "$TMP/msg.lua" "$TMP/p1.html")"

# a main script may set option defaults while it loads, not while a page runs
cat > "$TMP/defaults.lua" <<'LUA'
pipe.options.greeting = pipe.options.greeting or "hello"
return function(page) return { greeting = pipe.options.greeting } end
LUA
expect_eq "options writable while loading" "{\"source\":\"$TMP/p1.html\",\"greeting\":\"hello\"}" \
  "$("$PIPE" run "$TMP/defaults.lua" "$TMP/p1.html")"
expect_eq "--set still wins" "{\"source\":\"$TMP/p1.html\",\"greeting\":\"hi\"}" \
  "$("$PIPE" run --set greeting=hi "$TMP/defaults.lua" "$TMP/p1.html")"

# a failed require can be retried and reports the real error again
mkdir -p "$TMP/scripts/m"
printf 'error("broken module", 0)\n' > "$TMP/scripts/m/bad.lua"
cat > "$TMP/scripts/req.lua" <<'LUA'
local a = select(2, pcall(require, "m.bad"))
local b = select(2, pcall(require, "m.bad"))
return function(page) return { first = a, second = b } end
LUA
expect_eq "failed require, twice" "{\"source\":\"$TMP/p1.html\",\"first\":\"broken module\",\"second\":\"broken module\"}" \
  "$("$PIPE" run "$TMP/scripts/req.lua" "$TMP/p1.html")"

# a script that replaces the html global: the host still parses pages
cat > "$TMP/nohtml.lua" <<'LUA'
html = nil
return function(page) return { title = page.doc:first("title"):text() } end
LUA
expect_eq "html = nil does not abort" "{\"source\":\"$TMP/p1.html\",\"title\":\"p1\"}" \
  "$("$PIPE" run "$TMP/nohtml.lua" "$TMP/p1.html")"
printf 'html = 42\nreturn function(page) return { n = #page.doc:select("p") } end\n' > "$TMP/html42.lua"
expect_eq "html = 42 does not abort" "{\"source\":\"$TMP/p1.html\",\"n\":1}" \
  "$("$PIPE" run "$TMP/html42.lua" "$TMP/p1.html")"

# pipe.read: the scripts' trees only, whatever the current directory
cat > "$TMP/scripts/read.lua" <<'LUA'
return function(page)
  return { passwd = tostring(select(2, pipe.read("/etc/passwd"))),
           own = type(pipe.read(pipe.root .. "/read.lua")) }
end
LUA
out=$(cd / && "$PIPE" run "$TMP/scripts/read.lua" "$TMP/p1.html")
expect_eq "pipe.read from / cannot read /etc/passwd" \
  "{\"source\":\"$TMP/p1.html\",\"own\":\"string\",\"passwd\":\"/etc/passwd: outside the scripts tree\"}" "$out"

# a page's Document is closed when its page is done: a Node or Document
# kept in an upvalue past its page raises instead of reaching the next
# page's tree (or a freed one)
cat > "$TMP/keep.lua" <<'LUA'
local kept_doc, kept_node
return function(page)
  local r = { title = page.doc:first("title"):text() }
  if kept_doc then
    r.doc = select(2, pcall(function() return kept_doc:first("title") end))
    r.node = select(2, pcall(function() return kept_node:text() end))
  end
  kept_doc, kept_node = page.doc, page.doc:first("title")
  return r
end
LUA
for mode in "-j1" "--no-workers"; do
  # shellcheck disable=SC2086 # the mode is several options
  expect_eq "a kept Document and Node raise on the next page ($mode)" \
    "{\"title\":\"p1\"}
{\"title\":\"p2\",\"doc\":\"$TMP/keep.lua:5: calling 'first' on bad self (document is closed)\",\"node\":\"$TMP/keep.lua:6: calling 'text' on bad self (document is closed)\"}" \
    "$("$PIPE" run $mode --fields title,doc,node "$TMP/keep.lua" "$TMP/p1.html" "$TMP/p2.html")"
done
