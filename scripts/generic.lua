-- scripts/generic.lua: an article record from any page, no site rule needed.
--
-- Metadata (title, authors, dates, language, lead, image, site name,
-- canonical URL) comes from lib.meta; the body comes from the C scorer
-- `extract.content`, tuned by the parameter table below, with the JSON-LD
-- articleBody as a second opinion.  `pipe run scripts/generic.lua PAGE`
-- runs it directly; scripts/site.lua falls back to it when no rule matches.

-- Parameters of extract.content.  Every heuristic of the scorer is here;
-- the C side only has the same values as a fallback.
local params = {
  -- class/id hints.  Tokens of class and id are split at non-letters and
  -- camelCase humps and lowercased; a hint matches a token equal to it, or
  -- to it plus "s", or (hints of hint_prefix letters or more) a token that
  -- starts with it: "ad" matches "ad-slot" and "ads", not "head".
  hint_prefix = 4,
  class_weight = 25,        -- added per matching class and per matching id
  positive = { "article", "body", "content", "entry", "hentry", "main",
               "page", "post", "text", "blog", "story" },
  negative = { "ad", "banner", "combx", "comment", "contact", "cookie",
               "foot", "footer", "footnote", "masthead", "media", "meta",
               "menu", "nav", "navbar", "outbrain", "promo", "related",
               "scroll", "share", "shoutbox", "sidebar", "similar",
               "skyscraper", "social", "sponsor", "shopping", "subscribe",
               "tags", "tool", "widget", "video" },
  -- elements whose class/id (or role) carries one of these, and no
  -- positive or "maybe" hint, are not content at all (first attempt only)
  unlikely = { "ad", "ads", "advert", "banner", "breadcrumb", "combx",
               "comment", "community", "cookie", "disqus", "footer", "gdpr",
               "menu", "modal", "nav", "navbar", "navigation", "newsletter",
               "pagination", "popup", "promo", "related", "remark",
               "replies", "rss", "share", "shoutbox", "sidebar",
               "skyscraper", "social", "sponsor", "subscribe", "similar",
               -- ARIA roles
               "complementary", "menubar", "alert", "alertdialog", "dialog" },
  maybe = { "and", "article", "body", "column", "content", "main", "shadow" },
  -- inside the chosen block: subtrees dropped by class/id hint or by tag
  drop = { "byline", "author", "caption", "credit", "dateline" },
  drop_tags = { "h1", "figcaption", "caption" },
  -- starting score of a candidate by tag
  tag_weights = { div = 5, pre = 3, td = 3, blockquote = 3,
                  address = -3, ol = -3, ul = -3, dl = -3, dd = -3, dt = -3,
                  li = -3, form = -3,
                  h1 = -5, h2 = -5, h3 = -5, h4 = -5, h5 = -5, h6 = -5,
                  th = -5 },

  -- paragraph scoring: a block with min_paragraph inline characters gives
  -- 1 + comma_weight * commas + min(chars / length_step, length_cap) to its
  -- parent, half of it to the grandparent, 1/(3 level) further up, for
  -- ancestor_levels levels; a candidate's total is scaled by 1 - link density
  min_paragraph = 25,
  comma_weight = 1,
  length_step = 100,
  length_cap = 3,
  ancestor_levels = 5,

  -- alt_min candidates scoring alt_ratio of the best, under one ancestor:
  -- the ancestor is the article
  alt_ratio = 0.75,
  alt_min = 3,

  -- siblings of the best candidate join when they score
  -- max(sibling_min, best * sibling_ratio) (same class: + best *
  -- sibling_same_class), or are prose: longer than sibling_text with link
  -- density under sibling_link, or shorter, link-free and ending a sentence
  sibling_ratio = 0.2,
  sibling_min = 10,
  sibling_same_class = 0.2,
  sibling_text = 80,
  sibling_link = 0.25,

  -- conditional cleaning of div/section/table/list/form blocks in the
  -- chosen content, unless they hold clean_commas commas: drop galleries,
  -- link lists (density over clean_link; clean_link_pos for positive
  -- blocks), form-heavy and short image-less blocks (under clean_min_text)
  clean_commas = 10,
  clean_link = 0.2,
  clean_link_pos = 0.5,
  clean_min_text = 25,

  -- boilerplate filter on output paragraphs: link density over line_link
  -- in lines shorter than line_link_len, over line_link_long in any line;
  -- lines up to prompt_len characters starting with a prompt
  line_link = 0.5,
  line_link_len = 200,
  line_link_long = 0.8,
  prompt_len = 60,
  prompts = { "read more", "share", "subscribe", "sign up", "advertisement",
              "click here", "follow us", "watch:",
              -- photo credits
              "photo:", "photos:", "photo by", "image:", "credit:", "Фото:" },

  -- a result shorter than retry_length is retried without the unlikely
  -- filter, then also without class weights and cleaning; a retry wins
  -- only with retry_gain times more text (so a short article does not
  -- give way to its comment thread)
  retry_length = 500,
  retry_gain = 3,
  skip_hidden = 1,          -- hidden attribute, display:none
  candidates = 5,           -- how many candidates extract.content reports
}

-- JSON-LD articleBody replaces the DOM body when the DOM body is shorter
-- than this share of it (the DOM body keeps paragraph breaks, so it wins
-- when both are there).
local JSONLD_MIN_SHARE = 0.5

-- When true, a first body paragraph equal to the page description (the
-- lead) is left out of the body, as it is the record's `description`.  Off:
-- on the article benchmark the true bodies include the lead (F1 0.974 with
-- the lead, 0.972 without).
local DROP_LEAD = false

local meta = require("lib.meta")
local records = require("lib.records")

-- The longest articleBody among the page's JSON-LD objects (parsed once,
-- by lib.meta), nil when none.
local function jsonld_body(page)
  local best
  local function walk(v, depth)
    if type(v) ~= "table" or depth > 8 then return end
    local b = v.articleBody
    if type(b) == "string" and (not best or #b > #best) then best = b end
    for _, x in pairs(v) do walk(x, depth + 1) end
  end
  for _, obj in ipairs(meta.jsonld(page)) do walk(obj, 0) end
  if not best then return nil end
  -- some sites put HTML in articleBody
  if best:find("<%a") then best = html.strip(best) end
  best = text.clean(best)
  return best ~= "" and best or nil
end

local function body_of(page, lead)
  local res = extract.content(page.doc, params)
  local body
  if res then
    local paras = res.paragraphs
    -- the standfirst is the record's description, not part of the body
    if DROP_LEAD and lead and #paras > 1
       and text.squish(paras[1]) == text.squish(lead) then
      table.remove(paras, 1)
    end
    body = table.concat(paras, "\n\n")
  end
  local ld = jsonld_body(page)
  if ld and (not body or #body < JSONLD_MIN_SHARE * #ld) then
    body = ld
  end
  return body
end

return function(page)
  records.need_doc(page)
  local m = meta.extract(page)
  return records.carry({
    url = m.url or page.url,
    title = m.title,
    authors = m.authors,
    published = m.published,
    lang = m.lang,
    description = m.description,
    image = m.image,
    site_name = m.site_name,
    body = body_of(page, m.description),
    rule = "generic.lua",
  }, page)
end
