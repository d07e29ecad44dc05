return {
  fields = {
    title = "h1",
    author = { ".author-name", { meta = "author" }, required = true },
  },
}
