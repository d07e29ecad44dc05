return { hots = { "example.com" } }
