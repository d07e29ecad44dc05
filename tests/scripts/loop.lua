-- test script: never ends; the instruction limit must stop it
return function(page)
  while true do pcall(function() while true do end end) end
end
