-- test script: tries to leave the sandbox; each attempt is reported
return function(page)
  local r = {}
  r.os = pcall(function() return os.execute("true") end)
  r.io = pcall(function() return io.open("/tmp/pipe-escape", "w") end)
  r.require = pcall(require, "../../etc/passwd")
  r.loadbin = load(string.dump(function() end)) ~= nil
  r.dofile = dofile ~= nil
  r.debug = debug ~= nil
  return r
end
