#!/bin/bash
# Lua's generational collector (pipe's default, core/sandbox.c) against the
# incremental one (PIPE_LUA_GC=incremental): every fixture page through
# generic.lua and site.lua many times with two workers, each record
# compared with the incremental run's; then a torture script that keeps
# Nodes of parsed copies in a weak table, walks them from coroutines,
# finalises Documents and forces collections, with the generational
# parameters turned down so minor and major collections come often.  The
# CI runs this under ASan, where a collected object still in use is an
# error, not a silent difference.
. "$(dirname "$0")/lib.sh"
REPS=${GC_SOAK_REPS:-30}

# the mode each page starts in, and the switch back
cat >"$TMP/mode.lua" <<'LUA'
return function(page)
  local was = collectgarbage("incremental")   -- returns the mode it left
  return { mode = was }
end
LUA
two=("$PAGES/paris-declaration.html" "$PAGES/paris-declaration.html")
expect_eq "pages start in generational mode, every page (a page's switch undone)" \
  '{"source":"'"${two[0]}"'","mode":"generational"}
{"source":"'"${two[0]}"'","mode":"generational"}' \
  "$("$PIPE" run --no-workers "$TMP/mode.lua" "${two[@]}")"
expect_eq "PIPE_LUA_GC=incremental: incremental mode" \
  '{"source":"'"${two[0]}"'","mode":"incremental"}
{"source":"'"${two[0]}"'","mode":"incremental"}' \
  "$(PIPE_LUA_GC=incremental "$PIPE" run --no-workers "$TMP/mode.lua" "${two[@]}")"
files=()
for i in $(seq "$REPS"); do
  for f in "$PAGES"/*.html; do files+=("$f"); done
done
n=${#files[@]}

for s in generic site; do
  PIPE_LUA_GC=incremental "$PIPE" run -j 2 "scripts/$s.lua" "${files[@]}" \
    >"$TMP/$s.inc" 2>"$TMP/$s.inc.err"
  rc_inc=$?
  "$PIPE" run -j 2 "scripts/$s.lua" "${files[@]}" >"$TMP/$s.gen" 2>"$TMP/$s.gen.err"
  rc_gen=$?
  expect_eq "$s.lua, $n pages, -j 2: exit codes (generational|incremental)" \
    "$rc_inc|$rc_inc" "$rc_gen|$rc_inc"
  expect_eq "$s.lua: one record per page" "$n" "$(wc -l <"$TMP/$s.gen")"
  if ! cmp -s "$TMP/$s.inc" "$TMP/$s.gen"; then
    diff <(cut -c1-300 "$TMP/$s.inc") <(cut -c1-300 "$TMP/$s.gen") | head -20 >&2
    fail "$s.lua: generational records differ from incremental ones"
  fi
  pass "$s.lua: every record identical to the incremental run's"
  expect_eq "$s.lua: the same messages" "$(cat "$TMP/$s.inc.err")" "$(cat "$TMP/$s.gen.err")"
done

mkdir -p "$TMP/scripts"
cat >"$TMP/scripts/soak.lua" <<'LUA'
-- generic.lua and site.lua on the page, plus GC traffic of our own
local generic = require("generic")
local site = require("site")

-- collections seen: a young sentinel re-armed by its finaliser (any
-- collection frees it), and one held until it is old, then let go (only a
-- major collection frees an old object)
local seen = { any = 0, major = 0 }
local function arm_any()
  setmetatable({}, { __gc = function() seen.any = seen.any + 1; arm_any() end })
end
arm_any()
local old, old_at
local function arm_old()
  old = setmetatable({}, { __gc = function() seen.major = seen.major + 1; arm_old() end })
  old_at = seen.any
end
arm_old()

local kept = setmetatable({}, { __mode = "v" })   -- Nodes, weakly
local nkept = 0
local first                                       -- a Node kept for good

return function(page)
  if pipe.options.gen then
    -- a minor collection every 5% of growth, a major one past 20%
    collectgarbage("generational", 5, 20)
  end
  if old and seen.any >= old_at + 3 then old = nil end
  -- three copies of the page, walked from a coroutine that yields
  -- between batches of Nodes; the copies' Documents are left to __gc
  local walk = coroutine.create(function()
    for _ = 1, 3 do
      local d = html.parse(page.html)
      local nodes = d:select("p, a, li, div")
      local text = 0
      for j, node in ipairs(nodes) do
        nkept = nkept + 1
        kept[nkept] = node
        text = text + #node:text()
        if j % 40 == 0 then coroutine.yield(nil) end
      end
      coroutine.yield(#nodes .. ":" .. text)
    end
  end)
  local counts = {}
  while true do
    local ok, c = coroutine.resume(walk)
    if not ok then error(c) end
    if coroutine.status(walk) == "dead" then break end
    if c then counts[#counts + 1] = c end
  end
  first = first or kept[nkept]
  -- the Nodes the collector has not taken yet still read (which ones are
  -- left depends on the collector: only their reading is compared)
  local bad = 0
  for i = math.max(1, nkept - 300), nkept do
    local node = kept[i]
    if node and not pcall(node.text, node) then bad = bad + 1 end
  end
  local live
  if #page.source % 3 == 0 then   -- (not by count: -j 2 deals pages freely)
    collectgarbage()
    live = 0
    for _ in pairs(kept) do live = live + 1 end
  end
  local g = generic(page)
  local s = site(page)
  return { g, s, { soak = table.concat(counts, ","), bad = bad, live = live,
                   first = first ~= nil and pcall(first.text, first),
                   any = seen.any, major = seen.major } }
end
LUA
PIPE_LUA_GC=incremental "$PIPE" run -j 2 "$TMP/scripts/soak.lua" "${files[@]}" \
  >"$TMP/soak.inc" 2>"$TMP/soak.inc.err"
rc_inc=$?
"$PIPE" run -j 2 --set gen=true "$TMP/scripts/soak.lua" "${files[@]}" \
  >"$TMP/soak.gen" 2>"$TMP/soak.gen.err"
rc_gen=$?
expect_eq "torture script: exit codes, no messages (generational|incremental)" \
  "0||0|" "$rc_gen|$(cat "$TMP/soak.gen.err")|$rc_inc|$(cat "$TMP/soak.inc.err")"
expect_eq "torture script: three records per page" "$((3 * n))" "$(wc -l <"$TMP/soak.gen")"
strip_counts() { jq -c 'del(.any, .major)' "$1"; }
expect_eq "torture script: every weakly kept Node still reads" "0" \
  "$(jq -r 'select(.bad != null) | .bad' "$TMP/soak.gen" | sort -u | tr '\n' ' ' | sed 's/ $//')"
if ! cmp -s <(strip_counts "$TMP/soak.inc") <(strip_counts "$TMP/soak.gen"); then
  diff <(strip_counts "$TMP/soak.inc" | cut -c1-300) \
       <(strip_counts "$TMP/soak.gen" | cut -c1-300) | head -20 >&2
  fail "torture script: generational records differ from incremental ones"
fi
pass "torture script: every record identical to the incremental run's"
expect_eq "torture script: a full collection leaves only the Node kept for good" \
  "1" "$(jq -r 'select(.live != null) | .live' "$TMP/soak.gen" | sort -u | tr '\n' ' ' | sed 's/ $//')"
# each worker's counters only grow: the largest are its totals
any=$(jq -r 'select(.any != null) | .any' "$TMP/soak.gen" | sort -n | tail -1)
major=$(jq -r 'select(.major != null) | .major' "$TMP/soak.gen" | sort -n | tail -1)
[ "$any" -ge 100 ] || fail "torture script: only $any collections in a worker"
[ "$major" -ge 10 ] || fail "torture script: only $major major collections in a worker"
pass "torture script: $any collections, $major of them major, in one worker"

# Documents a script parses and drops hold trees outside Lua's heap,
# where the collector does not see them: after each page run.c adds to
# its debt (core/run.c, call_page), so they go.  A script that leaves 60
# parses of its page behind on each of 100 pages runs within --max-memory
# 64M (told nothing, the collector let half the pages run out of memory).
cat >"$TMP/drop.lua" <<'LUA'
local html = require("html")
return function(page)
  for _ = 1, 60 do html.parse(page.html) end
  return { dropped = 60 }
end
LUA
: > "$TMP/drop.list"
for _ in $(seq 1 100); do echo "$PAGES/paris-declaration.html" >> "$TMP/drop.list"; done
"$PIPE" run -j 1 --max-memory 64M "$TMP/drop.lua" --from "$TMP/drop.list" > "$TMP/drop.out" 2> "$TMP/drop.err" ||
  fail "dropped Documents: $(sort "$TMP/drop.err" | uniq -c | head -3)"
expect_eq "dropped Documents: every page's record, no failure" \
  "100 60" "$(wc -l < "$TMP/drop.out" | tr -d ' ') $(jq -r .dropped "$TMP/drop.out" | sort -u)"
