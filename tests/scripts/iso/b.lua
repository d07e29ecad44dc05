-- isolation test module: iso.a's load-time global is not visible here
return { sees_a = function() return tostring(shared_name) end }
