return { extends = "sites.nope", fields = {} }
