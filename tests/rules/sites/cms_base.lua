-- A shared base (no hosts): used through `extends` by the test site rules.
return {
  remove = { ".banner" },
  fields = {
    title = "h1",
    section = ".no-section",
    body = { ".story__body", paragraphs = true },
  },
}
