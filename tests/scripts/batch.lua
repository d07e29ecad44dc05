-- test script for the worker pool (tests/e2e/pool.sh): what a page does
-- depends on its <title>; run with --unsafe (the crash case kills its own
-- worker, as a library crash would)
return function(page)
  local t = page.doc:first("title")
  local title = t and t:text() or ""
  if title == "fails" then error("this page is broken", 0) end
  if title == "backtrack" then ("a"):rep(200):find(".-.-.-.-b") end
  if title == "handler" then xpcall(error, function() while true do end end) end
  if title == "finalizer" then
    setmetatable({}, { __gc = function() while true do end end })
    collectgarbage()
  end
  if title == "crash" then os.execute("kill -ABRT $PPID; sleep 5") end
  if title == "hog" then local big = ("x"):rep(300 << 20) end
  return { title = title, words = text.words(page.doc:text()) }
end
