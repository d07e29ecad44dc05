return { fields = { t = { "//h1[" } } }
