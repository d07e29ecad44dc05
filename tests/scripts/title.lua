-- test script: the page title, or an error on pages whose title says so
return function(page)
  local t = page.doc:first("title")
  local title = t and t:text() or nil
  if title == "crash" then
    local broken = nil
    return broken.field
  end
  return { title = title, n = 1 }
end
