-- test script: records stage; echoes n * 2 and whether html was parsed
return function(page)
  local r = page.record
  if r.drop then return nil end
  return { n = (r.n or 0) * 2, has_doc = page.doc ~= nil,
           title = page.doc and page.doc:first("title"):text() or nil }
end
