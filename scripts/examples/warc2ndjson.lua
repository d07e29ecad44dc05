-- A crawl archive as NDJSON records, one per page: what Spark's
-- RDD.pipe() and Hadoop streaming feed `pipe run --records` (see
-- docs/scale-out.md).  The page goes as the parsed document serialised in
-- UTF-8 (JSON strings are Unicode: the raw bytes of a windows-1251 page
-- cannot travel in them).
--   pipe run scripts/examples/warc2ndjson.lua crawl.warc.gz > pages.ndjson
return function(page)
  local r = page.record or {}
  return { source = page.source, url = page.url, warc_id = r.warc_id,
           fetched = r.fetched, html = page.doc:outer() }
end
