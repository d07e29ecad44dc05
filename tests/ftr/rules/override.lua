-- a Lua rule wins over a FiveFilters config for its host
return {
  hosts = { "override.example" },
  fields = { body = { ".story-body", paragraphs = true } },
}
