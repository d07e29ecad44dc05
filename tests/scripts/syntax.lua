return function(page)
  return { x = = 1 }
end
