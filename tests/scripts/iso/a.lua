-- isolation test module: a global of its own, set when it loads
shared_name = "set by iso.a"
return { name = "iso.a" }
