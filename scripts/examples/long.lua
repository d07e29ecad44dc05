-- long.lua: a records filter that keeps records whose body has at least
-- MIN words (pipe run --records passes them through; nil drops one).
local MIN = 100
return function(page)
  local record = page.record
  if record and text.words(record.body or "") >= MIN then
    return record
  end
  return nil
end
