-- Exact host: beats the wildcard rule for www.example.com.
return {
  hosts = { "www.example.com" },
  extends = "sites.cms_base",
  remove = { { text = "^Read also:" }, ".share" },
  fields = {
    section = false,
    byline = { ".story__byline", re = "^By\\s+(.+)" },
  },
  metadata = false,
}
