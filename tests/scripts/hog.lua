-- test script: keeps everything it allocates, so memory stays exhausted
-- for the pages after the first; pipe must report, never crash
hoard = {}
return function(page)
  for i = 1, 1e9 do hoard[#hoard + 1] = ("x"):rep(1000) .. i end
end
