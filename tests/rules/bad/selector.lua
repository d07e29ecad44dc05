return { fields = { title = "h1[" } }
