return { fields = { related = { "li", fields = { url = "a::attr(href" } } } }
