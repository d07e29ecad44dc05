-- The page title for lib/meta: the on-page headline when it agrees with
-- what the page says its title is, else that title without the site name.
--
-- title.find(page, M, site) -> title, source | nil
--   M     the lib.meta module (meta.tag, meta.jsonld_path)
--   site  words.site matcher: site.names(s) is true when s names the
--         site; site.named is true when the page names its site
--
-- References: og:title, twitter:title, <title>, JSON-LD headline.  Each is
-- split into segments at separators (" | ", " - ", " – ", " » ", ": " ...);
-- segments at either end that name the site are dropped ("Title | Site",
-- "Site » Blog Archive » Title", "Title - Section - Site").
-- Headlines: <h1>, [itemprop=headline], then (only when none of those
-- agrees) <h2> (the first 30).  A
-- headline that names the site, links to the home page (a blog's <h1> logo)
-- or is a label ("Home", "Menu") is skipped; the others are compared word
-- by word (words.agree) with each reference, whole and segment by segment,
-- and the best one wins when it agrees at AGREE or more: its own text is
-- the title, so its dashes and quotes win over <title>'s.
-- Otherwise the first reference left with a segment that is not the site
-- name gives the title (its segments joined as written); then a headline.
-- An og:title cut short by an unescaped quote (<title> goes on with the
-- quote) loses to <title>.
-- globals read on every page, as file locals
local type, ipairs, select = type, ipairs, select
local text_clean, tconcat, math_max = text.clean, table.concat, math.max
local words = require("lib.meta.words")

local title = {}

-- how well a headline must agree with a reference to win
local AGREE = 0.7
-- headlines longer than this many words are blocks of text, not titles
local MAX_WORDS = 40
local MAX_H2 = 30

-- quotes and closing punctuation kept around a trimmed headline
local TAIL = re.compile([[^[?!…"“”»«'’)]+]])
local LEAD = re.compile([=[["“„«»'‘(]$]=])

-- separators between title segments; ": " only ends a leading site name
local SEPARATORS = { " | ", " - ", " — ", " – ", " :: ", " « ", " » ", " · ",
                     " • ", " / ", " // ", " ǀ ", " │ ", " ― ", " ~ ", " > ",
                     " : " }

local LABELS = {
  home = true, homepage = true, startseite = true, accueil = true,
  inicio = true, index = true, menu = true, ["menü"] = true, navigation = true,
  ["about us"] = true, search = true, suche = true, news = true,
}

local function clean(s)
  if type(s) ~= "string" then return nil end
  -- one line: text.clean leaves only single spaces inside lines and
  -- line breaks between them, so only a text of several lines changes
  -- (a gsub copies the text even when it changes nothing)
  s = text_clean(s)
  if s:find("\n", 1, true) then s = s:gsub("\n+", " ") end
  if s == "" then return nil end
  return s
end

local function is_label(s)
  local w = words.list(s)
  return #w <= 2 and LABELS[tconcat(w, " ")] == true
end

-- a date or time as a title segment ("31.10.2023, 10.19 Uhr")
local function is_date(s)
  -- (most segments hold no digit: no copies counted then)
  if not s:find("%d") then return false end
  local digits = select(2, s:gsub("%d", ""))
  if digits < 4 then return false end
  local letters = select(2, s:gsub("[%a\128-\255]", ""))
  return letters <= 4
end

-- segments of a title: {{text=, a=, b=}...} in order (a, b: where the
-- segment lies in s), separators dropped
local SEP_SET = {}
for _, sep in ipairs(SEPARATORS) do
  assert(not sep:sub(2, -2):find("[%w%s]"))
  SEP_SET[sep:sub(2, -2)] = true
end

local function segments(s)
  local segs, pos = {}, 1
  local function add(a, b)
    local part = clean(s:sub(a, b))
    if part then segs[#segs + 1] = { text = part, a = a, b = b } end
  end
  -- " SEP " between words: the separator's characters stand alone (the
  -- space after a word may start the next separator: search overlapping;
  -- no separator holds a letter or digit, so a word is not a candidate)
  local init = 1
  while true do
    local a, e, tok = s:find(" ([^%w%s]+) ", init)
    if not a then break end
    if SEP_SET[tok] and a >= pos then
      add(pos, a - 1)
      pos = e + 1
    end
    init = e
  end
  add(pos, #s)
  return segs
end

-- the reference without site-name segments at its ends: the core text
-- (as written from the first kept segment to the last) and the kept
-- segments' texts; nil when every segment names the site
local function core(s, site)
  local segs = segments(s)
  local i, j = 1, #segs
  local function drop(seg)
    return site.names(seg.text) or is_label(seg.text) or is_date(seg.text)
  end
  while i <= j and drop(segs[i]) do i = i + 1 end
  while j >= i and drop(segs[j]) do j = j - 1 end
  if i > j then return nil end
  -- the page names no site: a short last segment after a longer head is
  -- taken for the site name ("Budget municipal – Le Quotidien")
  if j == #segs and j > i and not site.named then
    local tail, head = segs[j].text, segs[j - 1].text
    if #words.list(tail) <= 4 and #tail <= 2 * #head then j = j - 1 end
  elseif j < #segs and j > i then
    -- "Title - Section - Site": a one- or two-word segment left before
    -- the site name, after a title three times as long, is a section
    local last, first = #words.list(segs[j].text), #words.list(segs[i].text)
    if last <= 2 and first >= 3 * last then j = j - 1 end
  end
  local kept = {}
  for k = i, j do kept[#kept + 1] = segs[k].text end
  local c = clean(s:sub(segs[i].a, segs[j].b))
  -- "Site: Title" (a leading site name before a colon)
  local head, rest = c:match("^([^:]+):%s+(.+)$")
  if head and site.names(head) then c = rest end
  return c, kept
end

-- is this headline a link to the home page (a blog's site name in <h1>)?
local function home_link(node)
  for _, a in ipairs(node:select("a[href]")) do
    local href = a:attr("href"):match("^%s*(.-)%s*$")
    if href == "/" or href == "./" or href:match("^https?://[^/]+/?$")
       or href:match("^/?index%.%a+$") or (a:attr("rel") or ""):find("home") then
      return true
    end
  end
  return false
end

-- has the element this token in the attribute (a space-separated list)?
local function has_token(n, attr, token)
  local v = n:attr(attr)
  return v ~= nil and (" " .. v:lower() .. " "):find(" " .. token .. " ", 1, true) ~= nil
end
title.has_token = has_token

local function headlines(page, M, f)
  local out = {}
  local function add(n, kind)
    local t = clean(n:text())
    if not t or is_label(t) then return end
    local w = words.list(t)
    if #w == 0 or #w > MAX_WORDS then return end
    out[#out + 1] = { text = t, words = w, kind = kind, node = n }
  end
  for _, n in ipairs(f.h1 or {}) do add(n, "h1") end
  for _, n in ipairs(M.itemprop(page, "headline")) do add(n, "itemprop headline") end
  return out
end

-- the first MAX_H2 <h2>s, as headlines (looked at only when no <h1>
-- agrees)
local function h2s(f)
  local out = {}
  for i, n in ipairs(f.h2 or {}) do
    if i > MAX_H2 then break end
    local t = clean(n:text())
    if t and not is_label(t) then
      local w = words.list(t)
      if #w > 0 and #w <= MAX_WORDS then
        out[#out + 1] = { text = t, words = w, kind = "h2", node = n }
      end
    end
  end
  return out
end

function title.find(page, M, site)
  local doc = page.doc
  local f = M.facts(page)
  local refs = {}
  local function ref(v, src)
    v = clean(v)
    if v then refs[#refs + 1] = { text = v, src = src } end
  end
  local t = f.title and f.title[1]
  local ttext = t and clean(t:text())
  local og = M.tag(page, "og:title")[1]
  og = clean(og)
  -- og:title cut at an unescaped quote: <title> goes on with the quote
  if og and ttext and #ttext > #og and ttext:sub(1, #og) == og
     and ttext:sub(#og + 1):match("^%s*[\"“„«]") then
    og = nil
  end
  ref(og, "meta og:title")
  ref(M.tag(page, "twitter:title")[1], "meta twitter:title")
  ref(ttext, "title")
  ref(M.jsonld_path(page, "headline")[1], "jsonld headline")

  -- each reference's core and kept segments
  for _, r in ipairs(refs) do
    r.core, r.segs = core(r.text, site)
    if r.core then
      r.core_words = words.list(r.core)
      r.seg_words = {}
      for k, s in ipairs(r.segs) do r.seg_words[k] = words.list(s) end
    end
  end

  local hs = doc and headlines(page, M, f) or {}
  if doc then
    local best, best_sim, best_ref
    local function consider(list)
      for _, h in ipairs(list) do
        if not site.names(h.text) and not home_link(h.node) then
          for _, r in ipairs(refs) do
            if r.core then
              local sim = words.agree(h.words, r.core_words)
              if #r.segs > 1 then
                for _, sw in ipairs(r.seg_words) do
                  -- a one-word segment agreeing is too weak a sign
                  if #sw > 1 then sim = math_max(sim, words.agree(h.words, sw)) end
                end
              end
              if sim > (best_sim or 0) + 1e-9 then
                best, best_sim, best_ref = h, sim, r
              end
            end
          end
        end
      end
    end
    consider(hs)
    if not best or best_sim < AGREE then consider(h2s(f)) end
    if best and best_sim >= AGREE then
      -- a headline that ends with a whole reference after a kicker
      -- ("Tunesien Große Aufgaben ...", "Politics | ..."): the reference's
      -- words as the headline writes them.  (Not a reference that only
      -- starts the headline: that is as often a truncated twitter:title.)
      local r = best_ref
      if #r.core_words >= 3 and #best.words > #r.core_words then
        local x, y = words.run(best.text, r.core_words)
        if x and not best.text:sub(y + 1):find("[%w\128-\255]") then
          -- keep quotes and closing punctuation ("?", "!") around it
          local tail = TAIL:match(best.text:sub(y + 1)) or ""
          local lead = LEAD:match(best.text:sub(1, x - 1)) or ""
          return clean(lead .. best.text:sub(x, y) .. tail),
                 best.kind .. " (the part that is " .. r.src .. ")"
        end
      end
      return best.text, best.kind .. " (agrees with " .. best_ref.src .. ")"
    end
  end

  for _, r in ipairs(refs) do
    if r.core and not is_label(r.core) then
      local src = r.src
      if r.core ~= r.text then src = src .. " (site name dropped)" end
      return r.core, src
    end
  end
  if doc then
    for _, h in ipairs(hs) do
      if h.kind == "h1" and not site.names(h.text) then return h.text, "h1" end
    end
  end
  for _, r in ipairs(refs) do return r.text, r.src end
  return nil
end

return title
