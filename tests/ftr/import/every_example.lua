-- every.example.txt, imported by `pipe import ftr` from FiveFilters' ftr-site-config
-- (public domain, CC0).  Lines marked global.txt come from global.txt, which
-- Full-Text RSS applies to every configured site; docs/ftr.md says what each
-- directive becomes.
--
-- every directive pipe knows, once, for `pipe import ftr`
return {
  hosts = { "every.example" },
  replace = {
    { "EUR 2.50", "€2.50" },
    { "<br><br>", "</p><p>" },
    { "<amp-img", "<img" },  -- global.txt: find_string
  },
  unwrap = {
    "//div[@class='wrapper']",
  },
  wrap = {
    ["//span[@class='subhead']"] = "h2",
  },
  move = {
    ["//div[@class='postscript']"] = "//div[@class='story-body']",
  },
  fields = {
    title = {
      "//h1[@class='headline']",
      "//meta[@property='og:title']/@content",
      '//meta[@property="og:title"]/@content',  -- global.txt: title
    },
    authors = { all = true,
      "//a[@rel='author']",
    },
    published = { date = true,
      "//time/@datetime",
    },
    body = { join = "\n\n", outermost = true, boilerplate = true, min_length = 500,
      skip = { ".comment, .comments, #comments, .comment-list, .commentlist, #disqus_thread" },  -- pipe: a comment thread is not the article
      skip_description = true,  -- pipe: a standfirst is the record's description
      "//div[@class='story-body'] | //figure[@class='lead-figure']",
      "//article",
      { generic = "body", clean = false },  -- autodetect_on_failure: the generic extractor when no body XPath matches, on the page without the config's strips
      clean = {
        -- strips act on the body
        "//div[@class='share-bar']",
        "//img/@srcset",
        "[class*='ad-slot'], [id*='ad-slot']",
        "img[src*='tracking.gif']",
        "[class*='share-bar'], [id*='share-bar']",  -- global.txt: strip_id_or_class
        "//*[contains(@style,'display:none')]",  -- Full-Text RSS strips these on every page
        ".entry-unrelated, .instapaper_ignore",  -- Full-Text RSS strips these on every page
      },
    },
    single_page_url = { attr = "href", url = true,
      "(//a[@class='print'])[boolean(//div[@class='story-body'])]",
    },
    next_page_url = { attr = "href", url = true,
      "//a[@rel='next']/@href",
    },
    native_ad = {
      "boolean(//meta[@name='sponsored'])",
    },
  },
  -- online cases: pipe fetches nothing, so `pipe test` skips them until a
  -- saved copy of the page is given as page = "..."
  tests = {
    { url = "https://every.example/2024/05/harbour.html", expect = { body = { contains = { "Three ferry routes" } } } },
  },
  -- directives without a rule line:
  --   if_page_contains: //div[@class='story-body']  (the condition of the single_page_link above)
  --   prune: no  (the body is not pruned, only filtered for boilerplate)
  --   tidy: no  (pipe has one HTML parser and needs no tidying)
  --   skip_json_ld: yes  (a config's XPaths always win over JSON-LD in pipe; metadata still fills fields the config does not give)
  --   insert_detected_image: no  (pipe's body is text; the record's image comes from page metadata)
  --   http_header(user-agent): Mozilla/5.0  (ignored: pipe fetches nothing)
  --   titl: //h2  (unknown directive (Full-Text RSS ignores it silently))
  --   test_contains: Three ferry routes  (checked with the test_url above)
  --   find_string: ’ + replace_string: '  (not honoured: typographic punctuation to ASCII is a reader-app workaround; pipe keeps the text as published)
}
