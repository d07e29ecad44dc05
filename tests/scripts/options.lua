-- test script: echoes the options a run was given
return function(page)
  local o = pipe.options
  return { mode = o.mode, flag = o.flag, url = o.url, explain = o.explain }
end
