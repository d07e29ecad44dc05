-- test script: returns a list of records, nil, or a bad value by title
return function(page)
  local t = page.doc:first("title")
  local title = t and t:text() or ""
  if title == "none" then return nil end
  if title == "bad" then return 42 end
  return { { k = "a" }, { k = "b" } }
end
