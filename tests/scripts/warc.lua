-- What a page of a crawl archive brings: its URL, the record's metadata,
-- the encoding its bytes were read in (tests/e2e/warc.sh).
return function(page)
  local r = page.record or {}
  return { url = page.url, record_url = r.url, record_id = r.warc_id,
           record_fetched = r.fetched, encoding = page.doc:encoding(),
           title = page.doc:first("title") and page.doc:first("title"):text() }
end
