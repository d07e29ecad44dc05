return { fields = { title = { "h1", requried = true } } }
