return { hosts = { "example.com" }, fields = { title = { "h1", re = "([a-z" } } }
