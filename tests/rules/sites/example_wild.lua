-- Wildcard host: any other subdomain of example.com (and example.com).
return {
  hosts = { "*.example.com" },
  extends = "sites.cms_base",
  metadata = false,
  fields = { kind = { default = "wildcard" } },
}
